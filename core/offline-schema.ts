import { compileFieldPath } from './field-path.js';
import { SpecError } from './spec/errors.js';
import { NUMERIC_AGGREGATIONS, type Spec } from './spec/types.js';

/**
 * The offline store's table schemas, derived from the spec: the CDK app declares them in Glue, and the writers
 * (the features and scoring Lambdas) put JSON records whose keys are these column names.
 */

/** A column type: a Hive primitive, or a struct or map of them (Firehose's Parquet conversion reads nested JSON). */
export type ColumnType =
  | 'bigint'
  | 'string'
  | 'double'
  | 'boolean'
  | { readonly struct: readonly Column[] }
  | { readonly map: { readonly key: 'string'; readonly value: ColumnType } };

export interface Column {
  readonly name: string;
  readonly type: ColumnType;
  readonly comment: string;
}

/** The Glue (Hive) spelling of a type: `struct<a:double,b:string>`, `map<string,string>`. */
export function hiveType(type: ColumnType): string {
  if (typeof type === 'string') return type;
  if ('struct' in type) return `struct<${type.struct.map((f) => `${f.name}:${hiveType(f.type)}`).join(',')}>`;
  return `map<${type.map.key},${hiveType(type.map.value)}>`;
}

/** Hive-style partitions of both tables: the UTC date and hour the record reached Firehose. */
export const PARTITION_KEYS: readonly Column[] = [
  { name: 'dt', type: 'string', comment: 'arrival date, UTC, yyyy-MM-dd' },
  { name: 'hour', type: 'string', comment: 'arrival hour, UTC, 00-23' },
];

/** The dt/hour partition values of an instant (epoch ms, UTC), for writers whose records carry them (Iceberg). */
export function partitionValues(epochMs: number): { dt: string; hour: string } {
  const iso = new Date(epochMs).toISOString();
  return { dt: iso.slice(0, 10), hour: iso.slice(11, 13) };
}

/** Every record as Kinesis delivered it, enough to replay the stream (adapters/side-outputs/layout.ts). */
export const RAW_ARCHIVE_BASE_COLUMNS: readonly Column[] = [
  { name: 'arrival_ms', type: 'bigint', comment: 'Kinesis ApproximateArrivalTimestamp, epoch ms' },
  { name: 'shard_id', type: 'string', comment: 'Kinesis shard id' },
  { name: 'sequence_number', type: 'string', comment: 'Kinesis sequence number' },
  { name: 'partition_key', type: 'string', comment: 'Kinesis partition key' },
  {
    name: 'data',
    type: 'string',
    comment: 'the record data: UTF-8 text, or base64 when data_encoding says so',
  },
  { name: 'data_encoding', type: 'string', comment: '"base64" when data is not UTF-8, else null' },
];

