/**
 * The checks of the local Glue catalog and of Firehose's Iceberg destination that need no cloud: what they refuse
 * and how they name it, the CloudFormation spellings they read, and the commit's compare-and-swap. The object store
 * is an in-memory map (the writes to a real S3 are proved by test/integration/local-iceberg.test.ts).
 */

import { describe, expect, it } from 'vitest';
import { FirehoseApiError } from '../../src/firehose/errors.js';
import { icebergStreamConfig } from '../../src/firehose/iceberg-config.js';
import { GlueCatalog } from '../../src/glue/catalog.js';

function memoryStore() {
  const objects = new Map<string, Buffer>();
  return {
    objects,
    put: async (bucket: string, key: string, body: Uint8Array) => {
      objects.set(`${bucket}/${key}`, Buffer.from(body));
    },
    get: async (bucket: string, key: string) => {
      const body = objects.get(`${bucket}/${key}`);
      if (body === undefined) throw new Error(`no ${bucket}/${key}`);
      return body;
    },
  };
}

const destination = (overrides: Record<string, unknown> = {}) => ({
  RoleARN: 'arn:aws:iam::000000000000:role/firehose',
  CatalogConfiguration: { CatalogArn: 'arn:aws:glue:us-east-1:000000000000:catalog' },
  DestinationTableConfigurationList: [{ DestinationDatabaseName: 'lake', DestinationTableName: 'events' }],
  S3Configuration: { BucketARN: 'arn:aws:s3:::lake-bucket', ErrorOutputPrefix: 'errors/' },
  s3BackupMode: 'FailedDataOnly',
  ...overrides,
});

const icebergInput = (fields: unknown[], partitions: unknown[] = []) => ({
  MetadataOperation: 'CREATE',
  Version: '2',
  IcebergTableInput: {
    Location: 's3://lake-bucket/events/',
    Schema: { Type: 'struct', SchemaId: 0, Fields: fields },
    PartitionSpec: { SpecId: 0, Fields: partitions },
  },
});

describe("Firehose's Iceberg destination configuration", () => {
  it('reads the CloudFormation spellings CatalogArn and s3BackupMode, with buffering defaults of 128 MiB and 300 s', () => {
    const config = icebergStreamConfig(destination());
    expect(config.iceberg).toMatchObject({ databaseName: 'lake', tableName: 'events' });
    expect(config.bucket).toBe('lake-bucket');
    expect([config.sizeBytes, config.intervalMs]).toEqual([128 * 1024 * 1024, 300_000]);
  });

  it('fails on two destination tables, naming how many', () => {
    const two = destination({
      DestinationTableConfigurationList: [
        { DestinationDatabaseName: 'lake', DestinationTableName: 'a' },
        { DestinationDatabaseName: 'lake', DestinationTableName: 'b' },
      ],
    });
    expect(() => icebergStreamConfig(two)).toThrow(/exactly one table.*got 2 tables/);
  });

  it('fails on a catalog ARN that is not a Glue Data Catalog, naming it', () => {
    const bad = destination({ CatalogConfiguration: { CatalogARN: 'arn:aws:s3:::nope' } });
    expect(() => icebergStreamConfig(bad)).toThrow(/CatalogARN.*"arn:aws:s3:::nope"/);
  });

  it('fails on a buffer size past 128 MiB, naming the value', () => {
    const bad = destination({ BufferingHints: { SizeInMBs: 129, IntervalInSeconds: 60 } });
    expect(() => icebergStreamConfig(bad)).toThrow(FirehoseApiError);
    expect(() => icebergStreamConfig(bad)).toThrow(
      /SizeInMBs must be a whole number from 1 to 128 \(got 129\)/,
    );
  });
});

