/**
 * Iceberg manifests and manifest lists (table spec v2, "Manifests" and "Manifest Lists"): Avro object
 * container files written with avsc, their Avro schemas carrying Iceberg's `field-id`s and their headers the
 * key/value metadata the spec requires, in the shape Iceberg's Java writer (and so Athena and Firehose) writes.
 */

import avro from 'avsc';
import type { PartitionSpec } from './metadata.js';
import type { IcebergSchema, IcebergType } from './schema.js';

/** One Parquet data file an append adds. */
export interface DataFile {
  readonly path: string;
  readonly sizeBytes: number;
  readonly recordCount: number;
  /** Partition values by partition field name (identity transforms: the source column's value). */
  readonly partition: Readonly<Record<string, string | number | boolean | bigint | null>>;
}

/** A manifest as a manifest list names it (spec: manifest_file). */
export interface ManifestFile {
  readonly manifest_path: string;
  readonly manifest_length: number;
  readonly partition_spec_id: number;
  readonly content: 0;
  readonly sequence_number: number;
  readonly min_sequence_number: number;
  readonly added_snapshot_id: number;
  readonly added_data_files_count: number;
  readonly existing_data_files_count: number;
  readonly deleted_data_files_count: number;
  readonly added_rows_count: number;
  readonly existing_rows_count: number;
  readonly deleted_rows_count: number;
  readonly partitions: readonly FieldSummary[] | null;
}

export interface FieldSummary {
  readonly contains_null: boolean;
  readonly contains_nan: boolean | null;
  readonly lower_bound: Buffer | null;
  readonly upper_bound: Buffer | null;
}

const AVRO_PRIMITIVES: Readonly<Record<string, string>> = {
  long: 'long',
  int: 'int',
  double: 'double',
  float: 'float',
  string: 'string',
  boolean: 'boolean',
};

const optional = (name: string, fieldId: number, type: unknown, doc: string) => ({
  name,
  type: ['null', type],
  default: null,
  'field-id': fieldId,
  doc,
});

const idMap = (keyId: number, valueId: number, value: string) => ({
  type: 'array',
  logicalType: 'map',
  items: {
    type: 'record',
    name: `k${keyId}_v${valueId}`,
    fields: [
      { name: 'key', type: 'int', 'field-id': keyId },
      { name: 'value', type: value, 'field-id': valueId },
    ],
  },
});

/** The type of a top-level column, which an identity partition field keeps. */
function sourceType(schema: IcebergSchema, sourceId: number): string {
  const type: IcebergType | undefined = schema.fields.find((f) => f.id === sourceId)?.type;
  const avroType = typeof type === 'string' ? AVRO_PRIMITIVES[type] : undefined;
  if (avroType === undefined) throw new Error(`partition source ${sourceId} is not a primitive column`);
  return avroType;
}

/** The manifest_entry Avro schema of a table's spec (its `data_file.partition` is the spec's own record). */
export function manifestEntrySchema(schema: IcebergSchema, spec: PartitionSpec): object {
  return {
    type: 'record',
    name: 'manifest_entry',
    fields: [
      { name: 'status', type: 'int', 'field-id': 0 },
      { name: 'snapshot_id', type: ['null', 'long'], default: null, 'field-id': 1 },
      { name: 'sequence_number', type: ['null', 'long'], default: null, 'field-id': 3 },
      { name: 'file_sequence_number', type: ['null', 'long'], default: null, 'field-id': 4 },
      {
        name: 'data_file',
        'field-id': 2,
        type: {
          type: 'record',
          name: 'r2',
          fields: [
            {
              name: 'content',
              type: 'int',
              'field-id': 134,
              doc: 'Contents of the file: 0=data, 1=position deletes, 2=equality deletes',
            },
            { name: 'file_path', type: 'string', 'field-id': 100, doc: 'Location URI with FS scheme' },
            {
              name: 'file_format',
              type: 'string',
              'field-id': 101,
              doc: 'File format name: avro, orc, or parquet',
            },
            {
              name: 'partition',
              'field-id': 102,
              doc: 'Partition data tuple, schema based on the partition spec',
              type: {
                type: 'record',
                name: 'r102',
                fields: spec.fields.map((f) => ({
                  name: f.name,
                  type: ['null', sourceType(schema, f['source-id'])],
                  default: null,
                  'field-id': f['field-id'],
                })),
              },
            },
            { name: 'record_count', type: 'long', 'field-id': 103, doc: 'Number of records in the file' },
            { name: 'file_size_in_bytes', type: 'long', 'field-id': 104, doc: 'Total file size in bytes' },
            optional('column_sizes', 108, idMap(117, 118, 'long'), 'Map of column id to total size on disk'),
            optional(
              'value_counts',
              109,
              idMap(119, 120, 'long'),
              'Map of column id to total count, including null and NaN',
            ),
            optional(
              'null_value_counts',
              110,
              idMap(121, 122, 'long'),
              'Map of column id to null value count',
            ),
            optional(
              'nan_value_counts',
              137,
              idMap(138, 139, 'long'),
              'Map of column id to number of NaN values in the column',
            ),
            optional('lower_bounds', 125, idMap(126, 127, 'bytes'), 'Map of column id to lower bound'),
            optional('upper_bounds', 128, idMap(129, 130, 'bytes'), 'Map of column id to upper bound'),
            optional('key_metadata', 131, 'bytes', 'Encryption key metadata blob'),
            optional(
              'split_offsets',
              132,
              { type: 'array', items: 'long', 'element-id': 133 },
              'Splittable offsets',
            ),
            optional(
              'equality_ids',
              135,
              { type: 'array', items: 'int', 'element-id': 136 },
              'Equality comparison field IDs',
            ),
            optional('sort_order_id', 140, 'int', 'Sort order ID'),
          ],
        },
      },
    ],
  };
}

