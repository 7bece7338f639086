import { S3Client } from '@aws-sdk/client-s3';
import type { CompiledSpec, InputRecord, Rejection, Totals } from '../../core/index.js';
import { inArrivalOrder, sortedByArrival } from '../../core/index.js';
import { readEventLines } from '../files/json-lines.js';
import { type ArchiveFile, isIcebergMetadataFile, listArchiveFiles } from './archive-files.js';
import { type ArchiveProgress, readArchiveRecords } from './archive-records.js';

/** Reorder window by default: shards whose consumers ran this far apart still read back in arrival order. */
export const DEFAULT_REORDER_WINDOW_MS = 5 * 60_000;

export interface EventSourceOptions {
  /** JSON Lines only: the field holding the arrival time (else α = τ). */
  readonly arrivalField?: string | undefined;
  /** Parquet archives only: how far out of arrival order the files may be. @default 5 minutes */
  readonly reorderWindowMs?: number | undefined;
  readonly onProgress?: ((progress: ArchiveProgress) => void) | undefined;
  /** The S3 client for `s3://` archives. @default s3ClientFromEnv */
  readonly s3?: (() => S3Client) | undefined;
}

/** Records in arrival order, in chunks, with what is known up front about the source. */
export interface EventSource {
  readonly description: string;
  readonly files: readonly ArchiveFile[];
  /** JSON Lines records that could not be read as records at all (no arrival time): already set aside. */
  readonly rejected: readonly Rejection[];
  readonly chunks: AsyncIterable<InputRecord[]>;
}

/**
 * The events to replay: a JSON Lines file (read whole, sorted by arrival), or the raw archive the pipeline writes
 * (a Parquet file, a directory of them, or `s3://bucket/prefix`), streamed a slice at a time and put in exact
 * arrival order within the reorder window.
 */
export async function openEventSource(
  spec: CompiledSpec,
  location: string,
  options: EventSourceOptions = {},
): Promise<EventSource> {
  if (/\.jsonl?$/i.test(location) && !isIcebergMetadataFile(location)) {
    if (options.reorderWindowMs !== undefined) {
      throw new Error(
        `--reorder-window applies to a Parquet archive only: the JSON Lines events of ${location} are sorted by arrival whole`,
      );
    }
    const { records, rejected } = await readEventLines(spec, location, options.arrivalField);
    return {
      description: `${location} (JSON Lines)`,
      files: [],
      rejected,
      chunks: chunked(sortedByArrival(records)),
    };
  }
  if (options.arrivalField !== undefined) {
    throw new Error(
      `--arrival-field applies to JSON Lines events only: the raw archive ${location} carries each record's arrival (arrival_ms)`,
    );
  }
  return archiveFileSource(
    location,
    await listArchiveFiles(location, options.s3 ?? s3ClientFromEnv),
    options,
  );
}

/**
 * The records of archive files already listed (the monitoring job's hours of an Iceberg table), in arrival order
 * within the reorder window; `location` names where they are in the description.
 */
export function archiveFileSource(
  location: string,
  files: readonly ArchiveFile[],
  options: Pick<EventSourceOptions, 'reorderWindowMs' | 'onProgress'> = {},
): EventSource {
  const bytes = files.reduce((sum, file) => sum + file.bytes, 0);
  return {
    description: `${location} (${files.length} Parquet ${files.length === 1 ? 'file' : 'files'}, ${(bytes / 1048576).toFixed(1)} MiB)`,
    files,
    rejected: [],
    chunks: inArrivalOrder(
      readArchiveRecords(files, options.onProgress),
      options.reorderWindowMs ?? DEFAULT_REORDER_WINDOW_MS,
    ),
  };
}

/**
 * What became of every event the source held: the replay's totals, plus the JSON Lines records it could not read
 * as records at all (no arrival time), counted as invalid.
 */
export function accountedTotals(source: EventSource, replayed: Totals): { totals: Totals; events: number } {
  const totals = { ...replayed, invalid: replayed.invalid + source.rejected.length };
  return { totals, events: Object.values(totals).reduce((sum, n) => sum + n, 0) };
}

/** An S3 client for `s3://` archives: the default chain; path-style when AWS_ENDPOINT_URL names a local cloud. */
export function s3ClientFromEnv(): S3Client {
  return new S3Client(process.env.AWS_ENDPOINT_URL ? { forcePathStyle: true } : {});
}

async function* chunked(records: readonly InputRecord[]): AsyncGenerator<InputRecord[]> {
  for (let i = 0; i < records.length; i += 10_000) yield records.slice(i, i + 10_000);
}
