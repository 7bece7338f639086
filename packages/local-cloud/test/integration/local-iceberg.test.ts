/**
 * The local Firehose's Iceberg destination and the local Glue catalog, read back by readers this package did not
 * write: icebird (Iceberg metadata, manifests and data through plain HTTP GETs of the local S3), hyparquet (the
 * data files' Parquet schema and field ids), avsc (the manifests' Avro headers against the spec's required
 * fields), and the AWS CLI's `aws glue get-table`.
 */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CreateDeliveryStreamCommand, FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import avro from 'avsc';
import { parquetMetadata } from 'hyparquet';
import { icebergRead } from 'icebird';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../src/local-cloud.js';
import { parseS3Uri } from '../../src/s3/s3-uri.js';
import { awsCli, localClientConfig } from '../support/harness.js';

const BUCKET = 'iceberg-lake';
const DATABASE = 'lake';
const TABLE = 'events';

/** Field ids as the product's schemas make them (large, from field paths), so nothing relies on small ids. */
const ID = {
  id: 733_001,
  amount: 52_117,
  card: 9_910_001,
  ok: 41,
  geo: 7_001,
  country: 7_002,
  tags: 8_001,
  tagKey: 8_002,
  tagValue: 8_003,
  dt: 1_001_001,
  hour: 1_001_002,
};

const ICEBERG_INPUT = {
  MetadataOperation: 'CREATE',
  Version: '2',
  IcebergTableInput: {
    Location: `s3://${BUCKET}/events/`,
    Schema: {
      Type: 'struct',
      SchemaId: 0,
      Fields: [
        { Id: ID.id, Name: 'id', Type: 'long', Required: false, Doc: 'event id' },
        { Id: ID.amount, Name: 'amount', Type: 'double', Required: false },
        { Id: ID.card, Name: 'card', Type: 'string', Required: false },
        { Id: ID.ok, Name: 'ok', Type: 'boolean', Required: false },
        {
          Id: ID.geo,
          Name: 'geo',
          Type: JSON.stringify({
            type: 'struct',
            fields: [{ id: ID.country, name: 'country', required: false, type: 'string' }],
          }),
          Required: false,
        },
        {
          Id: ID.tags,
          Name: 'tags',
          Type: JSON.stringify({
            type: 'map',
            'key-id': ID.tagKey,
            key: 'string',
            'value-id': ID.tagValue,
            value: 'double',
            'value-required': false,
          }),
          Required: false,
        },
        { Id: ID.dt, Name: 'dt', Type: 'string', Required: false },
        { Id: ID.hour, Name: 'hour', Type: 'string', Required: false },
      ],
    },
    PartitionSpec: {
      SpecId: 0,
      Fields: [
        { FieldId: 1000, Name: 'dt', SourceId: ID.dt, Transform: 'identity' },
        { FieldId: 1001, Name: 'hour', SourceId: ID.hour, Transform: 'identity' },
      ],
    },
    Properties: { 'write.format.default': 'parquet' },
  },
};

interface Event {
  id: number;
  amount: number;
  card: string;
  ok: boolean;
  geo: { country: string };
  tags: Record<string, number>;
  dt: string;
  hour: string;
}

const event = (i: number, hour: string): Event => ({
  id: i,
  amount: i * 1.5,
  card: `card-${i % 3}`,
  ok: i % 2 === 0,
  geo: { country: i % 2 === 0 ? 'FR' : 'NZ' },
  tags: { risk: i / 10 },
  dt: '2026-12-07',
  hour,
});

let cloud: LocalCloud;
let s3: S3Client;
let firehose: FirehoseClient;
const realFetch = globalThis.fetch;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  s3 = new S3Client({ ...localClientConfig(cloud.endpoint), forcePathStyle: true });
  firehose = new FirehoseClient(localClientConfig(cloud.endpoint));
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  cloud.services.glue.createDatabase({ Name: DATABASE });
  await cloud.services.glue.createIcebergTable(DATABASE, TABLE, ICEBERG_INPUT);
  // icebird reads s3:// paths as https://<bucket>.s3.amazonaws.com/<key>: send those GETs to the local S3.
  globalThis.fetch = (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const match = /^https:\/\/([^.]+)\.s3\.amazonaws\.com\/(.*)$/.exec(url);
    return realFetch(match ? `${cloud.endpoint}/${match[1]}/${match[2]}` : input, init);
  };
}, 180_000);

