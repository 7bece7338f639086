/**
 * Batched puts with per-entry retries, for the AWS batch APIs that accept a call but fail some of its entries
 * (Firehose PutRecordBatch, Kinesis PutRecords): split into calls within the service's limits, then send the
 * failed entries again with backoff until none fail or the attempts run out.
 */

export interface BatchLimits {
  /** Entries per call. */
  readonly maxRecords: number;
  /** Bytes per call, all entries together. */
  readonly maxBytes: number;
  /** Bytes of one entry. */
  readonly maxRecordBytes: number;
}

export interface RetryOptions {
  /** Calls for an entry before giving up, the first included. @default 6 */
  readonly maxAttempts?: number;
  /** First backoff ceiling; doubled on each attempt (full jitter). @default 50 */
  readonly baseDelayMs?: number;
  /** @default 2000 */
  readonly maxDelayMs?: number;
  /** @default - setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What one call did: the positions (in the chunk it was given) of the entries that failed, and why. */
export interface ChunkOutcome {
  readonly failed: readonly number[];
  readonly errorCodes: readonly string[];
}

export interface PutSummary {
  /** Calls made, retries included. */
  readonly calls: number;
  /** Entries sent again after a failure. */
  readonly retriedEntries: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Splits entries, in order, into chunks within the limits. Throws on an entry larger than one call allows. */
export function chunksWithin<T>(
  items: readonly T[],
  sizeOf: (item: T) => number,
  limits: BatchLimits,
): T[][] {
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let bytes = 0;
  items.forEach((item, index) => {
    const size = sizeOf(item);
    if (size > limits.maxRecordBytes) {
      throw new RangeError(
        `entry ${index} is ${size} bytes, more than the ${limits.maxRecordBytes} bytes one record may hold`,
      );
    }
    if (chunk.length > 0 && (chunk.length === limits.maxRecords || bytes + size > limits.maxBytes)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(item);
    bytes += size;
  });
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/**
 * Sends every entry, in chunks, one call at a time; entries a call reports as failed are sent again with
 * exponential backoff. Throws when some still fail after `maxAttempts`, naming the error codes; an error thrown
 * by a call itself (the SDK has already retried it) is thrown as it is.
 */
export async function putWithRetries<T>(
  items: readonly T[],
  sizeOf: (item: T) => number,
  limits: BatchLimits,
  send: (chunk: readonly T[]) => Promise<ChunkOutcome>,
  options: RetryOptions = {},
): Promise<PutSummary> {
  const maxAttempts = options.maxAttempts ?? 6;
  const baseDelayMs = options.baseDelayMs ?? 50;
  const maxDelayMs = options.maxDelayMs ?? 2_000;
  const sleep = options.sleep ?? defaultSleep;
  let pending = items;
  let calls = 0;
  let retriedEntries = 0;
  for (let attempt = 1; ; attempt++) {
    const failed: T[] = [];
    const codes = new Set<string>();
    for (const chunk of chunksWithin(pending, sizeOf, limits)) {
      const outcome = await send(chunk);
      calls++;
      for (const position of outcome.failed) failed.push(chunk[position] as T);
      for (const code of outcome.errorCodes) codes.add(code);
    }
    if (failed.length === 0) return { calls, retriedEntries };
    if (attempt >= maxAttempts) {
      throw new Error(
        `${failed.length} of ${items.length} records still failed after ${attempt} attempts (${[...codes].join(', ') || 'no error code'})`,
      );
    }
    retriedEntries += failed.length;
    await sleep(Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** attempt));
    pending = failed;
  }
}
