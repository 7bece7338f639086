/**
 * Drift of served features between two windows of the feature log (this window and the same window a week
 * earlier): the earlier window's values are the reference, cut into their deciles as a training set's are.
 */
import { compareWithTraining, featureDistribution, numericValue } from './drift.js';

export const WEEK_MS = 7 * 24 * 3_600_000;

export interface WindowFeatureDrift {
  readonly feature: string;
  /** PSI of this window's values against the earlier window's deciles; null when either side has no number. */
  readonly psi: number | null;
  readonly earlierNullShare: number;
  readonly servedNullShare: number;
  readonly earlierRows: number;
  readonly servedRows: number;
}

/**
 * Every feature either window served, most drifted first (null PSI last). A feature with no number on either
 * side (a text feature) has PSI null and its null shares only.
 */
export function compareWithEarlier(
  earlier: Readonly<Record<string, readonly unknown[]>>,
  served: Readonly<Record<string, readonly unknown[]>>,
): WindowFeatureDrift[] {
  const features = [...new Set([...Object.keys(earlier), ...Object.keys(served)])].sort();
  const reference = Object.fromEntries(
    features.map((name) => [name, featureDistribution(earlier[name] ?? [])]),
  );
  const drifts = compareWithTraining(reference, served);
  return drifts.map((drift) => {
    const before = earlier[drift.feature] ?? [];
    let numbers = 0;
    for (const value of before) if (numericValue(value) !== null) numbers++;
    return {
      feature: drift.feature,
      psi: drift.psi,
      earlierNullShare: before.length > 0 ? (before.length - numbers) / before.length : 0,
      servedNullShare: drift.servedNullShare,
      earlierRows: before.length,
      servedRows: drift.servedRows,
    };
  });
}
