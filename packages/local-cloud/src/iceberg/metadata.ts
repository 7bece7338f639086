/**
 * Iceberg table metadata files (table spec v2, "Table Metadata"): the first one, as Glue's CreateTable with an
 * `IcebergInput` writes it (schema, partition spec, no snapshot), and each next one an append commits (a new
 * snapshot, its log entries, the previous file in the metadata log). Pure: no I/O.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import { fieldIds, type IcebergSchema, IcebergSchemaError } from './schema.js';

export interface PartitionField {
  readonly name: string;
  readonly transform: string;
  readonly 'source-id': number;
  readonly 'field-id': number;
}

export interface PartitionSpec {
  readonly 'spec-id': number;
  readonly fields: readonly PartitionField[];
}

export interface Snapshot {
  readonly 'sequence-number': number;
  readonly 'snapshot-id': number;
  readonly 'parent-snapshot-id'?: number;
  readonly 'timestamp-ms': number;
  readonly summary: Readonly<Record<string, string>>;
  readonly 'manifest-list': string;
  readonly 'schema-id': number;
}

export interface TableMetadata {
  readonly 'format-version': 2;
  readonly 'table-uuid': string;
  readonly location: string;
  readonly 'last-sequence-number': number;
  readonly 'last-updated-ms': number;
  readonly 'last-column-id': number;
  readonly 'current-schema-id': number;
  readonly schemas: readonly IcebergSchema[];
  readonly 'default-spec-id': number;
  readonly 'partition-specs': readonly PartitionSpec[];
  readonly 'last-partition-id': number;
  readonly 'default-sort-order-id': number;
  readonly 'sort-orders': readonly { 'order-id': number; fields: readonly unknown[] }[];
  readonly properties: Readonly<Record<string, string>>;
  readonly 'current-snapshot-id': number;
  readonly refs: Readonly<Record<string, { 'snapshot-id': number; type: 'branch' | 'tag' }>>;
  readonly snapshots: readonly Snapshot[];
  readonly statistics: readonly unknown[];
  readonly 'snapshot-log': readonly { 'timestamp-ms': number; 'snapshot-id': number }[];
  readonly 'metadata-log': readonly { 'timestamp-ms': number; 'metadata-file': string }[];
}

/** A partition spec has no fields below 1000: its ids start there (the spec's PARTITION_DATA_ID_START). */
const PARTITION_ID_START = 1000;
/** How a metadata file is named: `<5-digit version>-<uuid>.metadata.json` (Java's TableOperations). */
const METADATA_FILE = /\/metadata\/(\d{5,})-[0-9a-f-]{36}\.metadata\.json$/;

/** The table's location without its trailing slash, as Iceberg writers keep it. */
export function tableLocation(location: string): string {
  return location.replace(/\/+$/, '');
}

/** The path of metadata file `version` of a table: `<location>/metadata/0000N-<uuid>.metadata.json`. */
export function metadataFilePath(location: string, version: number): string {
  return `${tableLocation(location)}/metadata/${String(version).padStart(5, '0')}-${randomUUID()}.metadata.json`;
}

/** The version number in a metadata file's name (0 for `00000-...`), or undefined for another name. */
export function metadataVersion(path: string): number | undefined {
  const match = METADATA_FILE.exec(path);
  return match ? Number(match[1]) : undefined;
}

/**
 * A snapshot id: a random positive 53-bit integer. Iceberg ids are longs; keeping them inside JavaScript's
 * exact integers lets any JSON reader (and JSON.parse) read the metadata without losing digits.
 */
export function newSnapshotId(): number {
  return Number(randomBytes(8).readBigUInt64BE() >> 11n) || 1;
}

/** The first metadata file of a new table: version 0, no snapshot. */
export function initialMetadata(input: {
  location: string;
  schema: IcebergSchema;
  partitionSpec: PartitionSpec;
  properties: Readonly<Record<string, string>>;
  nowMs: number;
  table: string;
}): TableMetadata {
  const ids = fieldIds(input.schema);
  const seen = new Set<number>();
  for (const id of ids) {
    if (seen.has(id))
      throw new IcebergSchemaError(`Iceberg table ${input.table}: field id ${id} is used twice`);
    seen.add(id);
  }
  for (const field of input.partitionSpec.fields) {
    const source = input.schema.fields.find((f) => f.id === field['source-id']);
    if (source === undefined) {
      throw new IcebergSchemaError(
        `Iceberg table ${input.table}: partition field ${field.name} has source id ${field['source-id']}, ` +
          'which is not a top-level field of the schema',
      );
    }
    if (field.transform !== 'identity') {
      throw new IcebergSchemaError(
        `Iceberg table ${input.table}: partition field ${field.name} has transform ${field.transform}; the ` +
          'local writer partitions by identity only',
      );
    }
    if (typeof source.type !== 'string') {
      throw new IcebergSchemaError(
        `Iceberg table ${input.table}: partition field ${field.name} reads ${source.name}, which is not a primitive`,
      );
    }
  }
  const partitionIds = input.partitionSpec.fields.map((f) => f['field-id']);
  return {
    'format-version': 2,
    'table-uuid': randomUUID(),
    location: tableLocation(input.location),
    'last-sequence-number': 0,
    'last-updated-ms': input.nowMs,
    'last-column-id': Math.max(0, ...ids),
    'current-schema-id': input.schema['schema-id'],
    schemas: [input.schema],
    'default-spec-id': input.partitionSpec['spec-id'],
    'partition-specs': [input.partitionSpec],
    'last-partition-id': Math.max(PARTITION_ID_START - 1, ...partitionIds),
    'default-sort-order-id': 0,
    'sort-orders': [{ 'order-id': 0, fields: [] }],
    properties: input.properties,
    'current-snapshot-id': -1,
    refs: {},
    snapshots: [],
    statistics: [],
    'snapshot-log': [],
    'metadata-log': [],
  };
}