describe('the local Glue catalog', () => {
  it('fails on a partition field whose source is not a column, naming the field and the id', async () => {
    const catalog = new GlueCatalog(memoryStore());
    catalog.createDatabase({ Name: 'lake' });
    const input = icebergInput(
      [{ Id: 1, Name: 'id', Type: 'long' }],
      [{ FieldId: 1000, Name: 'dt', SourceId: 7, Transform: 'identity' }],
    );
    await expect(catalog.createIcebergTable('lake', 'events', input)).rejects.toThrow(
      /partition field dt has source id 7/,
    );
  });

  it('fails on a field id used twice, naming it', async () => {
    const catalog = new GlueCatalog(memoryStore());
    catalog.createDatabase({ Name: 'lake' });
    const input = icebergInput([
      { Id: 1, Name: 'id', Type: 'long' },
      { Id: 1, Name: 'other', Type: 'string' },
    ]);
    await expect(catalog.createIcebergTable('lake', 'events', input)).rejects.toThrow(
      /field id 1 is used twice/,
    );
  });

  it('answers ConcurrentModificationException when a commit expects a metadata file the table has moved from', async () => {
    const store = memoryStore();
    const catalog = new GlueCatalog(store);
    catalog.createDatabase({ Name: 'Lake' });
    await catalog.createIcebergTable('lake', 'Events', icebergInput([{ Id: 1, Name: 'id', Type: 'long' }]));
    const first = catalog.iceberg('LAKE', 'events').metadataLocation;
    expect([...store.objects.keys()]).toEqual([first.replace('s3://', '')]);
    catalog.commitIceberg('lake', 'events', first, 's3://lake-bucket/events/metadata/00001-x.metadata.json');
    expect(() => catalog.commitIceberg('lake', 'events', first, 's3://elsewhere')).toThrow(
      expect.objectContaining({ code: 'ConcurrentModificationException' }),
    );
    expect(catalog.getTable('lake', 'events').Parameters).toEqual({
      table_type: 'ICEBERG',
      metadata_location: 's3://lake-bucket/events/metadata/00001-x.metadata.json',
      previous_metadata_location: first,
    });
  });

  it('removes a database and its tables from the catalog and leaves their files', async () => {
    const store = memoryStore();
    const catalog = new GlueCatalog(store);
    catalog.createDatabase({ Name: 'lake' });
    await catalog.createIcebergTable('lake', 'events', icebergInput([{ Id: 1, Name: 'id', Type: 'long' }]));
    catalog.deleteDatabase('lake');
    expect(() => catalog.getTable('lake', 'events')).toThrow(
      expect.objectContaining({ code: 'EntityNotFoundException', message: 'Database lake not found.' }),
    );
    expect(store.objects.size).toBe(1);
  });
});

describe('a stack update of an Iceberg table', () => {
  it('keeps its snapshots and writes the next metadata file with the new schema as the current one', async () => {
    const store = memoryStore();
    const catalog = new GlueCatalog(store);
    catalog.createDatabase({ Name: 'lake' });
    await catalog.createIcebergTable('lake', 'events', icebergInput([{ Id: 1, Name: 'id', Type: 'long' }]));
    const first = catalog.iceberg('lake', 'events').metadataLocation;
    // As the deployer updates a hooked resource: the old one removed, the new one created.
    catalog.deleteTable('lake', 'events');
    const wider = icebergInput([
      { Id: 1, Name: 'id', Type: 'long' },
      { Id: 2, Name: 'amount', Type: 'double' },
    ]);
    await catalog.createIcebergTable('lake', 'events', wider);
    const second = catalog.iceberg('lake', 'events').metadataLocation;
    expect(second).toMatch(/\/metadata\/00001-[0-9a-f-]{36}\.metadata\.json$/);
    expect(catalog.getTable('lake', 'events').Parameters).toMatchObject({
      previous_metadata_location: first,
    });
    const metadata = JSON.parse(
      (await store.get('lake-bucket', second.replace('s3://lake-bucket/', ''))).toString(),
    );
    expect(metadata['current-schema-id']).toBe(1);
    expect(metadata.schemas.map((s: { fields: unknown[] }) => s.fields.length)).toEqual([1, 2]);
    expect(metadata['last-column-id']).toBe(2);
    expect(metadata['metadata-log'].map((m: { 'metadata-file': string }) => m['metadata-file'])).toEqual([
      first,
    ]);

    // Unchanged: the table stays at its metadata file.
    catalog.deleteTable('lake', 'events');
    await catalog.createIcebergTable('lake', 'events', wider);
    expect(catalog.iceberg('lake', 'events').metadataLocation).toBe(second);
  });

  it('starts again from metadata file 00000 once its database was deleted (a stack deleted, then deployed again)', async () => {
    const catalog = new GlueCatalog(memoryStore());
    catalog.createDatabase({ Name: 'lake' });
    await catalog.createIcebergTable('lake', 'events', icebergInput([{ Id: 1, Name: 'id', Type: 'long' }]));
    catalog.deleteTable('lake', 'events');
    catalog.deleteDatabase('lake');
    catalog.createDatabase({ Name: 'lake' });
    await catalog.createIcebergTable('lake', 'events', icebergInput([{ Id: 1, Name: 'id', Type: 'long' }]));
    expect(catalog.iceberg('lake', 'events').metadataLocation).toMatch(/\/metadata\/00000-/);
  });
});
