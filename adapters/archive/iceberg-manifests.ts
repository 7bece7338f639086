/**
 * The live data files of an Iceberg snapshot, from its manifest list and manifests as decoded Avro records
 * (apache/iceberg format/spec.md, "Manifest Lists" and "Manifests"). Pure: reading the files is the caller's.
 * This reader applies no deletes, so it refuses a snapshot with live delete files rather than return rows that were
 * deleted; and it reads Parquet only, so it refuses any other data file rather than skip it.
 */

/** A manifest as the manifest list names it. */
export interface ManifestRef {
  readonly path: string;
  /** 0: data files; 1: delete files (format v2). */
  readonly content: number;
  /** The sequence number of the commit that wrote it: what its ADDED entries without one inherit. */
  readonly sequenceNumber: bigint;
}

export interface LiveDataFile {
  readonly path: string;
  readonly bytes: number;
  readonly rows: number;
  /** The data sequence number: the commit that added the rows. */
  readonly sequenceNumber: bigint;
  /** The partition values, by partition field name (`dt`, `hour` for the product's tables). */
  readonly partition: Readonly<Record<string, unknown>>;
}

const STATUS_DELETED = 2;
const CONTENT_DATA = 0;
const CONTENT_NAMES: Record<number, string> = { 1: 'position deletes', 2: 'equality deletes' };

/** The manifests a manifest list names, in its order. */
export function manifestRefs(records: readonly Record<string, unknown>[], name: string): ManifestRef[] {
  return records.map((record, i) => {
    const path = record.manifest_path;
    if (typeof path !== 'string') throw new Error(`${name}: entry ${i + 1} has no manifest_path`);
    return {
      path,
      // Format v1 manifest lists have neither: every manifest holds data, every sequence number is 0.
      content: Number(record.content ?? CONTENT_DATA),
      sequenceNumber: toBigInt(record.sequence_number) ?? 0n,
    };
  });
}

/**
 * The live data files (status ADDED or EXISTING) a manifest lists, in its order. A live delete file or a data
 * file that is not Parquet fails, naming the manifest and the file.
 */
export function liveDataFiles(
  manifest: ManifestRef,
  entries: readonly Record<string, unknown>[],
  table: string,
): LiveDataFile[] {
  const files: LiveDataFile[] = [];
  for (const [i, entry] of entries.entries()) {
    const file = entry.data_file as Record<string, unknown> | undefined;
    const path = file?.file_path;
    if (!file || typeof path !== 'string') {
      throw new Error(`${manifest.path}: entry ${i + 1} has no data_file.file_path`);
    }
    if (Number(entry.status) === STATUS_DELETED) continue;
    const content = Number(file.content ?? manifest.content);
    if (content !== CONTENT_DATA || manifest.content !== CONTENT_DATA) {
      throw new Error(
        `${table}: the current snapshot has delete files (${CONTENT_NAMES[content] ?? `content ${content}`} in ` +
          `${path}, listed by ${manifest.path}), which this reader does not apply: it would return deleted rows. ` +
          'Rewrite the table without them first (Athena: OPTIMIZE <table> REWRITE DATA USING BIN_PACK)',
      );
    }
    const format = String(file.file_format);
    if (format.toUpperCase() !== 'PARQUET') {
      throw new Error(
        `${table}: the data file ${path} (listed by ${manifest.path}) is ${format}, and only Parquet is read`,
      );
    }
    files.push({
      path,
      bytes: Number(file.file_size_in_bytes),
      rows: Number(file.record_count),
      // Null means inherited: ADDED entries take their manifest's (spec: "Sequence Number Inheritance").
      sequenceNumber: toBigInt(entry.sequence_number) ?? manifest.sequenceNumber,
      partition: { ...((file.partition as Record<string, unknown> | null) ?? {}) },
    });
  }
  return files;
}

/**
 * Files in commit order: by data sequence number, then as listed (manifest list order, then manifest order).
 * A manifest list puts newer manifests first, so the list order alone would be newest first.
 */
export function inCommitOrder<T extends LiveDataFile>(files: readonly T[]): T[] {
  // Array.prototype.sort is stable: equal sequence numbers keep their listed order.
  return [...files].sort((a, b) => compareBigInt(a.sequenceNumber, b.sequenceNumber));
}

/**
 * Files in the order the archive is read: when every file has the product's `dt` and `hour` partition values (the
 * hour a record arrived on the stream), hour by hour, and in commit order within an hour; else in commit order.
 * Compaction (the Glue table optimizer) rewrites an hour's small files into one committed later, which commit
 * order alone would read after newer hours, far out of arrival order.
 */
export function inReadOrder<T extends LiveDataFile>(files: readonly T[]): T[] {
  const ordered = inCommitOrder(files);
  const hours = ordered.map(arrivalHour);
  if (hours.some((hour) => hour === undefined)) return ordered;
  const byHour = ordered.map((file, i) => ({ file, hour: hours[i] as string }));
  return byHour.sort((a, b) => (a.hour < b.hour ? -1 : a.hour > b.hour ? 1 : 0)).map(({ file }) => file);
}

/** `yyyy-MM-dd/HH` from the partition values `dt` and `hour`, if the file has them. */
export function arrivalHour(file: LiveDataFile): string | undefined {
  const { dt, hour } = file.partition;
  if (typeof dt !== 'string' || (typeof hour !== 'string' && typeof hour !== 'number')) return undefined;
  return `${dt}/${String(hour).padStart(2, '0')}`;
}

function compareBigInt(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toBigInt(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(value);
  return undefined;
}