/** A field path as a column name: `geo.country` → `geo_country`. */
export function columnName(fieldPath: string): string {
  return fieldPath.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

/**
 * The raw archive's columns: the base columns, then one typed column per spec field (time, id, entity keys,
 * aggregated fields, then the event fields declared in `event.fields` that nothing else reads), named by
 * `columnName`. A declared field has its declared type (`int` a `bigint`); an undeclared one only numeric
 * aggregations read is `double`, any other `string`.
 */
export function rawArchiveColumns(spec: Spec): Column[] {
  const specColumns = archiveFields(spec).map(
    ({ path, type, role }): Column => ({ name: columnName(path), type, comment: `${role}: ${path}` }),
  );
  return checkUnique([...RAW_ARCHIVE_BASE_COLUMNS, ...specColumns], 'raw archive');
}

const DECLARED_COLUMN_TYPES = { int: 'bigint', double: 'double', string: 'string' } as const;

/** The spec fields the raw archive types, in column order, with their column types and what each is. */
function archiveFields(spec: Spec): { path: string; type: 'bigint' | 'double' | 'string'; role: string }[] {
  const fields = new Map<string, { numericOnly: boolean; role: string }>();
  const use = (path: string, numeric: boolean, role: string) => {
    const seen = fields.get(path);
    if (seen) seen.numericOnly &&= numeric;
    else fields.set(path, { numericOnly: numeric, role });
  };
  use(spec.event.timeField, false, 'event time field');
  if (spec.event.idField !== undefined) use(spec.event.idField, false, 'event id field');
  for (const [entity, keys] of Object.entries(spec.entities)) {
    for (const key of keys) use(key, false, `key field of entity ${entity}`);
  }
  for (const feature of spec.features) {
    if (feature.field !== undefined) {
      use(feature.field, NUMERIC_AGGREGATIONS.includes(feature.agg), `field of feature ${feature.name}`);
    }
  }
  const declared = spec.event.fields ?? {};
  for (const path of Object.keys(declared)) use(path, false, 'declared event field');
  return [...fields].map(([path, { numericOnly, role }]) => {
    const type = declared[path];
    return {
      path,
      type: type !== undefined ? DECLARED_COLUMN_TYPES[type] : numericOnly ? 'double' : 'string',
      role,
    };
  });
}

/**
 * The feature log's columns: one line per scoring request as the scoring Lambda writes it
 * (lambdas/score/score-handler.ts), the feature vector typed from the spec (`last` a string, every other
 * aggregation a double).
 */
export function featureLogColumns(spec: Spec): Column[] {
  const features = checkUnique(
    spec.features.map(
      (feature): Column => ({
        name: columnName(feature.name),
        type: feature.agg === 'last' ? 'string' : 'double',
        comment: `${feature.agg} over ${feature.window}`,
      }),
    ),
    'feature log (features struct)',
    false,
  );
  return checkUnique(
    [
      { name: 'request_id', type: 'string', comment: 'API Gateway request id' },
      { name: 'request_ms', type: 'bigint', comment: 'when the request arrived, epoch ms' },
      { name: 't', type: 'bigint', comment: 'the time the features were read as of, epoch ms' },
      {
        name: 'entities',
        type: { map: { key: 'string', value: { map: { key: 'string', value: 'string' } } } },
        comment: 'entity name to its key fields and values',
      },
      { name: 'features', type: { struct: features }, comment: 'the feature vector the model scored' },
      { name: 'score', type: 'double', comment: 'the model output' },
      { name: 'model_version', type: 'string', comment: 'the model version that answered' },
      { name: 'backend', type: 'string', comment: 'embedded or sagemaker' },
      {
        name: 'fallback',
        type: 'boolean',
        comment: 'true when the assigned model failed and another answered',
      },
      {
        name: 'variant',
        type: 'string',
        comment: 'champion or challenger: the model the request was assigned to',
      },
      {
        name: 'shadow_score',
        type: 'double',
        comment: 'shadow mode: the challenger score of the same features (null if it failed)',
      },
      {
        name: 'shadow_model_version',
        type: 'string',
        comment: 'shadow mode: the challenger that scored',
      },
      {
        name: 'spec_hash',
        type: 'string',
        comment: 'the content hash of the spec the features were computed under',
      },
      {
        name: 'fingerprints',
        type: { map: { key: 'string', value: 'string' } },
        comment: "feature name to its definition's fingerprint under that spec",
      },
    ],
    'feature log',
  );
}

function checkUnique(columns: Column[], table: string, topLevel = true): Column[] {
  const seen = new Map<string, Column>();
  const reserved = new Set(topLevel ? PARTITION_KEYS.map((c) => c.name) : []);
  for (const column of columns) {
    if (reserved.has(column.name)) {
      throw new SpecError([
        `${table} table: column "${column.name}" (${column.comment}) is a partition key of the offline store; rename the field`,
      ]);
    }
    const earlier = seen.get(column.name);
    if (earlier) {
      throw new SpecError([
        `${table} table: column "${column.name}" (${column.comment}) collides with (${earlier.comment}); rename one`,
      ]);
    }
    seen.set(column.name, column);
  }
  return columns;
}

/** A raw archive record's typed spec columns, by column name. */
export type ArchiveColumnValues = Record<string, string | number | null>;

/**
 * Reads the raw archive's typed spec columns (rawArchiveColumns after the base ones) out of an event's JSON body:
 * a `bigint` column takes a safe integer and nothing else; a `double` column takes a finite number and nothing else; a `string` column takes a string as it is, a number or
 * boolean spelled out, an object or array as JSON. Anything absent or unreadable is null: the `data` column keeps
 * the record whole, so nothing is lost.
 */
export function compileArchiveColumns(spec: Spec): (body: unknown) => ArchiveColumnValues {
  rawArchiveColumns(spec); // fails on colliding column names
  const columns = archiveFields(spec).map(({ path, type }) => ({
    name: columnName(path),
    value: type === 'bigint' ? integerOrNull : type === 'double' ? numberOrNull : stringOrNull,
    get: compileFieldPath(path),
  }));
  return (body) => {
    const values: ArchiveColumnValues = {};
    const event =
      body !== null && typeof body === 'object' && !Array.isArray(body)
        ? (body as Record<string, unknown>)
        : undefined;
    for (const column of columns) values[column.name] = column.value(event ? column.get(event) : undefined);
    return values;
  };
}

/** A `bigint` column takes a whole number a double holds exactly, and nothing else. */
function integerOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : null;
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function stringOrNull(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
