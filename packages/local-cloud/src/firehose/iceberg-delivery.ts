/**
 * Firehose's Iceberg destination, one flush at a time: the records become rows of the table's current schema
 * (JSON keys matched to column names, case-insensitively, by the conversion of parquet.ts), one Parquet data
 * file per partition (identity partitions) under `<location>/data/<partition path>/`, every column with its
 * Iceberg field id; then one append commit: a manifest of those files, a manifest list (the new manifest and
 * every manifest of the parent snapshot), the next metadata file, and the Glue table pointed at it. Records that
 * cannot be converted go to the S3 error output. One writer per table is assumed; a commit that loses a race
 * (the table moved) is built again on the new metadata.
 */

import { randomUUID } from 'node:crypto';
import { TextDecoder } from 'node:util';
import {
  type DataFile,
  type ManifestFile,
  manifestListOf,
  manifestOf,
  partitionSummaries,
  readAvro,
} from '../iceberg/manifests.js';
import {
  appendSnapshot,
  currentSchema,
  currentSnapshot,
  defaultSpec,
  metadataFilePath,
  metadataVersion,
  newSnapshotId,
  nextMetadata,
  type TableMetadata,
} from '../iceberg/metadata.js';
import { readMetadataFile } from '../iceberg/metadata-file.js';
import { icebergColumns, icebergParquetSchema } from '../iceberg/schema.js';
import { parseS3Uri } from '../s3/s3-uri.js';
import type { StreamConfig } from './config.js';
import { DEFAULT_TIME_TOKENS, dateParts, evaluatePrefix, formatDate, objectKey } from './key-layout.js';
import type { Buffered, S3Object } from './objects.js';
import { ConversionError, encodeParquet, rowsOf, type SerDeOptions, yieldToLoop } from './parquet.js';

const CONVERSION_CHUNK = 2_000;
const COMMIT_ATTEMPTS = 3;
/** Firehose's Iceberg destination matches JSON keys to column names as the OpenX SerDe does by default. */
const SERDE: SerDeOptions = { caseInsensitive: true, dotsToUnderscores: false, keyMappings: new Map() };
/** The error output type in the error prefix's path, and the error code of a record that failed. */
export const ICEBERG_ERROR_TYPE = 'iceberg-failed';
const ICEBERG_ERROR_CODES = {
  /** A record that does not convert to the table's schema. */
  invalid: 'Iceberg.InvalidRecord',
  /** A batch still undelivered when the stream's RetryOptions duration ran out. */
  retries: 'Iceberg.RetryDurationExceeded',
} as const;

/** What the Iceberg destination reads and writes: the cloud's S3 and its Glue catalog. */
export interface IcebergIo {
  putObject(bucket: string, key: string, body: Uint8Array): Promise<void>;
  getObject(bucket: string, key: string): Promise<Buffer>;
  /** The table's location and current metadata file. */
  icebergTable(databaseName: string, tableName: string): { location: string; metadataLocation: string };
  /** Points the table at `next` if it is still at `expected`; throws when another commit came first. */
  commitIceberg(databaseName: string, tableName: string, expected: string, next: string): void;
}

export interface IcebergOutcome {
  /** Records whose rows were committed. */
  readonly recordsDelivered: number;
  readonly rows: number;
  readonly dataFiles: readonly string[];
  /** The metadata file of the commit, when there were rows. */
  readonly metadataLocation?: string;
  /** Records that failed, as the error-output object (not yet written). */
  readonly errors?: S3Object;
}

/** The objects the destination reads and writes: a data, manifest or metadata file, never a bare bucket. */
const OBJECT_URI = { keyRequired: true } as const;

/** The table metadata file at `location`, from the cloud's S3. */
function readMetadata(io: IcebergIo, location: string): Promise<TableMetadata> {
  return readMetadataFile((bucket, key) => io.getObject(bucket, key), location);
}

/** Iceberg's partition path: `name=value` per field, URL-encoded, `null` for a null value. */
function partitionPath(partition: Readonly<Record<string, unknown>>): string {
  return Object.entries(partition)
    .map(
      ([name, value]) =>
        `${encodeURIComponent(name)}=${value === null ? 'null' : encodeURIComponent(String(value))}`,
    )
    .join('/');
}

