import type { Aggregation } from '../spec/types.js';
import { DistinctSketch } from './hll.js';

/**
 * Mergeable partial aggregates, one kind per aggregation. A tile holds one partial per feature; a read merges
 * the partials of a window's tiles. Partials are plain JSON (but the distinct sketch, which serializes itself)
 * so the online store can keep them as they are.
 *
 * count: n · sum: s · avg: [n, s] · min/max: m | null · stddev: [n, mean, M2] (Welford, merged with Chan's
 * formula) · last: [τ, α, value] | null · distinct: DistinctSketch
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

const sum: Aggregator = {
  empty: () => 0,
  add: (p, v) => (p as number) + (v as number),
  merge: (a, b) => (a as number) + (b as number),
  result: (p) => p,
  revive: plain,
};

const avg: Aggregator = {
  empty: () => [0, 0],
  add: (p, v) => {
    const a = p as number[];
    a[0] = (a[0] as number) + 1;
    a[1] = (a[1] as number) + (v as number);
    return a;
  },
  merge: (p, q) => {
    const a = p as number[];
    const b = q as number[];
    a[0] = (a[0] as number) + (b[0] as number);
    a[1] = (a[1] as number) + (b[1] as number);
    return a;
  },
  result: (p) => {
    const [n, s] = p as [number, number];
    return n === 0 ? null : s / n;
  },
  revive: (json) => [...(json as number[])],
};

function extreme(pick: (a: number, b: number) => number): Aggregator {
  const combine = (a: Partial, b: Partial) =>
    a === null ? b : b === null ? a : pick(a as number, b as number);
  return { empty: () => null, add: combine, merge: combine, result: (p) => p, revive: plain };
}

const stddev: Aggregator = {
  empty: () => [0, 0, 0],
  add: (p, v) => {
    const a = p as number[];
    const x = v as number;
    const n = (a[0] as number) + 1;
    const delta = x - (a[1] as number);
    const mean = (a[1] as number) + delta / n;
    a[0] = n;
    a[1] = mean;
    a[2] = (a[2] as number) + delta * (x - mean);
    return a;
  },
  merge: (p, q) => {
    const a = p as number[];
    const [nb, meanB, m2b] = q as [number, number, number];
    const na = a[0] as number;
    if (nb === 0) return a;
    const n = na + nb;
    const delta = meanB - (a[1] as number);
    a[1] = (a[1] as number) + (delta * nb) / n;
    a[2] = (a[2] as number) + m2b + (delta * delta * na * nb) / n;
    a[0] = n;
    return a;
  },
  result: (p) => {
    const [n, , m2] = p as [number, number, number];
    return n === 0 ? null : Math.sqrt(Math.max(0, m2) / n);
  },
  revive: (json) => [...(json as number[])],
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
  add: (p, v, tau, alpha) => laterOf(p as LastPartial | null, [tau, alpha, v]),
  merge: (a, b) => {
    const winner = laterOf(a as LastPartial | null, b as LastPartial | null);
    return winner === b && winner !== null ? [...winner] : winner;
  },
  result: (p) => (p === null ? null : (p as LastPartial)[2]),
  revive: plain,
};

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
