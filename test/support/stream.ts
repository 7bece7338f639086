import { hashValue } from '../../core/engine/hll.js';
import type { InputRecord } from '../../core/index.js';

/** A Kinesis-like sequence number: a large decimal that grows within a shard. */
const SEQUENCE_BASE = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;

/**
 * Puts producer records on a stream of `shards` shards the way Kinesis does: by partition-key hash, each shard
 * numbering its records in arrival order. Returns the records in arrival order.
 */
export function onShards(
  records: readonly { data: Uint8Array; arrivalMs: number; partitionKey: string }[],
  shards: number,
): InputRecord[] {
  const next = new Array<bigint>(shards).fill(SEQUENCE_BASE);
  return records.map((r) => {
    const shard = hashValue(r.partitionKey) % shards;
    const sequence = (next[shard] as bigint) + 1n;
    next[shard] = sequence;
    return {
      data: r.data,
      arrivalMs: r.arrivalMs,
      partitionKey: r.partitionKey,
      shardId: `shardId-${String(shard).padStart(12, '0')}`,
      sequenceNumber: sequence.toString(),
    };
  });
}

/** Splits a shard's records into consecutive batches of at most `size`, per shard, as the event-source mapping does. */
export function batchesOf(records: readonly InputRecord[], size: number): InputRecord[][] {
  const byShard = new Map<string, InputRecord[]>();
  for (const record of records) {
    const list = byShard.get(record.shardId) ?? [];
    list.push(record);
    byShard.set(record.shardId, list);
  }
  const batches: InputRecord[][] = [];
  for (const list of byShard.values()) {
    for (let i = 0; i < list.length; i += size) batches.push(list.slice(i, i + size));
  }
  return batches;
}

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