afterAll(async () => {
  globalThis.fetch = realFetch;
  s3?.destroy();
  firehose?.destroy();
  await cloud?.stop();
}, 120_000);

async function objectBytes(uri: string): Promise<Buffer> {
  const { bucket, key } = parseS3Uri(uri, { keyRequired: true });
  const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(
    await (answer.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  );
}

async function glueTable(): Promise<{
  Parameters: Record<string, string>;
  StorageDescriptor: {
    Location: string;
    Columns: { Name: string; Type: string; Parameters: Record<string, string> }[];
  };
}> {
  const { stdout } = await awsCli(cloud.endpoint, [
    'glue',
    'get-table',
    '--database-name',
    DATABASE,
    '--name',
    TABLE,
    '--output',
    'json',
  ]);
  return JSON.parse(stdout).Table;
}

/** The AWS CLIs here: the one on PATH, and Debian's v2 at /usr/bin/aws when installed apart from it. */
function awsClis(): string[] {
  const clis = ['aws'];
  if (existsSync('/usr/bin/aws') && which('aws') !== '/usr/bin/aws') clis.push('/usr/bin/aws');
  return clis;
}

function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (existsSync(join(dir, command))) return join(dir, command);
  }
  return undefined;
}

function avroHeader(
  file: Buffer,
): Promise<{ metadata: Record<string, string>; records: Record<string, unknown>[] }> {
  return new Promise((resolve, reject) => {
    const records: Record<string, unknown>[] = [];
    let metadata: Record<string, string> = {};
    const decoder = new avro.streams.BlockDecoder();
    decoder.on('metadata', (_type: unknown, _codec: unknown, header: { meta: Record<string, Buffer> }) => {
      metadata = Object.fromEntries(Object.entries(header.meta).map(([k, v]) => [k, v.toString('utf8')]));
    });
    decoder.on('data', (record: Record<string, unknown>) => records.push(record));
    decoder.on('end', () => resolve({ metadata, records }));
    decoder.on('error', reject);
    decoder.end(file);
  });
}

