import { describe, expect, it } from 'vitest';
import { resourcesOf, synthesize } from '../cdk/synth.js';
import { specA, specB } from '../support/evolving-spec.js';

interface GlueColumn {
  Name: string;
  Type: string;
}

/** The raw archive's Glue table and the delivery stream whose Parquet conversion reads it, of one synth. */
function rawArchiveOf(spec: typeof specA) {
  const { template } = synthesize({}, spec);
  const tables = Object.entries(resourcesOf(template, 'AWS::Glue::Table')).filter(
    ([, table]) => (table.Properties?.TableInput as { Name?: string } | undefined)?.Name === 'raw_events',
  );
  expect(tables).toHaveLength(1);
  const [tableId, table] = tables[0] as (typeof tables)[number];
  const input = table.Properties?.TableInput as {
    Name: string;
    PartitionKeys: GlueColumn[];
    StorageDescriptor: { Columns: GlueColumn[] };
  };
  const streams = Object.entries(resourcesOf(template, 'AWS::KinesisFirehose::DeliveryStream')).filter(
    ([, stream]) => JSON.stringify(stream.Properties).includes('"TableName":"raw_events"'),
  );
  expect(streams).toHaveLength(1);
  const [streamId, stream] = streams[0] as (typeof streams)[number];
  const destination = stream.Properties?.ExtendedS3DestinationConfiguration as {
    DataFormatConversionConfiguration: { SchemaConfiguration: Record<string, unknown> };
  };
  const conversion = destination.DataFormatConversionConfiguration.SchemaConfiguration;
  return {
    tableId,
    catalog: table.Properties?.CatalogId,
    database: table.Properties?.DatabaseName,
    name: input.Name,
    partitionKeys: input.PartitionKeys,
    columns: Object.fromEntries(input.StorageDescriptor.Columns.map((c) => [c.Name, c.Type])),
    streamId,
    conversion,
  };
}

describe('an event-schema change in the template', { timeout: 120_000 }, () => {
  it('updates the raw archive Glue table in place, the column added and retyped, and Firehose keeps reading it', () => {
    const before = rawArchiveOf(specA);
    const after = rawArchiveOf(specB);

    // The same resource, with every property that would replace it unchanged: CloudFormation updates it in place.
    expect(after.tableId).toBe(before.tableId);
    expect(after.catalog).toEqual(before.catalog);
    expect(after.database).toEqual(before.database);
    expect(after.name).toBe(before.name);
    expect(after.partitionKeys).toEqual(before.partitionKeys);

    // qty widened, tip and channel added, every other column as it was.
    expect(before.columns.qty).toBe('bigint');
    const { qty, tip, channel, ...rest } = after.columns;
    expect({ qty, tip, channel }).toEqual({ qty: 'double', tip: 'double', channel: 'string' });
    const { qty: _qty, ...restBefore } = before.columns;
    expect(rest).toEqual(restBefore);

    // The delivery stream stays, converting with the latest version of the same table.
    expect(after.streamId).toBe(before.streamId);
    expect(after.conversion).toEqual(before.conversion);
    expect(after.conversion).toMatchObject({
      TableName: after.name,
      VersionId: 'LATEST',
      DatabaseName: after.database,
    });
  });
});
