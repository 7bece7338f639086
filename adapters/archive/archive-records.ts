import { parquetScan } from 'hyparquet';
import type { InputRecord } from '../../core/index.js';
import { RAW_ARCHIVE_BASE_COLUMNS } from '../../core/offline-schema.js';
import type { ArchiveFile } from './archive-files.js';
import { PARQUET_CODECS } from './parquet-codecs.js';

/**
 * Rows decoded at a time: a slice of a row group, so memory holds one slice of records, not a file. A column's page
 * overlapping a slice is decoded whole for it, and a 1 MiB page of an 8-byte column (arrival_ms) holds 131,072 rows:
 * slices much smaller than that decode the small columns' pages again for every slice (at 20,000 rows, reading a
 * 100,000-record archive of 50,000-row groups took about 1.4 times as long as at 50,000).
 */
const SLICE_ROWS = 65_536;

const COLUMNS = RAW_ARCHIVE_BASE_COLUMNS.map((column) => column.name);
/** The base columns but the payload, read as text: arrival_ms, shard_id, sequence_number, partition_key, data_encoding. */
const ROW_COLUMNS = COLUMNS.filter((name) => name !== 'data');
const EMPTY = new Uint8Array(0);

/** Said after every slice read and every file finished. */
export interface ArchiveProgress {
  /** Files finished, of `files.length`. */
  readonly filesDone: number;
  readonly bytesDone: number;
  readonly rows: number;
}

/**
 * The raw archive's records, file by file in the order given, a slice of rows at a time: only the base columns
 * (arrival, shard, sequence number, partition key, data) are read, so the typed columns cost nothing here.
 * A file that is not the raw archive's shape fails with its name and the columns it lacks.
 */
export async function* readArchiveRecords(
  files: readonly ArchiveFile[],
  onProgress?: (progress: ArchiveProgress) => void,
): AsyncGenerator<InputRecord[]> {
  let rows = 0;
  let bytesDone = 0;
  for (const [index, file] of files.entries()) {
    const buffer = await file.open();
    let scan: Awaited<ReturnType<typeof parquetScan>>;
    try {
      scan = await parquetScan({ file: buffer, compressors: PARQUET_CODECS });
    } catch (error) {
      throw new Error(`${file.name}: not a readable Parquet file (${(error as Error).message})`);
    }
    const present = new Set(scan.metadata.schema.slice(1).map((element) => element.name));
    const missing = COLUMNS.filter((name) => !present.has(name));
    if (missing.length > 0) {
      throw new Error(
        `${file.name}: not a raw-archive file, it lacks the column(s) ${missing.join(', ')} (it has ${[...present].join(', ')})`,
      );
    }
    // The payload column a second time, its bytes left undecoded: the engine reads bytes, as it does online.
    const payloads = await namingFile(file, 'its data column', () =>
      parquetScan({
        file: buffer,
        metadata: scan.metadata,
        compressors: PARQUET_CODECS,
        columns: ['data'],
        parsers: { stringFromBytes: (bytes: Uint8Array | undefined) => bytes as unknown as string },
      }),
    );
    for (const range of scan.ranges) {
      for (let start = range.rowStart; start < range.rowEnd; start += SLICE_ROWS) {
        const end = Math.min(start + SLICE_ROWS, range.rowEnd);
        const read = (column: string) => scan.readColumn({ column, rowStart: start, rowEnd: end });
        // A file whose footer reads but whose pages do not (truncated, corrupt) fails here, naming it.
        const [arrival, shard, sequence, partitionKey, encoding, data] = await namingFile(
          file,
          `rows ${start + 1} to ${end}`,
          () =>
            Promise.all([
              ...ROW_COLUMNS.map(read),
              payloads.readColumn({ column: 'data', rowStart: start, rowEnd: end }),
            ]),
        );
        const records: InputRecord[] = new Array(end - start);
        for (let i = 0; i < end - start; i++) {
          const arrivalMs = Number((arrival as ArrayLike<bigint | number>)[i]);
          if (!Number.isFinite(arrivalMs)) {
            throw new Error(
              `${file.name}: row ${start + i + 1} has no arrival_ms (got ${String((arrival as ArrayLike<unknown>)[i])})`,
            );
          }
          const bytes = (data as ArrayLike<Uint8Array | undefined>)[i] ?? EMPTY;
          const key = (partitionKey as ArrayLike<string | null>)[i];
          const record: { -readonly [K in keyof InputRecord]: InputRecord[K] } = {
            // A base64 payload (not UTF-8 when it was put) is stored as its base64 text.
            data:
              (encoding as ArrayLike<string | null>)[i] === 'base64'
                ? Buffer.from(Buffer.from(bytes).toString('latin1'), 'base64')
                : bytes,
            arrivalMs,
            shardId: String((shard as ArrayLike<unknown>)[i]),
            sequenceNumber: String((sequence as ArrayLike<unknown>)[i]),
          };
          // Set, not spread from an object made for it: one record at a time, that object was a cost.
          if (typeof key === 'string') record.partitionKey = key;
          records[i] = record;
        }
        rows += records.length;
        yield records;
        onProgress?.({ filesDone: index, bytesDone, rows });
      }
    }
    bytesDone += file.bytes;
    onProgress?.({ filesDone: index + 1, bytesDone, rows });
  }
}

/** Runs a read of a file; its failure names the file and what was read. */
async function namingFile<T>(file: ArchiveFile, what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw new Error(`${file.name}: cannot read ${what}, the file is damaged (${(error as Error).message})`);
  }
}
