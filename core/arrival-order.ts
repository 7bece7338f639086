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
 * Each chunk is sorted on its own (a stable sort, about linear on input this close to order) and merged into the
 * records held back: a few passes over arrays instead of a heap operation per record.
 */
export async function* inArrivalOrder(
  chunks: AsyncIterable<readonly InputRecord[]>,
  windowMs: number,
): AsyncGenerator<InputRecord[]> {
  /** Records not yet released, in arrival order, ties in input order. */
  let held: InputRecord[] = [];
  let newest = Number.NEGATIVE_INFINITY;
  let emittedUpTo = Number.NEGATIVE_INFINITY;
  for await (const chunk of chunks) {
    let sorted = true;
    for (let i = 0; i < chunk.length; i++) {
      const record = chunk[i] as InputRecord;
      if (record.arrivalMs < emittedUpTo) throw new ArrivalOrderError(record, emittedUpTo, windowMs);
      if (record.arrivalMs > newest) newest = record.arrivalMs;
      if (i > 0 && record.arrivalMs < (chunk[i - 1] as InputRecord).arrivalMs) sorted = false;
    }
    held = mergeByArrival(held, sorted ? chunk : sortedByArrival(chunk));
    let ready = 0;
    while (ready < held.length && (held[ready] as InputRecord).arrivalMs <= newest - windowMs) ready++;
    if (ready > 0) {
      const out = held.slice(0, ready);
      held = held.slice(ready);
      emittedUpTo = (out[out.length - 1] as InputRecord).arrivalMs;
      yield out;
    }
  }
  if (held.length > 0) yield held;
}

/** Two arrival-ordered lists as one, stable: on equal arrivals `first`'s records (the earlier input) go first. */
function mergeByArrival(first: readonly InputRecord[], second: readonly InputRecord[]): InputRecord[] {
  if (first.length === 0) return [...second];
  if (
    second.length === 0 ||
    (second[0] as InputRecord).arrivalMs >= (first.at(-1) as InputRecord).arrivalMs
  ) {
    return first.concat(second);
  }
  const out: InputRecord[] = new Array(first.length + second.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < first.length && j < second.length) {
    const a = first[i] as InputRecord;
    const b = second[j] as InputRecord;
    if (b.arrivalMs < a.arrivalMs) {
      out[k++] = b;
      j++;
    } else {
      out[k++] = a;
      i++;
    }
  }
  while (i < first.length) out[k++] = first[i++] as InputRecord;
  while (j < second.length) out[k++] = second[j++] as InputRecord;
  return out;
}
