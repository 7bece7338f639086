/**
 * One record as the engine sees it: the bytes a producer put, and where and when the stream took it.
 * Online the adapter fills it from the Kinesis event; offline the replay fills it from the archive or JSON Lines.
 */
export interface InputRecord {
  /** The raw payload: UTF-8 JSON when the producer behaves. */
  readonly data: Uint8Array;
  /** Arrival time α in epoch milliseconds (Kinesis ApproximateArrivalTimestamp online). */
  readonly arrivalMs: number;
  /** The shard the record came from: exactly-once bookkeeping is per shard. */
  readonly shardId: string;
  /** The Kinesis sequence number, a decimal string: ordered within a shard. */
  readonly sequenceNumber: string;
  /** The partition key the producer chose, when known. */
  readonly partitionKey?: string;
}

/** Compares two Kinesis sequence numbers (decimal strings of up to 128 bits) without BigInt allocation. */
export function compareSequenceNumbers(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
