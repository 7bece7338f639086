/**
 * The Iceberg option as CloudFormation and Glue take it: each table in the one shape AWS documents (no
 * `TableInput` next to `OpenTableFormatInput`), and the writers putting the partition values the tables declare.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryRecordStreamWriter } from '../../adapters/firehose/record-stream-writer.js';
import { EmbeddedModel } from '../../adapters/model/embedded-model.js';
import { compileSpec, type InputRecord, parseSpecJson } from '../../core/index.js';
import {
  compileArchiveColumns,
  featureLogColumns,
  PARTITION_KEYS,
  rawArchiveColumns,
} from '../../core/offline-schema.js';
import placeholder from '../../examples/fraud/models/placeholder-untrained-0.json' with { type: 'json' };
import { readFeaturesConfig } from '../../lambdas/features/config.js';
import { createFeaturesHandler } from '../../lambdas/features/features-handler.js';
import { readScoreConfig } from '../../lambdas/score/config.js';
import { createScoreHandler } from '../../lambdas/score/score-handler.js';
import { httpApiEvent } from '../../lambdas/shared/http.js';
import { kinesisStreamEvent } from '../../lambdas/shared/kinesis-records.js';
import {
  ICEBERG_ORPHAN_FILE_RETENTION_DAYS,
  ICEBERG_SNAPSHOT_RETENTION_DAYS,
} from '../../lib/iceberg-optimizers.js';
import { icebergFieldId, icebergSchemaFields } from '../../lib/offline-tables.js';
import { creatorFor } from '../../packages/local-cloud/src/deploy/engine.js';
import { RECORDED_TYPES } from '../../packages/local-cloud/src/deploy/recorded-types.js';
import {
  actionsOf,
  logicalIdOf,
  resourcesOf,
  type Synthesized,
  statementsOfRole,
  synthesize,
} from '../cdk/synth.js';

const spec = parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8'));

interface IcebergField {
  readonly Id: number;
  readonly Name: string;
  readonly Type: string;
}
interface IcebergTableInput {
  readonly Location: unknown;
  readonly Schema: { readonly Fields: readonly IcebergField[] };
  readonly PartitionSpec: {
    readonly Fields: readonly { Name: string; SourceId: number; Transform: string }[];
  };
}
interface GlueTableProps {
  readonly Name?: string;
  readonly TableInput?: { readonly Name?: string; readonly StorageDescriptor?: { Columns?: unknown[] } };
  readonly OpenTableFormatInput?: {
    readonly IcebergInput: {
      MetadataOperation: string;
      Version: string;
      IcebergTableInput?: IcebergTableInput;
    };
  };
}

function glueTables(synth: Synthesized): GlueTableProps[] {
  return Object.values(resourcesOf(synth.template, 'AWS::Glue::Table')).map(
    (resource) => resource.Properties as GlueTableProps,
  );
}

function icebergTable(synth: Synthesized, name: string): IcebergTableInput {
  const table = glueTables(synth).find((t) => t.Name === name);
  const input = table?.OpenTableFormatInput?.IcebergInput.IcebergTableInput;
  if (!input) throw new Error(`no Iceberg table ${name}`);
  return input;
}

/** The names of the columns a table's partition spec reads. */
function partitionColumns(table: IcebergTableInput): string[] {
  return table.PartitionSpec.Fields.map((field) => {
    const source = table.Schema.Fields.find((f) => f.Id === field.SourceId);
    if (!source) throw new Error(`partition field ${field.Name} reads no schema field (${field.SourceId})`);
    return source.Name;
  });
}