/** The Parquet codec of the table's `write.parquet.compression-codec` (zstd, which Node 20 lacks, is written as snappy). */
function codecOf(metadata: TableMetadata): 'SNAPPY' | 'GZIP' | 'UNCOMPRESSED' {
  const codec = (metadata.properties['write.parquet.compression-codec'] ?? '').toLowerCase();
  return codec === 'gzip' ? 'GZIP' : codec === 'uncompressed' ? 'UNCOMPRESSED' : 'SNAPPY';
}

export async function deliverToIceberg(
  streamName: string,
  config: StreamConfig,
  batch: readonly Buffered[],
  io: IcebergIo,
): Promise<IcebergOutcome> {
  const target = config.iceberg;
  if (target === undefined) throw new Error(`${streamName} has no Iceberg destination`);
  const table = io.icebergTable(target.databaseName, target.tableName);
  let metadata = await readMetadata(io, table.metadataLocation);
  const schema = currentSchema(metadata);
  const spec = defaultSpec(metadata);
  const columns = icebergColumns(schema, `${target.databaseName}.${target.tableName}`);

  const decoder = new TextDecoder('utf-8', { fatal: true });
  const failures: { record: Buffered; message: string }[] = [];
  const groups = new Map<string, { partition: Record<string, unknown>; rows: unknown[][] }>();
  const sourceIndex = spec.fields.map((f) => schema.fields.findIndex((c) => c.id === f['source-id']));
  let recordsDelivered = 0;
  let rowCount = 0;
  for (let i = 0; i < batch.length; i++) {
    if (i > 0 && i % CONVERSION_CHUNK === 0) await yieldToLoop();
    const record = batch[i] as Buffered;
    let rows: unknown[][];
    try {
      rows = rowsOf(record.data, columns, SERDE, decoder);
    } catch (error) {
      if (!(error instanceof ConversionError)) throw error;
      failures.push({ record, message: error.message });
      continue;
    }
    recordsDelivered++;
    for (const row of rows) {
      // A long partition value is kept as a number in the manifest (avsc writes Avro longs from numbers).
      const partition = Object.fromEntries(
        spec.fields.map((f, p) => {
          const value = row[sourceIndex[p] as number] ?? null;
          return [f.name, typeof value === 'bigint' ? Number(value) : value];
        }),
      );
      const key = JSON.stringify(Object.values(partition));
      let group = groups.get(key);
      if (group === undefined) {
        group = { partition, rows: [] };
        groups.set(key, group);
      }
      group.rows.push(row);
      rowCount++;
    }
  }
  const errors =
    failures.length > 0 ? failedRecordsObject(streamName, config, failures, 'invalid') : undefined;
  if (rowCount === 0) return { recordsDelivered, rows: 0, dataFiles: [], ...(errors ? { errors } : {}) };

  const parquetSchema = icebergParquetSchema(schema);
  const files: DataFile[] = [];
  for (const group of groups.values()) {
    const body = await encodeParquet(columns, group.rows, {
      schema: parquetSchema,
      codec: codecOf(metadata),
      pageSize: undefined,
    });
    const path = `${metadata.location}/data/${partitionPath(group.partition)}/${randomUUID()}.parquet`;
    const { bucket, key } = parseS3Uri(path, OBJECT_URI);
    await io.putObject(bucket, key, body);
    files.push({
      path,
      sizeBytes: body.length,
      recordCount: group.rows.length,
      partition: group.partition as DataFile['partition'],
    });
  }

  let metadataLocation = table.metadataLocation;
  for (let attempt = 1; ; attempt++) {
    try {
      const next = await commitAppend(io, metadata, metadataLocation, files);
      io.commitIceberg(target.databaseName, target.tableName, metadataLocation, next);
      return {
        recordsDelivered,
        rows: rowCount,
        dataFiles: files.map((f) => f.path),
        metadataLocation: next,
        ...(errors ? { errors } : {}),
      };
    } catch (error) {
      if (
        (error as { code?: string }).code !== 'ConcurrentModificationException' ||
        attempt >= COMMIT_ATTEMPTS
      )
        throw error;
      metadataLocation = io.icebergTable(target.databaseName, target.tableName).metadataLocation;
      metadata = await readMetadata(io, metadataLocation);
    }
  }
}