/** The manifest_file Avro schema of a v2 manifest list (field names as Iceberg's Java writer keeps them). */
export const MANIFEST_FILE_SCHEMA = {
  type: 'record',
  name: 'manifest_file',
  fields: [
    { name: 'manifest_path', type: 'string', 'field-id': 500, doc: 'Location URI with FS scheme' },
    { name: 'manifest_length', type: 'long', 'field-id': 501, doc: 'Total file size in bytes' },
    { name: 'partition_spec_id', type: 'int', 'field-id': 502, doc: 'Spec ID used to write' },
    { name: 'content', type: 'int', 'field-id': 517, doc: 'Contents of the manifest: 0=data, 1=deletes' },
    {
      name: 'sequence_number',
      type: 'long',
      'field-id': 515,
      doc: 'Sequence number when the manifest was added',
    },
    {
      name: 'min_sequence_number',
      type: 'long',
      'field-id': 516,
      doc: 'Lowest sequence number in the manifest',
    },
    { name: 'added_snapshot_id', type: 'long', 'field-id': 503, doc: 'Snapshot ID that added the manifest' },
    { name: 'added_data_files_count', type: 'int', 'field-id': 504, doc: 'Added entry count' },
    { name: 'existing_data_files_count', type: 'int', 'field-id': 505, doc: 'Existing entry count' },
    { name: 'deleted_data_files_count', type: 'int', 'field-id': 506, doc: 'Deleted entry count' },
    { name: 'added_rows_count', type: 'long', 'field-id': 512, doc: 'Added rows count' },
    { name: 'existing_rows_count', type: 'long', 'field-id': 513, doc: 'Existing rows count' },
    { name: 'deleted_rows_count', type: 'long', 'field-id': 514, doc: 'Deleted rows count' },
    optional(
      'partitions',
      507,
      {
        type: 'array',
        'element-id': 508,
        items: {
          type: 'record',
          name: 'r508',
          fields: [
            {
              name: 'contains_null',
              type: 'boolean',
              'field-id': 509,
              doc: 'True if any file has a null partition value',
            },
            {
              name: 'contains_nan',
              type: ['null', 'boolean'],
              default: null,
              'field-id': 518,
              doc: 'True if any file has a nan partition value',
            },
            {
              name: 'lower_bound',
              type: ['null', 'bytes'],
              default: null,
              'field-id': 510,
              doc: 'Partition lower bound for all files',
            },
            {
              name: 'upper_bound',
              type: ['null', 'bytes'],
              default: null,
              'field-id': 511,
              doc: 'Partition upper bound for all files',
            },
          ],
        },
      },
      'Summary for each partition',
    ),
    optional('key_metadata', 519, 'bytes', 'Encryption key metadata blob'),
  ],
} as const;

/** An Avro object container file of `records`, deflated as Iceberg's writers do, with `metadata` in its header. */
export async function avroFile(
  schema: object,
  records: readonly object[],
  metadata: Readonly<Record<string, string>>,
): Promise<Buffer> {
  // avsc takes header metadata (`metadata`, values as bytes) though its type declarations leave it out.
  const options = {
    codec: 'deflate',
    metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, Buffer.from(v)])),
  };
  // Given the schema itself (not a Type), avsc writes it to the header whole, Iceberg's `field-id`s and all.
  const encoder = new avro.streams.BlockEncoder(
    schema as avro.Schema,
    options as ConstructorParameters<typeof avro.streams.BlockEncoder>[1],
  );
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    encoder.on('data', (chunk: Buffer) => chunks.push(chunk));
    encoder.on('end', () => resolve());
    encoder.on('error', reject);
  });
  for (const record of records) encoder.write(record);
  encoder.end();
  await done;
  return Buffer.concat(chunks);
}