/** What an append adds: its data files' counts, the manifest list that holds them. */
export interface AppendCommit {
  readonly snapshotId: number;
  readonly sequenceNumber: number;
  readonly manifestList: string;
  readonly addedFiles: number;
  readonly addedRecords: number;
  readonly addedBytes: number;
  readonly changedPartitions: number;
  readonly nowMs: number;
}

/** The snapshot an append makes, on top of the table's current one. */
export function appendSnapshot(previous: TableMetadata, commit: AppendCommit): Snapshot {
  const parent = currentSnapshot(previous);
  const total = (key: string, added: number) => String(Number(parent?.summary[key] ?? 0) + added);
  return {
    'sequence-number': commit.sequenceNumber,
    'snapshot-id': commit.snapshotId,
    ...(parent === undefined ? {} : { 'parent-snapshot-id': parent['snapshot-id'] }),
    'timestamp-ms': commit.nowMs,
    summary: {
      operation: 'append',
      'added-data-files': String(commit.addedFiles),
      'added-records': String(commit.addedRecords),
      'added-files-size': String(commit.addedBytes),
      'changed-partition-count': String(commit.changedPartitions),
      'total-records': total('total-records', commit.addedRecords),
      'total-files-size': total('total-files-size', commit.addedBytes),
      'total-data-files': total('total-data-files', commit.addedFiles),
      'total-delete-files': '0',
      'total-position-deletes': '0',
      'total-equality-deletes': '0',
    },
    'manifest-list': commit.manifestList,
    'schema-id': previous['current-schema-id'],
  };
}

/** The metadata after an append: the new snapshot current on `main`, the previous file in the metadata log. */
export function nextMetadata(
  previous: TableMetadata,
  previousFile: string,
  previousWrittenMs: number,
  snapshot: Snapshot,
): TableMetadata {
  return {
    ...previous,
    'last-sequence-number': snapshot['sequence-number'],
    'last-updated-ms': snapshot['timestamp-ms'],
    'current-snapshot-id': snapshot['snapshot-id'],
    refs: { ...previous.refs, main: { 'snapshot-id': snapshot['snapshot-id'], type: 'branch' } },
    snapshots: [...previous.snapshots, snapshot],
    'snapshot-log': [
      ...previous['snapshot-log'],
      { 'timestamp-ms': snapshot['timestamp-ms'], 'snapshot-id': snapshot['snapshot-id'] },
    ],
    'metadata-log': [
      ...previous['metadata-log'],
      { 'timestamp-ms': previousWrittenMs, 'metadata-file': previousFile },
    ],
  };
}

export function currentSnapshot(metadata: TableMetadata): Snapshot | undefined {
  return metadata.snapshots.find((s) => s['snapshot-id'] === metadata['current-snapshot-id']);
}

export function currentSchema(metadata: TableMetadata): IcebergSchema {
  const schema = metadata.schemas.find((s) => s['schema-id'] === metadata['current-schema-id']);
  if (schema === undefined) throw new IcebergSchemaError('the table metadata has no current schema');
  return schema;
}

export function defaultSpec(metadata: TableMetadata): PartitionSpec {
  const spec = metadata['partition-specs'].find((s) => s['spec-id'] === metadata['default-spec-id']);
  if (spec === undefined) throw new IcebergSchemaError('the table metadata has no default partition spec');
  return spec;
}

/**
 * The metadata after a table's definition changes (a stack update of its Glue table): a schema that differs
 * becomes a new schema (next schema id) and the current one, a partition spec that differs becomes a new default
 * spec, the properties are replaced; snapshots and history stay, so readers find every earlier file by field id.
 * Undefined when nothing changed.
 */
export function evolvedMetadata(
  previous: TableMetadata,
  previousFile: string,
  next: { schema: IcebergSchema; partitionSpec: PartitionSpec; properties: Readonly<Record<string, string>> },
  nowMs: number,
): TableMetadata | undefined {
  const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const schema = currentSchema(previous);
  const spec = defaultSpec(previous);
  const schemaChanged = !sameJson(schema.fields, next.schema.fields);
  const specChanged = !sameJson(spec.fields, next.partitionSpec.fields);
  const propertiesChanged = !sameJson(previous.properties, next.properties);
  if (!schemaChanged && !specChanged && !propertiesChanged) return undefined;
  const schemaId = Math.max(...previous.schemas.map((s) => s['schema-id'])) + 1;
  const specId = Math.max(...previous['partition-specs'].map((s) => s['spec-id'])) + 1;
  const ids = fieldIds(next.schema);
  return {
    ...previous,
    'last-updated-ms': Math.max(nowMs, previous['last-updated-ms']),
    'last-column-id': Math.max(previous['last-column-id'], ...ids),
    ...(schemaChanged
      ? {
          'current-schema-id': schemaId,
          schemas: [...previous.schemas, { ...next.schema, 'schema-id': schemaId }],
        }
      : {}),
    ...(specChanged
      ? {
          'default-spec-id': specId,
          'partition-specs': [...previous['partition-specs'], { ...next.partitionSpec, 'spec-id': specId }],
          'last-partition-id': Math.max(
            previous['last-partition-id'],
            ...next.partitionSpec.fields.map((f) => f['field-id']),
          ),
        }
      : {}),
    properties: next.properties,
    'metadata-log': [
      ...previous['metadata-log'],
      { 'timestamp-ms': previous['last-updated-ms'], 'metadata-file': previousFile },
    ],
  };
}