/** A function's environment as Lambda would see it: CloudFormation references replaced by placeholder names. */
function environmentOf(synth: Synthesized, variable: string): Record<string, string> {
  const fn = Object.values(resourcesOf(synth.template, 'AWS::Lambda::Function')).find((f) => {
    const variables = (f.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
      ?.Variables;
    return variables?.[variable] !== undefined;
  });
  const variables = (fn?.Properties?.Environment as { Variables: Record<string, unknown> } | undefined)
    ?.Variables;
  if (!variables) throw new Error(`no function has ${variable}`);
  return Object.fromEntries(
    Object.entries(variables).map(([key, value]) => [
      key,
      typeof value === 'string' ? value : `resolved-${key.toLowerCase()}`,
    ]),
  );
}

const quiet = {
  logger: { info: () => {}, warn: () => {}, error: () => {}, addContext: () => {} },
  metrics: { addMetric: () => {}, publishStoredMetrics: () => {} } as never,
};

/** The raw-archive lines the features function sends for one record, configured by `env`. */
async function archivedLines(
  env: Record<string, string>,
  record: InputRecord,
): Promise<Record<string, unknown>[]> {
  const config = readFeaturesConfig(env);
  const rawArchive = new MemoryRecordStreamWriter();
  const handler = createFeaturesHandler({
    store: { applyBatch: async () => ({ counted: [], rejected: [], retryFrom: [], errors: [] }) },
    sideOutputs: { put: async () => {} },
    rawArchive,
    archiveColumns: compileArchiveColumns(spec),
    archivePartitionFields: config.rawArchivePartitionFields === 'dt-hour',
    prefixes: { quarantine: 'quarantine/', late: 'late/', rawOversize: 'raw-oversize/' },
    ...quiet,
  });
  await handler(kinesisStreamEvent([record]));
  return rawArchive.lines() as Record<string, unknown>[];
}

/** The feature-log lines the scoring function sends for one request at `nowMs`, configured by `env`. */
async function loggedLines(env: Record<string, string>, nowMs: number): Promise<Record<string, unknown>[]> {
  const config = readScoreConfig(env);
  const featureLog = new MemoryRecordStreamWriter();
  const handler = createScoreHandler({
    spec: compileSpec(spec),
    store: { readFeatures: async (requests) => requests.map(() => ({ card_txn_count_10m: 1 })) },
    model: EmbeddedModel.fromDocument(placeholder),
    featureLog,
    featureLogPartitionFields: config.featureLogPartitionFields === 'dt-hour',
    now: () => nowMs,
    ...quiet,
  });
  await handler(httpApiEvent({ entities: { card: { card_id: 'c1' } } }));
  return featureLog.lines() as Record<string, unknown>[];
}

// 2026-03-01T17:42:05.123Z
const ARRIVAL_MS = Date.UTC(2026, 2, 1, 17, 42, 5, 123);
const record: InputRecord = {
  data: new TextEncoder().encode('{"ts":1700000000000,"event_id":"e1","card_id":"c1","amount":3}'),
  arrivalMs: ARRIVAL_MS,
  shardId: 'shardId-000000000000',
  sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
  partitionKey: 'c1',
};

let iceberg: Synthesized;
let parquet: Synthesized;
beforeAll(() => {
  iceberg = synthesize({ offlineFormat: 'iceberg' });
  parquet = synthesize();
});

describe('Iceberg tables', () => {
  it('fails if a table sends TableInput (StorageDescriptor columns or only a name) next to IcebergInput', () => {
    const tables = glueTables(iceberg);
    expect(tables.map((t) => t.Name).sort()).toEqual(['feature_log', 'raw_events']);
    for (const table of tables) {
      expect(table.TableInput).toBeUndefined();
      expect(table.OpenTableFormatInput?.IcebergInput).toMatchObject({
        MetadataOperation: 'CREATE',
        Version: '2',
        IcebergTableInput: { Location: expect.anything(), Schema: expect.anything() },
      });
    }
  });

  it('keeps the Parquet tables as Hive tables: TableInput and no IcebergInput', () => {
    for (const table of glueTables(parquet)) {
      expect(table.OpenTableFormatInput).toBeUndefined();
      expect(table.TableInput?.StorageDescriptor?.Columns?.length).toBeGreaterThan(0);
    }
  });

  it('declares every column the Parquet table has, and partitions by identity on dt and hour', () => {
    const expected = {
      raw_events: rawArchiveColumns(spec),
      feature_log: featureLogColumns(spec),
    };
    for (const [name, columns] of Object.entries(expected)) {
      const table = icebergTable(iceberg, name);
      expect(table.Schema.Fields.map((f) => f.Name)).toEqual([
        ...columns.map((c) => c.name),
        ...PARTITION_KEYS.map((k) => k.name),
      ]);
      const ids = table.Schema.Fields.map((f) => f.Id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(partitionColumns(table)).toEqual(['dt', 'hour']);
      expect(table.PartitionSpec.Fields.map((f) => f.Transform)).toEqual(['identity', 'identity']);
    }
  });

  it('points each Firehose Iceberg destination at a table the template declares', () => {
    const names = new Set(glueTables(iceberg).map((t) => t.Name));
    const streams = Object.values(resourcesOf(iceberg.template, 'AWS::KinesisFirehose::DeliveryStream'));
    const destinations = streams.flatMap((s) => {
      const config = s.Properties?.IcebergDestinationConfiguration as
        | { DestinationTableConfigurationList: { DestinationTableName: string }[] }
        | undefined;
      return config?.DestinationTableConfigurationList ?? [];
    });
    expect(destinations.map((d) => d.DestinationTableName).sort()).toEqual(['feature_log', 'raw_events']);
    for (const d of destinations) expect(names.has(d.DestinationTableName)).toBe(true);
  });
});

describe('partition values the writers send', () => {
  it('the features function puts every partition column of raw_events in each archive record, from its arrival time', async () => {
    const lines = await archivedLines(environmentOf(iceberg, 'RAW_ARCHIVE_STREAM'), record);
    expect(lines).toHaveLength(1);
    for (const column of partitionColumns(icebergTable(iceberg, 'raw_events'))) {
      expect(lines[0]).toHaveProperty(column);
    }
    expect(lines[0]).toMatchObject({ dt: '2026-03-01', hour: '17', arrival_ms: ARRIVAL_MS });
  });

  it('the scoring function puts every partition column of feature_log in each log record, from its request time', async () => {
    const lines = await loggedLines(environmentOf(iceberg, 'FEATURE_LOG_STREAM'), ARRIVAL_MS);
    expect(lines).toHaveLength(1);
    for (const column of partitionColumns(icebergTable(iceberg, 'feature_log'))) {
      expect(lines[0]).toHaveProperty(column);
    }
    expect(lines[0]).toMatchObject({ dt: '2026-03-01', hour: '17', request_ms: ARRIVAL_MS });
  });

  it('with Parquet the records carry no dt/hour: the S3 prefix Firehose writes holds them', async () => {
    const [archived] = await archivedLines(environmentOf(parquet, 'RAW_ARCHIVE_STREAM'), record);
    const [logged] = await loggedLines(environmentOf(parquet, 'FEATURE_LOG_STREAM'), ARRIVAL_MS);
    for (const line of [archived, logged]) {
      expect(line).toBeDefined();
      expect(line).not.toHaveProperty('dt');
      expect(line).not.toHaveProperty('hour');
    }
  });
});

interface OptimizerProps {
  readonly DatabaseName: unknown;
  readonly TableName: string;
  readonly Type: string;
  readonly TableOptimizerConfiguration: {
    readonly Enabled: boolean;
    readonly RoleArn: { 'Fn::GetAtt': [string, string] };
    readonly [key: string]: unknown;
  };
}

function optimizers(synth: Synthesized): { id: string; props: OptimizerProps; dependsOn: string[] }[] {
  return Object.entries(resourcesOf(synth.template, 'AWS::Glue::TableOptimizer')).map(([id, r]) => ({
    id,
    props: r.Properties as unknown as OptimizerProps,
    dependsOn: (r.DependsOn as string[] | undefined) ?? [],
  }));
}

describe('Glue table optimizers', () => {
  it('compacts, expires snapshots of and deletes orphan files from each Iceberg table, and declares none for Parquet', () => {
    const declared = optimizers(iceberg).map((o) => `${o.props.TableName}:${o.props.Type}`);
    expect(declared.sort()).toEqual(
      ['compaction', 'retention', 'orphan_file_deletion']
        .flatMap((type) => [`raw_events:${type}`, `feature_log:${type}`])
        .sort(),
    );
    expect(optimizers(parquet)).toEqual([]);
    for (const { props } of optimizers(iceberg)) {
      expect(props.TableOptimizerConfiguration.Enabled).toBe(true);
      expect(props.DatabaseName).toEqual({ Ref: expect.stringMatching(/^OfflineStoreDatabase/) });
    }
    const byType = Object.fromEntries(
      optimizers(iceberg)
        .filter((o) => o.props.TableName === 'raw_events')
        .map((o) => [o.props.Type, o.props.TableOptimizerConfiguration]),
    );
    expect(byType.compaction).toMatchObject({
      CompactionConfiguration: { IcebergConfiguration: { Strategy: 'binpack' } },
    });
    expect(byType.retention).toMatchObject({
      RetentionConfiguration: {
        IcebergConfiguration: {
          SnapshotRetentionPeriodInDays: ICEBERG_SNAPSHOT_RETENTION_DAYS,
          NumberOfSnapshotsToRetain: 1,
          CleanExpiredFiles: true,
        },
      },
    });
    expect(byType.orphan_file_deletion).toMatchObject({
      OrphanFileDeletionConfiguration: {
        IcebergConfiguration: { OrphanFileRetentionPeriodInDays: ICEBERG_ORPHAN_FILE_RETENTION_DAYS },
      },
    });
  });

  it("runs each optimizer with its own table's role, created after the table and the role's policy", () => {
    const store = iceberg.pipeline.offlineStore;
    for (const dataset of [store.rawArchive, store.featureLog]) {
      const role = dataset.optimizers?.role;
      if (!role) throw new Error(`${dataset.node.path} has no optimizers`);
      const roleId = logicalIdOf(iceberg.stack, role);
      const tableId = logicalIdOf(iceberg.stack, dataset.table);
      const policyId = logicalIdOf(iceberg.stack, role.node.findChild('DefaultPolicy'));
      const own = optimizers(iceberg).filter((o) => o.props.TableName === (dataset.table.name as string));
      expect(own).toHaveLength(3);
      for (const o of own) {
        expect(o.props.TableOptimizerConfiguration.RoleArn).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
        expect(o.dependsOn).toEqual(expect.arrayContaining([tableId, roleId, policyId]));
      }
    }
  });

  it('gives the optimizer role what AWS documents, narrowed to its table: its location, the table, the logs, the key via S3', () => {
    const dataset = iceberg.pipeline.offlineStore.rawArchive;
    const role = dataset.optimizers?.role;
    if (!role) throw new Error('no optimizer role');
    const roleId = logicalIdOf(iceberg.stack, role);
    const trust = resourcesOf(iceberg.template, 'AWS::IAM::Role')[roleId]?.Properties
      ?.AssumeRolePolicyDocument;
    expect(trust).toMatchObject({
      Statement: [
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'glue.amazonaws.com' } },
      ],
    });
    const statements = statementsOfRole(iceberg.template, roleId);
    const granted = Object.fromEntries(
      statements.map((s) => [
        actionsOf(s).sort().join(' '),
        JSON.stringify(s.Resource) + JSON.stringify(s.Condition ?? {}),
      ]),
    );
    expect(Object.keys(granted).sort()).toEqual(
      [
        's3:DeleteObject s3:GetObject s3:PutObject',
        's3:ListBucket',
        'kms:Decrypt kms:GenerateDataKey',
        'glue:GetTable glue:UpdateTable',
        'logs:CreateLogGroup logs:CreateLogStream logs:PutLogEvents',
      ].sort(),
    );
    const objects = granted['s3:DeleteObject s3:GetObject s3:PutObject'] ?? '';
    expect(objects).toContain('/raw/*');
    expect(objects).not.toContain('/features/');
    expect(granted['kms:Decrypt kms:GenerateDataKey']).toContain('"kms:ViaService"');
    expect(granted['glue:GetTable glue:UpdateTable']).toContain('/raw_events');
    expect(granted['glue:GetTable glue:UpdateTable']).not.toContain('feature_log');
    for (const group of ['iceberg-compaction', 'iceberg-retention', 'iceberg-orphan-file-deletion']) {
      expect(granted['logs:CreateLogGroup logs:CreateLogStream logs:PutLogEvents']).toContain(
        `/aws-glue/${group}/logs:*`,
      );
    }
  });

  it('deploys on the local cloud as far as before: it creates or records every resource type of the Iceberg stack', () => {
    const types = new Set(
      Object.values(iceberg.template.toJSON().Resources as Record<string, { Type: string }>).map(
        (r) => r.Type,
      ),
    );
    const unknown = [...types].filter(
      (type) => creatorFor(type) === undefined && RECORDED_TYPES[type] === undefined,
    );
    expect(unknown).toEqual([]);
    expect(RECORDED_TYPES['AWS::Glue::TableOptimizer']).toBeDefined();
  });
});

