import type { InputRecord } from '../../core/index.js';

export { batchesOf, onShards } from '../../cli/simulated-stream.js';

const encoder = new TextEncoder();

/** A record with a JSON body, for hand-written cases. */
export function jsonRecord(body: unknown, arrivalMs: number, shardId: string, sequence: number): InputRecord {
  return {
    data: encoder.encode(typeof body === 'string' ? body : JSON.stringify(body)),
    arrivalMs,
    shardId,
    sequenceNumber: String(sequence),
  };
}

/**
 * A start for generated traffic two hours ago, on the hour: the online-store table has TTL on, and items of
 * traffic from the distant past would expire (and DynamoDB Local deletes them) before a test reads them.
 */
export const RECENT_START = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000;
