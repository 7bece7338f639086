import type { Aggregation } from '../spec/types.js';
import { AGGREGATORS, type FeatureValue, type LastPartial, type Partial } from './aggregates.js';
import type { Tile } from './entity-state.js';
import type { DistinctSketch } from './hll.js';

/**
 * A window's value from its tiles, with the same arithmetic, in the same order, as merging the tiles' partials
 * into an empty one (aggregates.ts) and taking its result, but in local numbers: a read makes no partial, so a
 * point-in-time join of a million labels makes no garbage of them. `aggregates.ts` stays the definition; the
 * property test in test/property/window-reader.test.ts holds the two equal bit for bit.
 *
 * `window[n - 1]` is the oldest tile, `window[0]` the newest; each tile's `ahead` entries with τ < t count right
 * after it, as `EntityState.read` merges them.
 */
export function foldWindow(
  agg: Aggregation,
  window: readonly (Readonly<Tile> | undefined)[],
  n: number,
  fi: number,
  t: number,
): FeatureValue {
  const m = gather(window, n, fi, t);
  const value = fold(agg, m);
  parts.fill(undefined, 0, m);
  return value;
}

/** The partials to merge, oldest first: one array for every read (reads never nest). */
const parts: (Partial | undefined)[] = [];

function gather(window: readonly (Readonly<Tile> | undefined)[], n: number, fi: number, t: number): number {
  let m = 0;
  for (let i = n - 1; i >= 0; i--) {
    const tile = window[i] as Tile;
    parts[m++] = tile.p[fi] as Partial;
    if (tile.a) for (const entry of tile.a) if (entry.tau < t) parts[m++] = entry.p[fi] as Partial;
  }
  return m;
}

function fold(agg: Aggregation, m: number): FeatureValue {
  if (m === 0) return EMPTY[agg];
  switch (agg) {
    case 'count': {
      let acc = 0;
      for (let i = 0; i < m; i++) acc = acc + (parts[i] as number);
      return acc;
    }
    case 'sum': {
      // aggregates.ts's sum: null once overflowed, and null takes everything with it.
      let acc = 0;
      for (let i = 0; i < m; i++) {
        const p = parts[i] as number | null;
        if (p === null) return null;
        acc = acc + p;
        if (!Number.isFinite(acc)) return null;
      }
      return acc;
    }
    case 'min':
    case 'max': {
      const pick = agg === 'min' ? Math.min : Math.max;
      let acc: number | null = null;
      for (let i = 0; i < m; i++) {
        const p = parts[i] as number | null;
        acc = acc === null ? p : p === null ? acc : pick(acc, p);
      }
      return acc;
    }
    case 'avg': {
      let count = 0;
      let sum = 0;
      for (let i = 0; i < m; i++) {
        const p = parts[i] as number[] | null;
        if (p === null) return null;
        const s = sum + (p[1] as number);
        if (!Number.isFinite(s)) return null;
        count = count + (p[0] as number);
        sum = s;
      }
      return count === 0 ? null : sum / count;
    }
    case 'stddev': {
      // Chan's merge, as aggregates.ts's stddev merges, in three numbers.
      let count = 0;
      let mean = 0;
      let m2 = 0;
      for (let i = 0; i < m; i++) {
        const p = parts[i] as number[] | null;
        if (p === null) return null;
        const nb = p[0] as number;
        if (nb === 0) continue;
        if (count === 0) {
          count = nb;
          mean = p[1] as number;
          m2 = p[2] as number;
          continue;
        }
        const total = count + nb;
        const delta = (p[1] as number) - mean;
        const nextMean = mean + (delta * nb) / total;
        const nextM2 = m2 + (p[2] as number) + (delta * delta * count * nb) / total;
        if (!Number.isFinite(nextMean) || !Number.isFinite(nextM2)) return null;
        count = total;
        mean = nextMean;
        m2 = nextM2;
      }
      return count === 0 ? null : Math.sqrt(Math.max(0, m2) / count);
    }
    case 'last': {
      // aggregates.ts's rule, keeping the winner without copying it: a read only takes its value.
      let acc: LastPartial | null = null;
      for (let i = 0; i < m; i++) {
        const b = parts[i] as LastPartial | null;
        if (acc === null || (b !== null && (b[0] > acc[0] || (b[0] === acc[0] && b[1] >= acc[1])))) acc = b;
      }
      return AGGREGATORS.last.result(acc);
    }
    case 'distinct': {
      // One sketch: its own estimate is the merge's (an empty sketch takes its hashes or registers as they are).
      if (m === 1) return (parts[0] as DistinctSketch).estimate();
      const distinct = AGGREGATORS.distinct;
      let acc = distinct.empty();
      for (let i = 0; i < m; i++) acc = distinct.merge(acc, parts[i] as Partial);
      return distinct.result(acc);
    }
  }
}

/** What a window without tiles reads: the result of an empty partial. */
const EMPTY = Object.fromEntries(
  Object.entries(AGGREGATORS).map(([agg, aggregator]) => [agg, aggregator.result(aggregator.empty())]),
) as Record<Aggregation, FeatureValue>;