/** A manifest of the data files one snapshot adds (every entry ADDED, its sequence number inherited). */
export function manifestOf(
  schema: IcebergSchema,
  spec: PartitionSpec,
  snapshotId: number,
  files: readonly DataFile[],
): Promise<Buffer> {
  const entries = files.map((file) => ({
    status: 1,
    snapshot_id: snapshotId,
    sequence_number: null,
    file_sequence_number: null,
    data_file: {
      content: 0,
      file_path: file.path,
      file_format: 'PARQUET',
      partition: Object.fromEntries(spec.fields.map((f) => [f.name, file.partition[f.name] ?? null])),
      record_count: file.recordCount,
      file_size_in_bytes: file.sizeBytes,
      column_sizes: null,
      value_counts: null,
      null_value_counts: null,
      nan_value_counts: null,
      lower_bounds: null,
      upper_bounds: null,
      key_metadata: null,
      split_offsets: null,
      equality_ids: null,
      sort_order_id: 0,
    },
  }));
  return avroFile(manifestEntrySchema(schema, spec), entries, {
    schema: JSON.stringify(schema),
    'schema-id': String(schema['schema-id']),
    'partition-spec': JSON.stringify(spec.fields),
    'partition-spec-id': String(spec['spec-id']),
    'format-version': '2',
    content: 'data',
  });
}

/** Iceberg's single-value serialization (spec appendix D) of a partition value, for the partition bounds. */
function boundBytes(value: string | number | boolean | bigint, type: string): Buffer {
  switch (type) {
    case 'long': {
      const b = Buffer.alloc(8);
      b.writeBigInt64LE(BigInt(value));
      return b;
    }
    case 'int': {
      const b = Buffer.alloc(4);
      b.writeInt32LE(Number(value));
      return b;
    }
    case 'double': {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(Number(value));
      return b;
    }
    case 'float': {
      const b = Buffer.alloc(4);
      b.writeFloatLE(Number(value));
      return b;
    }
    case 'boolean':
      return Buffer.from([value ? 1 : 0]);
    default:
      return Buffer.from(String(value), 'utf8');
  }
}

/** The partition summaries of a manifest's files, one per partition field. */
export function partitionSummaries(
  schema: IcebergSchema,
  spec: PartitionSpec,
  files: readonly DataFile[],
): FieldSummary[] {
  return spec.fields.map((field) => {
    const type = sourceType(schema, field['source-id']);
    const values = files.map((f) => f.partition[field.name] ?? null);
    const present = values.filter((v): v is string | number | boolean | bigint => v !== null);
    const sorted = [...present].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const isFloat = type === 'double' || type === 'float';
    return {
      contains_null: present.length < values.length,
      contains_nan: isFloat ? present.some((v) => Number.isNaN(Number(v))) : null,
      lower_bound: sorted.length > 0 ? boundBytes(sorted[0] as string, type) : null,
      upper_bound: sorted.length > 0 ? boundBytes(sorted.at(-1) as string, type) : null,
    };
  });
}

/** A manifest list: the snapshot's new manifest first, then every manifest of its parent, as a fast append keeps them. */
export function manifestListOf(
  snapshotId: number,
  parentSnapshotId: number | undefined,
  sequenceNumber: number,
  manifests: readonly ManifestFile[],
): Promise<Buffer> {
  return avroFile(
    MANIFEST_FILE_SCHEMA,
    manifests.map((m) => ({ ...m, key_metadata: null })),
    {
      'snapshot-id': String(snapshotId),
      'parent-snapshot-id': parentSnapshotId === undefined ? 'null' : String(parentSnapshotId),
      'sequence-number': String(sequenceNumber),
      'format-version': '2',
    },
  );
}

/** The records of an Avro object container file (a parent snapshot's manifest list, when an append carries it over). */
export function readAvro(file: Buffer): Promise<object[]> {
  return new Promise((resolve, reject) => {
    const records: object[] = [];
    const decoder = new avro.streams.BlockDecoder();
    decoder.on('data', (record: object) => records.push(record));
    decoder.on('end', () => resolve(records));
    decoder.on('error', reject);
    decoder.end(file);
  });
}