/** Every field id of a table's schema by the field's path, nested ones included (`features.card_txn_count_10m`). */
function idsByPath(table: IcebergTableInput): Map<string, number> {
  const ids = new Map<string, number>();
  const visit = (type: unknown, path: string) => {
    if (typeof type !== 'object' || type === null) return;
    const nested = type as { fields?: { id: number; name: string; type: unknown }[]; [k: string]: unknown };
    for (const f of nested.fields ?? []) {
      ids.set(`${path}.${f.name}`, f.id);
      visit(f.type, `${path}.${f.name}`);
    }
    if (nested.type === 'map') {
      ids.set(`${path}.key`, nested['key-id'] as number);
      ids.set(`${path}.value`, nested['value-id'] as number);
      visit(nested.value, `${path}.value`);
    }
  };
  for (const field of table.Schema.Fields) {
    ids.set(field.Name, field.Id);
    visit(field.Type.startsWith('{') ? JSON.parse(field.Type) : field.Type, field.Name);
  }
  return ids;
}

describe('Iceberg field ids', () => {
  it('keeps every existing column id when the spec adds an event field in the middle (and a feature in the middle)', () => {
    const features = [...spec.features];
    features.splice(3, 0, {
      ...features[2],
      name: 'card_tip_sum_1h',
      agg: 'sum',
      field: 'tip',
    } as (typeof features)[number]);
    const entities = Object.entries(spec.entities);
    entities.splice(1, 0, ['device', ['device_id']]);
    const grown = parseSpecJson(
      JSON.stringify({ ...spec, entities: Object.fromEntries(entities), features }),
    );
    const after = synthesize({ offlineFormat: 'iceberg' }, grown);
    for (const name of ['raw_events', 'feature_log']) {
      const before = idsByPath(icebergTable(iceberg, name));
      const now = idsByPath(icebergTable(after, name));
      expect(now.size).toBeGreaterThan(before.size);
      for (const [path, id] of before) expect({ path, id: now.get(path) }).toEqual({ path, id });
      const ids = [...now.values()];
      expect(new Set(ids).size).toBe(ids.length);
    }
    // The new columns really sit between old ones, so position-based ids would have moved.
    const names = icebergTable(after, 'raw_events').Schema.Fields.map((f) => f.Name);
    expect(names.indexOf('device_id')).toBeLessThan(names.indexOf('merchant_id'));
    expect(names.indexOf('tip')).toBeLessThan(names.indexOf('geo_country'));
  });

  it('partitions on the ids of dt and hour, whatever columns come before them', () => {
    for (const name of ['raw_events', 'feature_log']) {
      const table = icebergTable(iceberg, name);
      expect(table.PartitionSpec.Fields.map((f) => f.SourceId)).toEqual([
        icebergFieldId('dt'),
        icebergFieldId('hour'),
      ]);
    }
  });

  it('names both fields and the table when two field paths get the same id (the synth then fails)', () => {
    // Two names whose ids collide, found by trying names until two share an id (about 40,000 tries).
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; pair === undefined; i++) {
      const name = `field_${i}`;
      const id = icebergFieldId(name);
      const earlier = seen.get(id);
      if (earlier !== undefined) pair = [earlier, name];
      seen.set(id, name);
    }
    const [first, second] = pair;
    const columns = [first, second].map((name) => ({ name, type: 'double' as const, comment: name }));
    const { problems } = icebergSchemaFields(columns, 'raw_events');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`"${first}" and "${second}"`);
    expect(problems[0]).toContain('raw_events');
    expect(icebergSchemaFields(columns.slice(0, 1), 'raw_events').problems).toEqual([]);
  });
});
