/** Batching of a shard's buffered records: BatchSize, the 6 MB payload limit, MaximumBatchingWindowInSeconds. */

import type { Rec, ShardState } from './types.js';

/** The invocation payload limit the batch respects. */
export const MAX_BATCH_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** Bytes of a Records array's brackets and of the `{"Records":[]}` around it. */
export const EVENT_OVERHEAD_BYTES = 16;

/** Takes the next batch off the buffer: at most BatchSize records and 6 MB of event. */
export function takeBatch(shard: ShardState, batchSize: number): Rec[] {
  let bytes = EVENT_OVERHEAD_BYTES;
  let count = 0;
  while (count < shard.buffer.length && count < batchSize) {
    const next = (shard.buffer[count] as Rec).bytes;
    if (count > 0 && bytes + next > MAX_BATCH_PAYLOAD_BYTES) break;
    bytes += next;
    count++;
  }
  const batch = shard.buffer.splice(0, count);
  shard.bufferBytes -= bytes - EVENT_OVERHEAD_BYTES;
  shard.firstBufferedAt = Date.now();
  return batch;
}

/** Whether the buffer holds a batch to send: full, 6 MB, a closed shard, or the batching window over. */
export function batchReady(shard: ShardState, batchSize: number, windowMs: number): boolean {
  if (shard.buffer.length === 0) return false;
  if (shard.buffer.length >= batchSize) return true;
  if (shard.bufferBytes + EVENT_OVERHEAD_BYTES >= MAX_BATCH_PAYLOAD_BYTES) return true;
  if (shard.closed) return true;
  return Date.now() - shard.firstBufferedAt >= windowMs;
}