/** Writes the manifest, the manifest list and the next metadata file of an append; returns that file's path. */
async function commitAppend(
  io: IcebergIo,
  metadata: TableMetadata,
  metadataLocation: string,
  files: readonly DataFile[],
): Promise<string> {
  const schema = currentSchema(metadata);
  const spec = defaultSpec(metadata);
  const parent = currentSnapshot(metadata);
  const snapshotId = newSnapshotId();
  const sequenceNumber = metadata['last-sequence-number'] + 1;
  const commitId = randomUUID();
  const nowMs = Math.max(Date.now(), metadata['last-updated-ms']);

  const manifestPath = `${metadata.location}/metadata/${commitId}-m0.avro`;
  const manifest = await manifestOf(schema, spec, snapshotId, files);
  const manifestObject = parseS3Uri(manifestPath, OBJECT_URI);
  await io.putObject(manifestObject.bucket, manifestObject.key, manifest);
  const added: ManifestFile = {
    manifest_path: manifestPath,
    manifest_length: manifest.length,
    partition_spec_id: spec['spec-id'],
    content: 0,
    sequence_number: sequenceNumber,
    min_sequence_number: sequenceNumber,
    added_snapshot_id: snapshotId,
    added_data_files_count: files.length,
    existing_data_files_count: 0,
    deleted_data_files_count: 0,
    added_rows_count: files.reduce((sum, f) => sum + f.recordCount, 0),
    existing_rows_count: 0,
    deleted_rows_count: 0,
    partitions: partitionSummaries(schema, spec, files),
  };
  const inherited =
    parent === undefined
      ? []
      : ((await readAvro(await getUri(io, parent['manifest-list']))) as ManifestFile[]);
  const listPath = `${metadata.location}/metadata/snap-${snapshotId}-1-${commitId}.avro`;
  const list = await manifestListOf(snapshotId, parent?.['snapshot-id'], sequenceNumber, [
    added,
    ...inherited,
  ]);
  const listObject = parseS3Uri(listPath, OBJECT_URI);
  await io.putObject(listObject.bucket, listObject.key, list);

  const snapshot = appendSnapshot(metadata, {
    snapshotId,
    sequenceNumber,
    manifestList: listPath,
    addedFiles: files.length,
    addedRecords: added.added_rows_count,
    addedBytes: files.reduce((sum, f) => sum + f.sizeBytes, 0),
    changedPartitions: files.length,
    nowMs,
  });
  const next = nextMetadata(metadata, metadataLocation, metadata['last-updated-ms'], snapshot);
  const version = (metadataVersion(metadataLocation) ?? metadata['metadata-log'].length) + 1;
  const nextPath = metadataFilePath(metadata.location, version);
  const nextObject = parseS3Uri(nextPath, OBJECT_URI);
  await io.putObject(nextObject.bucket, nextObject.key, Buffer.from(JSON.stringify(next, null, 2)));
  return nextPath;
}

function getUri(io: IcebergIo, uri: string): Promise<Buffer> {
  const { bucket, key } = parseS3Uri(uri, OBJECT_URI);
  return io.getObject(bucket, key);
}

/**
 * The error-output object of the records that failed: one JSON document per record, one per line, under the
 * table's S3ErrorOutputPrefix (a plain prefix gets `iceberg-failed/yyyy/MM/dd/HH/` after it).
 */
export function failedRecordsObject(
  streamName: string,
  config: StreamConfig,
  failures: readonly { readonly record: Buffered; readonly message: string }[],
  why: keyof typeof ICEBERG_ERROR_CODES,
): S3Object {
  const arrivalMs = (failures[0] as { record: Buffered }).record.arrivalMs;
  const parts = dateParts(arrivalMs, 'UTC');
  const prefix =
    config.errorPrefix === undefined
      ? `${ICEBERG_ERROR_TYPE}/${formatDate(DEFAULT_TIME_TOKENS, parts)}`
      : evaluatePrefix(config.errorPrefix, parts, ICEBERG_ERROR_TYPE, [
          { firehose: 'error-output-type' },
          '/',
          { timestamp: DEFAULT_TIME_TOKENS },
        ]);
  const now = Date.now();
  const target = config.iceberg;
  const lines = failures.map(({ record, message }) =>
    JSON.stringify({
      attemptsMade: 1,
      arrivalTimestamp: record.arrivalMs,
      errorCode: ICEBERG_ERROR_CODES[why],
      errorMessage: message,
      attemptEndingTimestamp: now,
      rawData: record.data.toString('base64'),
      sequenceNumber: record.sequenceNumber,
      subSequenceNumber: 0,
      destinationDatabase: target?.databaseName,
      destinationTable: target?.tableName,
    }),
  );
  return {
    key: objectKey(prefix, streamName, arrivalMs, 'UTC', ''),
    body: Buffer.from(`${lines.join('\n')}\n`),
    records: failures.length,
    failed: true,
  };
}