describe('the local Glue catalog and the Firehose Iceberg destination', () => {
  it('answers get-table for a new Iceberg table with table_type ICEBERG and its first metadata file (v2, no snapshot)', async () => {
    const table = await glueTable();
    expect(table.Parameters.table_type).toBe('ICEBERG');
    expect(table.Parameters.metadata_location).toMatch(
      new RegExp(`^s3://${BUCKET}/events/metadata/00000-[0-9a-f-]{36}\\.metadata\\.json$`),
    );
    expect(table.StorageDescriptor.Location).toBe(`s3://${BUCKET}/events`);
    const tags = table.StorageDescriptor.Columns.find((c) => c.Name === 'tags');
    expect(tags).toMatchObject({
      Type: 'map<string,double>',
      Parameters: { 'iceberg.field.id': String(ID.tags) },
    });
    const metadata = JSON.parse(
      (await objectBytes(String(table.Parameters.metadata_location))).toString('utf8'),
    );
    expect(metadata).toMatchObject({
      'format-version': 2,
      location: `s3://${BUCKET}/events`,
      'last-sequence-number': 0,
      'current-snapshot-id': -1,
      snapshots: [],
      'last-column-id': Math.max(...Object.values(ID)),
      'partition-specs': [
        {
          'spec-id': 0,
          fields: [
            { name: 'dt', transform: 'identity', 'source-id': ID.dt, 'field-id': 1000 },
            { name: 'hour', transform: 'identity', 'source-id': ID.hour, 'field-id': 1001 },
          ],
        },
      ],
      'last-partition-id': 1001,
    });
    expect(metadata.schemas[0].fields.map((f: { id: number }) => f.id)).toEqual([
      ID.id,
      ID.amount,
      ID.card,
      ID.ok,
      ID.geo,
      ID.tags,
      ID.dt,
      ID.hour,
    ]);
  });

  for (const cli of awsClis()) {
    it(`answers ${cli} (--endpoint-url): get-table, get-tables with an expression, get-databases`, async () => {
      const json = async (args: string[]) =>
        JSON.parse(
          (await awsCli(cloud.endpoint, ['--endpoint-url', cloud.endpoint, ...args, '--output', 'json'], cli))
            .stdout,
        );
      const table = (await json(['glue', 'get-table', '--database-name', DATABASE, '--name', TABLE])).Table;
      expect(table).toMatchObject({
        Name: TABLE,
        DatabaseName: DATABASE,
        Parameters: { table_type: 'ICEBERG' },
      });
      const tables = await json(['glue', 'get-tables', '--database-name', DATABASE, '--expression', 'ev*']);
      expect(tables.TableList.map((t: { Name: string }) => t.Name)).toEqual([TABLE]);
      const none = await json(['glue', 'get-tables', '--database-name', DATABASE, '--expression', 'raw*']);
      expect(none.TableList).toEqual([]);
      const databases = await json(['glue', 'get-databases']);
      expect(databases.DatabaseList.map((d: { Name: string }) => d.Name)).toEqual([DATABASE]);
    });
  }

  it('answers EntityNotFoundException for a table that does not exist', async () => {
    await expect(
      awsCli(cloud.endpoint, ['glue', 'get-table', '--database-name', DATABASE, '--name', 'nope']),
    ).rejects.toThrow(/EntityNotFoundException/);
  });

  it('refuses an Iceberg destination naming a table the catalog does not have, naming it', async () => {
    await expect(
      firehose.send(
        new CreateDeliveryStreamCommand({
          DeliveryStreamName: 'no-table',
          IcebergDestinationConfiguration: {
            RoleARN: 'arn:aws:iam::000000000000:role/firehose',
            CatalogConfiguration: { CatalogARN: 'arn:aws:glue:us-east-1:000000000000:catalog' },
            DestinationTableConfigurationList: [
              { DestinationDatabaseName: DATABASE, DestinationTableName: 'missing' },
            ],
            S3Configuration: {
              BucketARN: `arn:aws:s3:::${BUCKET}`,
              RoleARN: 'arn:aws:iam::000000000000:role/firehose',
            },
          },
        }),
      ),
    ).rejects.toThrow(/lake\.missing/);
  });

  it('puts a batch it could not commit within RetryOptions into the error output (the table gone)', async () => {
    await cloud.services.glue.createIcebergTable(DATABASE, 'gone', {
      ...ICEBERG_INPUT,
      IcebergTableInput: { ...ICEBERG_INPUT.IcebergTableInput, Location: `s3://${BUCKET}/gone/` },
    });
    await firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'to-gone',
        IcebergDestinationConfiguration: {
          RoleARN: 'arn:aws:iam::000000000000:role/firehose',
          CatalogConfiguration: { CatalogARN: 'arn:aws:glue:us-east-1:000000000000:catalog' },
          DestinationTableConfigurationList: [
            {
              DestinationDatabaseName: DATABASE,
              DestinationTableName: 'gone',
              S3ErrorOutputPrefix: 'errors/gone/',
            },
          ],
          RetryOptions: { DurationInSeconds: 0 },
          BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 900 },
          S3Configuration: {
            BucketARN: `arn:aws:s3:::${BUCKET}`,
            RoleARN: 'arn:aws:iam::000000000000:role/firehose',
          },
        },
      }),
    );
    cloud.services.glue.deleteTable(DATABASE, 'gone');
    const records = [event(1, '05'), event(2, '05')];
    await firehose.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: 'to-gone',
        Records: records.map((e) => ({ Data: Buffer.from(JSON.stringify(e)) })),
      }),
    );
    await cloud.services.firehose.flush('to-gone');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'errors/gone/' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([
      expect.stringMatching(/^errors\/gone\/iceberg-failed\/\d{4}\/\d\d\/\d\d\/\d\d\/to-gone-1-/),
    ]);
    const text = (await objectBytes(`s3://${BUCKET}/${listed.Contents?.[0]?.Key}`)).toString('utf8');
    const documents = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(documents.map((d) => [d.errorCode, Buffer.from(d.rawData, 'base64').toString()])).toEqual(
      records.map((e) => ['Iceberg.RetryDurationExceeded', JSON.stringify(e)]),
    );
    expect(documents[0].errorMessage).toMatch(/Table gone not found/);
    expect(cloud.services.firehose.stats('to-gone')).toMatchObject({ recordsFailed: 2, recordsPending: 0 });
  });

  it('commits each flush as a snapshot that icebird reads back value for value, failed records to the error prefix', async () => {
    await firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'events-to-iceberg',
        IcebergDestinationConfiguration: {
          RoleARN: 'arn:aws:iam::000000000000:role/firehose',
          CatalogConfiguration: { CatalogARN: 'arn:aws:glue:us-east-1:000000000000:catalog' },
          DestinationTableConfigurationList: [
            {
              DestinationDatabaseName: DATABASE,
              DestinationTableName: TABLE,
              S3ErrorOutputPrefix: 'errors/events/',
            },
          ],
          AppendOnly: true,
          BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 900 },
          S3Configuration: {
            BucketARN: `arn:aws:s3:::${BUCKET}`,
            RoleARN: 'arn:aws:iam::000000000000:role/firehose',
            ErrorOutputPrefix: 'errors/',
          },
        },
      }),
    );
    const first = [...[0, 1, 2].map((i) => event(i, '05')), ...[3, 4].map((i) => event(i, '06'))];
    const bad = { ...event(99, '05'), id: 'not-a-number' };
    const put = (events: readonly unknown[]) =>
      firehose.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: 'events-to-iceberg',
          Records: events.map((e) => ({ Data: Buffer.from(JSON.stringify(e)) })),
        }),
      );
    await put([...first, bad]);
    await cloud.services.firehose.flush('events-to-iceberg');
    const second = [5, 6].map((i) => event(i, '06'));
    await put(second);
    await cloud.services.firehose.flush('events-to-iceberg');

    const table = await glueTable();
    expect(table.Parameters.metadata_location).toMatch(/\/metadata\/00002-[0-9a-f-]{36}\.metadata\.json$/);
    expect(table.Parameters.previous_metadata_location).toMatch(
      /\/metadata\/00001-[0-9a-f-]{36}\.metadata\.json$/,
    );
    const metadata = JSON.parse(
      (await objectBytes(String(table.Parameters.metadata_location))).toString('utf8'),
    );
    expect(metadata['last-sequence-number']).toBe(2);
    expect(metadata.snapshots).toHaveLength(2);
    const [snap1, snap2] = metadata.snapshots;
    expect(snap2['parent-snapshot-id']).toBe(snap1['snapshot-id']);
    expect(metadata['current-snapshot-id']).toBe(snap2['snapshot-id']);
    expect(metadata.refs.main).toEqual({ 'snapshot-id': snap2['snapshot-id'], type: 'branch' });
    expect(snap1.summary).toMatchObject({
      operation: 'append',
      'added-data-files': '2',
      'added-records': '5',
      'total-records': '5',
    });
    expect(snap2.summary).toMatchObject({
      'added-data-files': '1',
      'added-records': '2',
      'total-records': '7',
      'total-data-files': '3',
    });
    expect(
      metadata['metadata-log'].map((m: { 'metadata-file': string }) =>
        m['metadata-file'].replace(/-[0-9a-f-]{36}\.metadata\.json$/, ''),
      ),
    ).toEqual([`s3://${BUCKET}/events/metadata/00000`, `s3://${BUCKET}/events/metadata/00001`]);

    // Every value, read by icebird through plain GETs of the local S3.
    const rows = await icebergRead({ tableUrl: `s3://${BUCKET}/events`, metadata });
    const normalized = rows
      .map((r) => ({
        id: Number(r.id),
        amount: r.amount,
        card: r.card,
        ok: r.ok,
        geo: r.geo,
        tags: Object.fromEntries(Object.entries(r.tags as Record<string, number>)),
        dt: r.dt,
        hour: r.hour,
      }))
      .sort((a, b) => a.id - b.id);
    expect(normalized).toEqual([...first, ...second]);

    // The manifest list (avsc): the new manifest and the parent's, with the spec's required fields and metadata.
    const list = await avroHeader(await objectBytes(snap2['manifest-list']));
    expect(list.metadata).toMatchObject({
      'format-version': '2',
      'snapshot-id': String(snap2['snapshot-id']),
      'parent-snapshot-id': String(snap1['snapshot-id']),
      'sequence-number': '2',
    });
    expect(
      JSON.parse(list.metadata['avro.schema'] as string).fields.map(
        (f: { 'field-id': number }) => f['field-id'],
      ),
    ).toEqual(expect.arrayContaining([500, 501, 502, 517, 515, 516, 503, 504, 505, 506, 512, 513, 514]));
    expect(
      list.records.map((m) => [m.sequence_number, m.added_data_files_count, m.added_rows_count]),
    ).toEqual([
      [2, 1, 2],
      [1, 2, 5],
    ]);
    const manifest = await avroHeader(await objectBytes(list.records[1]?.manifest_path as string));
    expect(manifest.metadata).toMatchObject({
      'format-version': '2',
      content: 'data',
      'partition-spec-id': '0',
      'schema-id': '0',
    });
    expect(JSON.parse(manifest.metadata['partition-spec'] as string)).toEqual(
      metadata['partition-specs'][0].fields,
    );
    const entries = manifest.records as {
      status: number;
      snapshot_id: number;
      data_file: Record<string, unknown>;
    }[];
    expect(
      entries.map((e) => [e.status, e.snapshot_id, e.data_file.content, e.data_file.file_format]),
    ).toEqual([
      [1, snap1['snapshot-id'], 0, 'PARQUET'],
      [1, snap1['snapshot-id'], 0, 'PARQUET'],
    ]);
    const byHour = Object.fromEntries(
      entries.map((e) => [(e.data_file.partition as { hour: string }).hour, e.data_file]),
    );
    expect(byHour['05']).toMatchObject({ record_count: 3, partition: { dt: '2026-12-07', hour: '05' } });
    expect(byHour['06']).toMatchObject({ record_count: 2 });
    const path = byHour['05']?.file_path as string;
    expect(path).toMatch(
      new RegExp(`^s3://${BUCKET}/events/data/dt=2026-12-07/hour=05/[0-9a-f-]{36}\\.parquet$`),
    );

    // The data file (hyparquet): Iceberg's names with their field ids, its size as the manifest says.
    const bytes = await objectBytes(path);
    expect(byHour['05']?.file_size_in_bytes).toBe(bytes.length);
    const schema = parquetMetadata(new Uint8Array(bytes).buffer).schema;
    const ids = Object.fromEntries(
      schema.filter((e) => e.field_id !== undefined).map((e) => [e.name, e.field_id]),
    );
    expect(ids).toEqual({
      id: ID.id,
      amount: ID.amount,
      card: ID.card,
      ok: ID.ok,
      geo: ID.geo,
      country: ID.country,
      tags: ID.tags,
      key: ID.tagKey,
      value: ID.tagValue,
      dt: ID.dt,
      hour: ID.hour,
    });

    // The record that did not convert, as it came, under the table's error prefix.
    const errors = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'errors/events/' }));
    expect(errors.Contents).toHaveLength(1);
    const document = JSON.parse(
      (await objectBytes(`s3://${BUCKET}/${errors.Contents?.[0]?.Key}`)).toString('utf8'),
    );
    expect(Buffer.from(document.rawData, 'base64').toString('utf8')).toBe(JSON.stringify(bad));
    expect(document.errorMessage).toMatch(/id: "not-a-number" is not a bigint/);

    // What the product's Iceberg alarms read.
    const dims = [{ Name: 'DeliveryStreamName', Value: 'events-to-iceberg' }];
    const store = cloud.services.cloudwatch.store;
    expect(store.get('AWS/Firehose', 'DeliveryToIceberg.Success', dims)?.samples.map((s) => s.max)).toEqual([
      1, 1,
    ]);
    expect(
      store.get('AWS/Firehose', 'DeliveryToIceberg.FailedRowCount', dims)?.samples.map((s) => s.sum),
    ).toEqual([1, 0]);
    expect(store.get('AWS/Firehose', 'DeliveryToIceberg.DataFreshness', dims)?.samples).toHaveLength(2);
  });
});
