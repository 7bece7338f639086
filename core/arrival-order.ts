import type { InputRecord } from './record.js';

/** Records sorted by arrival time; equal arrivals keep their order (Array.prototype.sort is stable). */
export function sortedByArrival(records: readonly InputRecord[]): InputRecord[] {
  return [...records].sort((a, b) => a.arrivalMs - b.arrivalMs);
}

/** The archive is out of arrival order by more than the reorder window: the window must grow to read it. */
export class ArrivalOrderError extends Error {
  constructor(
    readonly record: InputRecord,
    readonly emittedUpTo: number,
    readonly windowMs: number,
  ) {
    super(
      `record ${record.shardId}/${record.sequenceNumber} arrived at ${new Date(record.arrivalMs).toISOString()}, ` +
        `but records up to ${new Date(emittedUpTo).toISOString()} were already replayed: the input is out of ` +
        `arrival order by more than the reorder window (${windowMs / 1000} s); raise the window to read it`,
    );
    this.name = 'ArrivalOrderError';
  }
}

/**
 * Puts nearly arrival-ordered chunks of records into exact arrival order (ties in input order). The raw archive
 * is in the order Firehose received records, which differs from Kinesis arrival order by how far apart the shards'
 * consumers ran; a record is released once the input has reached `windowMs` past its arrival, so memory holds one
 * window of records. A record more out of order than that fails loudly (ArrivalOrderError), never silently.
 */
export async function* inArrivalOrder(
  chunks: AsyncIterable<readonly InputRecord[]>,
  windowMs: number,
): AsyncGenerator<InputRecord[]> {
  const heap = new ArrivalHeap();
  let newest = Number.NEGATIVE_INFINITY;
  let emittedUpTo = Number.NEGATIVE_INFINITY;
  for await (const chunk of chunks) {
    for (const record of chunk) {
      if (record.arrivalMs < emittedUpTo) throw new ArrivalOrderError(record, emittedUpTo, windowMs);
      heap.push(record);
      if (record.arrivalMs > newest) newest = record.arrivalMs;
    }
    const ready: InputRecord[] = [];
    while (heap.size > 0 && heap.peekArrival() <= newest - windowMs) ready.push(heap.pop());
    if (ready.length > 0) {
      emittedUpTo = (ready[ready.length - 1] as InputRecord).arrivalMs;
      yield ready;
    }
  }
  const rest: InputRecord[] = [];
  while (heap.size > 0) rest.push(heap.pop());
  if (rest.length > 0) yield rest;
}

/** A binary min-heap on (arrival, order pushed): stable, so equal arrivals keep their input order. */
class ArrivalHeap {
  private readonly records: InputRecord[] = [];
  private readonly orders: number[] = [];
  private pushed = 0;

  get size(): number {
    return this.records.length;
  }

  peekArrival(): number {
    return (this.records[0] as InputRecord).arrivalMs;
  }

  push(record: InputRecord): void {
    const { records, orders } = this;
    let i = records.length;
    records.push(record);
    orders.push(this.pushed++);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): InputRecord {
    const { records, orders } = this;
    const top = records[0] as InputRecord;
    const lastRecord = records.pop() as InputRecord;
    const lastOrder = orders.pop() as number;
    if (records.length > 0) {
      records[0] = lastRecord;
      orders[0] = lastOrder;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < records.length && this.less(left, smallest)) smallest = left;
        if (right < records.length && this.less(right, smallest)) smallest = right;
        if (smallest === i) break;
        this.swap(i, smallest);
        i = smallest;
      }
    }
    return top;
  }

  private less(a: number, b: number): boolean {
    const ra = (this.records[a] as InputRecord).arrivalMs;
    const rb = (this.records[b] as InputRecord).arrivalMs;
    return ra < rb || (ra === rb && (this.orders[a] as number) < (this.orders[b] as number));
  }

  private swap(a: number, b: number): void {
    const { records, orders } = this;
    [records[a], records[b]] = [records[b] as InputRecord, records[a] as InputRecord];
    [orders[a], orders[b]] = [orders[b] as number, orders[a] as number];
  }
}
