import { createHash } from 'node:crypto';
import type { InputRecord } from '../core/index.js';

/** A Kinesis-like sequence number: a large decimal that grows within a shard. */
const SEQUENCE_BASE = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;
const HASH_SPACE = 2n ** 128n;

/**
 * Puts producer records on a stream of `shards` shards as Kinesis does: the MD5 of the partition key, a 128-bit
 * number, picks the shard whose equal hash-key range holds it; each shard numbers its records in arrival order.
 * Returns the records in arrival order. (The embedded local cloud runs the real kinesis-mock; this is for
 * in-process runs that need no stream server: tests, the benchmark, the demo.)
 */
export function onShards(
  records: readonly { data: Uint8Array; arrivalMs: number; partitionKey: string }[],
  shards: number,
): InputRecord[] {
  const next = new Array<bigint>(shards).fill(SEQUENCE_BASE);
  return records.map((r) => {
    const hash = BigInt(`0x${createHash('md5').update(r.partitionKey).digest('hex')}`);
    const shard = Number((hash * BigInt(shards)) / HASH_SPACE);
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

/** Splits each shard's records into consecutive batches of at most `size`, as the event-source mapping does. */
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
