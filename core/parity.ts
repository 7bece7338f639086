import type { FeatureValue } from './engine/aggregates.js';

/**
 * Online/offline parity: the same feature read two ways (the online store or the feature log, and the offline
 * replay) must agree. Numbers agree within a tolerance, because partial sums merged in another order may differ in
 * the last bits; everything else must be equal.
 */

/** Relative and absolute slack for numbers: well above float rounding, far below any real difference. */
export const PARITY_TOLERANCE = 1e-9;

export function sameValue(a: unknown, b: unknown, tolerance = PARITY_TOLERANCE): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    return Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(a), Math.abs(b));
  }
  const empty = (v: unknown) => v === null || v === undefined;
  if (empty(a) || empty(b)) return empty(a) && empty(b);
  return String(a) === String(b);
}

export interface Mismatch {
  readonly what: string;
  readonly feature: string;
  readonly offline: unknown;
  readonly other: unknown;
}

/**
 * Mismatches of one feature. `maxAbsDiff`: the largest difference between two numbers; null when no mismatch
 * was between two numbers (text, or a value against an empty window).
 */
export interface FeatureMismatches {
  count: number;
  maxAbsDiff: number | null;
}

/** Counts comparisons and mismatches per feature, keeping the first few mismatches as examples. */
export class ParityTally {
  vectors = 0;
  vectorsSkewed = 0;
  values = 0;
  readonly mismatchesByFeature = new Map<string, FeatureMismatches>();
  readonly examples: Mismatch[] = [];

  constructor(private readonly maxExamples = 5) {}

  /** Compares one vector: each named feature, offline (the replay) against the other side. */
  compare(
    what: string,
    names: Iterable<string>,
    offline: Readonly<Record<string, FeatureValue>>,
    other: Readonly<Record<string, unknown>>,
  ): void {
    this.vectors++;
    let skewed = false;
    for (const name of names) {
      this.values++;
      if (sameValue(offline[name], other[name])) continue;
      skewed = true;
      const entry = this.mismatchesByFeature.get(name) ?? { count: 0, maxAbsDiff: null };
      entry.count++;
      const a = offline[name];
      const b = other[name];
      if (typeof a === 'number' && typeof b === 'number')
        entry.maxAbsDiff = Math.max(entry.maxAbsDiff ?? 0, Math.abs(a - b));
      this.mismatchesByFeature.set(name, entry);
      if (this.examples.length < this.maxExamples) {
        this.examples.push({ what, feature: name, offline: a ?? null, other: b ?? null });
      }
    }
    if (skewed) this.vectorsSkewed++;
  }

  get mismatches(): number {
    let total = 0;
    for (const { count } of this.mismatchesByFeature.values()) total += count;
    return total;
  }
}
