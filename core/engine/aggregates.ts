import type { Aggregation } from '../spec/types.js';
import { DistinctSketch } from './hll.js';

/**
 * Mergeable partial aggregates, one kind per aggregation. A tile holds one partial per feature; a read merges
 * the partials of a window's tiles. Partials are plain JSON (but the distinct sketch, which serializes itself)
 * so the online store can keep them as they are.
 *
 * count: n · sum: s · avg: [n, s] · min/max: m | null · stddev: [n, mean, M2] (Welford, merged with Chan's
 * formula) · last: [τ, α, value] | null · distinct: DistinctSketch. A sum, avg or stddev partial is null once it
 * overflowed (see OVERFLOWED).
 */
export type Partial = number | null | number[] | LastPartial | DistinctSketch;
export type LastPartial = [tau: number, alpha: number, value: unknown];
export type FeatureValue = number | null | unknown;

export interface Aggregator {
  /** A fresh partial of an empty set. */
  empty(): Partial;
  /** Adds one event's value; may update `partial` in place, returns the result. */
  add(partial: Partial, value: unknown, tau: number, alpha: number): Partial;
  /** Merges `other` into `into`; may update `into` in place but never shares `other`'s objects. */
  merge(into: Partial, other: Partial): Partial;
  /** The feature value of a partial. */
  result(partial: Partial): FeatureValue;
  /** Back from the JSON the online store kept. */
  revive(json: unknown): Partial;
}

const plain = (json: unknown) => json as Partial;

const count: Aggregator = {
  empty: () => 0,
  add: (p) => (p as number) + 1,
  merge: (a, b) => (a as number) + (b as number),
  result: (p) => p,
  revive: plain,
};

/**
 * Overflow (the README's Semantics): a sum, avg or stddev whose running state stops being a finite double is
 * overflowed, kept as `null`. It reads as null, and merging it with anything gives null, so a tile that overflowed
 * keeps its window's value null until it leaves the window. `null` because JSON, the online store's form of a
 * partial, holds null where it cannot hold Infinity or NaN: the memory engine and the store keep the same state.
 */
const OVERFLOWED = null;
const finite = (x: number): number | null => (Number.isFinite(x) ? x : OVERFLOWED);
/** A stored [n, ...] partial; one that JSON kept with a null inside (Infinity before) is overflowed. */
const reviveTuple = (json: unknown): Partial =>
  json === null || (json as unknown[]).includes(null) ? OVERFLOWED : [...(json as number[])];

const sum: Aggregator = {
  empty: () => 0,
  add: (p, v) => (p === OVERFLOWED ? p : finite((p as number) + (v as number))),
  merge: (a, b) =>
    a === OVERFLOWED || b === OVERFLOWED ? OVERFLOWED : finite((a as number) + (b as number)),
  result: (p) => p,
  revive: plain,
};

const avg: Aggregator = {
  empty: () => [0, 0],
  add: (p, v) => {
    if (p === OVERFLOWED) return p;
    const a = p as number[];
    const s = (a[1] as number) + (v as number);
    if (!Number.isFinite(s)) return OVERFLOWED;
    a[0] = (a[0] as number) + 1;
    a[1] = s;
    return a;
  },
  merge: (p, q) => {
    if (p === OVERFLOWED || q === OVERFLOWED) return OVERFLOWED;
    const a = p as number[];
    const b = q as number[];
    const s = (a[1] as number) + (b[1] as number);
    if (!Number.isFinite(s)) return OVERFLOWED;
    a[0] = (a[0] as number) + (b[0] as number);
    a[1] = s;
    return a;
  },
  result: (p) => {
    if (p === OVERFLOWED) return null;
    const [n, s] = p as [number, number];
    return n === 0 ? null : s / n;
  },
  revive: reviveTuple,
};

function extreme(pick: (a: number, b: number) => number): Aggregator {
  const combine = (a: Partial, b: Partial) =>
    a === null ? b : b === null ? a : pick(a as number, b as number);
  return { empty: () => null, add: combine, merge: combine, result: (p) => p, revive: plain };
}

const stddev: Aggregator = {
  empty: () => [0, 0, 0],
  add: (p, v) => {
    if (p === OVERFLOWED) return p;
    const a = p as number[];
    const x = v as number;
    const n = (a[0] as number) + 1;
    const delta = x - (a[1] as number);
    const mean = (a[1] as number) + delta / n;
    const m2 = (a[2] as number) + delta * (x - mean);
    if (!Number.isFinite(mean) || !Number.isFinite(m2)) return OVERFLOWED;
    a[0] = n;
    a[1] = mean;
    a[2] = m2;
    return a;
  },
  merge: (p, q) => {
    if (p === OVERFLOWED || q === OVERFLOWED) return OVERFLOWED;
    const a = p as number[];
    const [nb, meanB, m2b] = q as [number, number, number];
    const na = a[0] as number;
    if (nb === 0) return a;
    // Into an empty partial: take the other as it is (the formula below would multiply an infinite delta² by 0).
    if (na === 0) return [nb, meanB, m2b];
    const n = na + nb;
    const delta = meanB - (a[1] as number);
    const mean = (a[1] as number) + (delta * nb) / n;
    const m2 = (a[2] as number) + m2b + (delta * delta * na * nb) / n;
    if (!Number.isFinite(mean) || !Number.isFinite(m2)) return OVERFLOWED;
    a[0] = n;
    a[1] = mean;
    a[2] = m2;
    return a;
  },
  result: (p) => {
    if (p === OVERFLOWED) return null;
    const [n, , m2] = p as [number, number, number];
    return n === 0 ? null : Math.sqrt(Math.max(0, m2) / n);
  },
  revive: reviveTuple,
};

/** The event with the greatest τ wins; on equal τ the later arrival; on equal arrival the later processed. */
function laterOf(a: LastPartial | null, b: LastPartial | null): LastPartial | null {
  if (a === null) return b;
  if (b === null) return a;
  if (b[0] > a[0] || (b[0] === a[0] && b[1] >= a[1])) return b;
  return a;
}

const last: Aggregator = {
  empty: () => null,
  add: (p, v, tau, alpha) => {
    if (p === null) return [tau, alpha, v];
    // The tile owns its partial: a later event overwrites it in place (laterOf's rule, without a new array).
    const a = p as LastPartial;
    if (tau > a[0] || (tau === a[0] && alpha >= a[1])) {
      a[0] = tau;
      a[1] = alpha;
      a[2] = v;
    }
    return a;
  },
  merge: (a, b) => {
    const winner = laterOf(a as LastPartial | null, b as LastPartial | null);
    return winner === b && winner !== null ? [...winner] : winner;
  },
  // A number JSON cannot hold (1e999 parses to Infinity) reads as null, as the store keeps it.
  result: (p) => (p === null ? null : finiteOrOther((p as LastPartial)[2])),
  revive: plain,
};

const finiteOrOther = (value: unknown): unknown =>
  typeof value === 'number' && !Number.isFinite(value) ? null : value;

const distinct: Aggregator = {
  empty: () => new DistinctSketch(),
  add: (p, v) => {
    (p as DistinctSketch).add(v as string | number);
    return p;
  },
  merge: (a, b) => {
    (a as DistinctSketch).merge(b as DistinctSketch);
    return a;
  },
  result: (p) => (p as DistinctSketch).estimate(),
  revive: (json) => DistinctSketch.fromJSON(json),
};

export const AGGREGATORS: Readonly<Record<Aggregation, Aggregator>> = {
  count,
  sum,
  avg,
  min: extreme(Math.min),
  max: extreme(Math.max),
  stddev,
  last,
  distinct,
};
