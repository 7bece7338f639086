import type { InputRecord } from '../../core/index.js';

export { batchesOf, onShards } from '../../local/simulated-stream.js';

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
