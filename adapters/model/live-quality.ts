/**
 * Live model quality: how the scores a model served compare with the labels that came later. Pure functions of
 * (score, label) pairs; grouping, windows and files are the caller's.
 */
import { averagePrecision, rocAuc } from './metrics.js';

/**
 * The score at or above which a request counts as flagged, for precision and recall. The scoring API answers a
 * score and decides nothing (no threshold in the Lambda or the model document): the caller's rule is the
 * serving threshold, so monitoring takes it as a setting, this by default.
 */
export const DEFAULT_SERVING_THRESHOLD = 0.5;

/** One tenth of the scored requests by score, lowest first: what the model expected and what happened. */
export interface CalibrationBin {
  readonly rows: number;
  /** The mean score: the expected positive rate. */
  readonly expected: number;
  /** The share of positives among the labels. */
  readonly observed: number;
  /** expected / observed; null when none was positive. */
  readonly ratio: number | null;
}

export interface ModelQuality {
  readonly rows: number;
  readonly positives: number;
  /** null unless there is at least one positive and one negative. */
  readonly rocAuc: number | null;
  readonly prAuc: number | null;
  /** Mean score over the positive rate (1 = calibrated overall); null with no positive. */
  readonly calibrationRatio: number | null;
  /** By score decile (fewer bins with fewer than 10 rows). */
  readonly calibration: readonly CalibrationBin[];
  readonly threshold: number;
  /** Of the flagged (score ≥ threshold), the share positive; null when none was flagged. */
  readonly precision: number | null;
  /** Of the positives, the share flagged; null with no positive. */
  readonly recall: number | null;
}

export function modelQuality(
  scores: readonly number[],
  labels: readonly (0 | 1)[],
  threshold = DEFAULT_SERVING_THRESHOLD,
): ModelQuality {
  if (scores.length !== labels.length) {
    throw new RangeError(`modelQuality: ${labels.length} labels for ${scores.length} scores`);
  }
  const rows = scores.length;
  let positives = 0;
  let flagged = 0;
  let flaggedPositives = 0;
  let scoreSum = 0;
  for (let i = 0; i < rows; i++) {
    const label = labels[i] as 0 | 1;
    const score = scores[i] as number;
    positives += label;
    scoreSum += score;
    if (score >= threshold) {
      flagged++;
      flaggedPositives += label;
    }
  }
  const ranked = positives > 0 && positives < rows;
  return {
    rows,
    positives,
    rocAuc: ranked ? rocAuc(labels, scores) : null,
    prAuc: ranked ? averagePrecision(labels, scores) : null,
    calibrationRatio: positives > 0 ? scoreSum / rows / (positives / rows) : null,
    calibration: calibrationByDecile(scores, labels),
    threshold,
    precision: flagged > 0 ? flaggedPositives / flagged : null,
    recall: positives > 0 ? flaggedPositives / positives : null,
  };
}

/**
 * The rows sorted by score and cut into ten bins of equal size (the first `rows % 10` one row larger); ties may
 * straddle a cut, so a bin is a tenth of the requests, not a tenth of the score range.
 */
export function calibrationByDecile(
  scores: readonly number[],
  labels: readonly (0 | 1)[],
  bins = 10,
): CalibrationBin[] {
  const order = scores
    .map((_, i) => i)
    .sort((a, b) => (scores[a] as number) - (scores[b] as number) || a - b);
  const count = Math.min(bins, order.length);
  const result: CalibrationBin[] = [];
  let start = 0;
  for (let b = 0; b < count; b++) {
    const size = Math.floor(order.length / count) + (b < order.length % count ? 1 : 0);
    let scoreSum = 0;
    let positives = 0;
    for (let k = start; k < start + size; k++) {
      const i = order[k] as number;
      scoreSum += scores[i] as number;
      positives += labels[i] as number;
    }
    const expected = scoreSum / size;
    const observed = positives / size;
    result.push({ rows: size, expected, observed, ratio: positives > 0 ? expected / observed : null });
    start += size;
  }
  return result;
}

/** The p-th percentile (0–100) by the nearest-rank rule; null for no values. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}
