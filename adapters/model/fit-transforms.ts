import { type FeatureTransform, transformValue } from './embedded-model.js';
import { TrainingError } from './training-error.js';

/** Quantile q (0..1) of sorted values, interpolated linearly between order statistics (numpy's default). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const lower = sorted[below] as number;
  const upper = sorted[Math.min(below + 1, sorted.length - 1)] as number;
  return lower + (upper - lower) * (position - below);
}

/** Clip bounds: the extreme 0.1% of training values on each side stop mattering, so one outlier cannot. */
const CLIP_LOW = 0.001;
const CLIP_HIGH = 0.999;
/** Take log1p of a non-negative feature whose skewness (after clipping) is above this. */
const SKEWED = 1;

/**
 * Each feature's transform, from the training rows only: impute a missing value with the training median (or
 * 0 for a feature never missing in training: count, sum and distinct answer 0 for an empty window, so their
 * missing value at serving time can only mean 0); clip to the training [p0.1, p99.9]; log1p when non-negative
 * and skewed; then standardize with the training mean and standard deviation of the result.
 */
export function fitTransforms(
  numeric: ReadonlyMap<string, ArrayLike<number | null>>,
  features: readonly string[],
  rows: readonly number[],
): FeatureTransform[] {
  return features.map((name) => {
    const column = numeric.get(name);
    if (!column) throw new TrainingError(`feature "${name}" is not in the training set`);
    const observed: number[] = [];
    for (const row of rows) {
      const value = column[row];
      if (typeof value === 'number' && Number.isFinite(value)) observed.push(value);
    }
    const sorted = Float64Array.from(observed).sort();
    const transform: FeatureTransform = {
      impute: observed.length < rows.length && sorted.length > 0 ? quantile(sorted, 0.5) : 0,
    };
    if (sorted.length > 0) transform.clip = [quantile(sorted, CLIP_LOW), quantile(sorted, CLIP_HIGH)];
    const clipped = rows.map((row) => transformValue(column[row], transform));
    if ((transform.clip?.[0] ?? 0) >= 0 && skewness(clipped) > SKEWED) transform.log1p = true;
    const values = transform.log1p ? clipped.map(Math.log1p) : clipped;
    const { mean, std } = moments(values);
    transform.mean = mean;
    // A feature constant in training carries nothing; std 1 keeps it at 0 rather than dividing by 0.
    transform.std = std > 1e-12 ? std : 1;
    return transform;
  });
}

function moments(values: readonly number[]): { mean: number; std: number } {
  let sum = 0;
  for (const x of values) sum += x;
  const mean = values.length > 0 ? sum / values.length : 0;
  let squares = 0;
  for (const x of values) squares += (x - mean) ** 2;
  return { mean, std: values.length > 0 ? Math.sqrt(squares / values.length) : 0 };
}

function skewness(values: readonly number[]): number {
  const { mean, std } = moments(values);
  if (!(std > 0)) return 0;
  let cubes = 0;
  for (const x of values) cubes += ((x - mean) / std) ** 3;
  return cubes / values.length;
}
