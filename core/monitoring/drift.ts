/**
 * Feature drift: a feature's training distribution kept compactly (decile cut points and the share of rows in
 * each bin, plus the share of nulls), and the population stability index (PSI) of served values against it.
 */

/** A numeric feature's training distribution: what `streamfeatures train` records in the model's registry entry. */
export interface FeatureDistribution {
  /** Rows seen, nulls included. */
  readonly rows: number;
  /** Share of rows with no numeric value (null, missing, not a finite number). */
  readonly nullShare: number;
  /**
   * Ascending, distinct cut points at the deciles of the non-null values, each placed between the decile's value
   * and the next distinct value above it (the shortest decimal there, so it survives JSON unchanged). Bin i holds
   * values ≤ edges[i] (and > edges[i−1]); the last bin, values above every edge (empty in training when the top
   * decile is the maximum, so that values beyond the training range show: that edge is the maximum itself). A
   * feature with few distinct values has fewer edges.
   */
  readonly edges: readonly number[];
  /** The share of non-null values in each bin: edges.length + 1 numbers summing to 1 (empty when all null). */
  readonly shares: readonly number[];
}

/** Decile cut points: a distribution of 10 bins at most. */
const QUANTILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/**
 * A share below this counts as this in PSI: an empty bin on one side would make ln(a/e) infinite. 1e-4 is the
 * usual floor; it caps one empty bin's contribution near 0.1 × ln(0.1/1e-4) ≈ 0.7.
 */
export const PSI_SHARE_FLOOR = 1e-4;

/** Usual reading of PSI: below 0.1 stable, 0.1–0.25 a moderate shift, above 0.25 a major one. */
export const PSI_MAJOR = 0.25;

export function numericValue(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return null;
}

/**
 * How near an edge a value counts as on it, relative to the edge: a feature computed twice (the online store's
 * merged partials, the replay's running ones) can differ in its last bits, and a value that sits on an edge must
 * not change bins for that. 1e-9 is a million ulps, far below any difference drift is about.
 */
export const EDGE_TOLERANCE = 1e-9;

/** The most a value may exceed the edge and still count as on it. */
function slack(edge: number): number {
  return Math.abs(edge) * EDGE_TOLERANCE;
}

export function featureDistribution(values: readonly unknown[]): FeatureDistribution {
  const numbers: number[] = [];
  for (const value of values) {
    const n = numericValue(value);
    if (n !== null) numbers.push(n);
  }
  const rows = values.length;
  if (numbers.length === 0) return { rows, nullShare: rows > 0 ? 1 : 0, edges: [], shares: [] };
  numbers.sort((a, b) => a - b);
  const edges: number[] = [];
  for (const q of QUANTILES) {
    const at = Math.min(numbers.length - 1, Math.floor(q * numbers.length));
    const value = numbers[at] as number;
    // The next distinct value above the decile's: the edge goes between them, away from every data value.
    let next = at + 1;
    while (next < numbers.length && (numbers[next] as number) === value) next++;
    const edge = next < numbers.length ? cutBetween(value, numbers[next] as number) : value;
    if (edges.length === 0 || edge > (edges[edges.length - 1] as number)) edges.push(edge);
  }
  return { rows, nullShare: (rows - numbers.length) / rows, edges, shares: binShares(edges, numbers) };
}

/**
 * The shortest decimal between two values, clear of both by more than the tolerance (so that neither, computed
 * again in other last bits, crosses it); the lower value itself when they are too close for that.
 */
export function cutBetween(lower: number, upper: number): number {
  const middle = lower + (upper - lower) / 2;
  for (let digits = 1; digits <= 17; digits++) {
    const cut = Number(middle.toPrecision(digits));
    if (cut - slack(cut) > lower + slack(lower) && cut + slack(cut) < upper - slack(upper)) return cut;
  }
  return lower;
}

/** The share of the numbers falling in each bin the edges cut. */
export function binShares(edges: readonly number[], numbers: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const n of numbers) {
    const bin = binOf(edges, n);
    counts[bin] = (counts[bin] as number) + 1;
  }
  return counts.map((count) => (numbers.length > 0 ? count / numbers.length : 0));
}

/** The first edge ≥ n, within the tolerance (binary search), or the last bin. */
function binOf(edges: readonly number[], n: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const edge = edges[mid] as number;
    if (n <= edge + slack(edge)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** PSI = Σ (actual − expected) · ln(actual / expected) over the bins, each share floored at PSI_SHARE_FLOOR. */
export function psi(expected: readonly number[], actual: readonly number[]): number {
  if (expected.length !== actual.length) {
    throw new RangeError(`psi: ${expected.length} expected bins for ${actual.length} actual`);
  }
  let sum = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i] as number, PSI_SHARE_FLOOR);
    const a = Math.max(actual[i] as number, PSI_SHARE_FLOOR);
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
}

export interface FeatureDrift {
  readonly feature: string;
  /** null when training or serving had no non-null value to compare. */
  readonly psi: number | null;
  readonly trainingNullShare: number;
  readonly servedNullShare: number;
  readonly servedRows: number;
}

/**
 * Served values of each feature the training distributions know, against them; most drifted first (null PSI
 * last). Features served but not in training are left out: the model never saw them.
 */
export function compareWithTraining(
  training: Readonly<Record<string, FeatureDistribution>>,
  served: Readonly<Record<string, readonly unknown[]>>,
): FeatureDrift[] {
  const drifts: FeatureDrift[] = [];
  for (const [feature, expected] of Object.entries(training)) {
    const values = served[feature] ?? [];
    const numbers: number[] = [];
    for (const value of values) {
      const n = numericValue(value);
      if (n !== null) numbers.push(n);
    }
    const comparable = expected.shares.length > 0 && numbers.length > 0;
    drifts.push({
      feature,
      psi: comparable ? psi(expected.shares, binShares(expected.edges, numbers)) : null,
      trainingNullShare: expected.nullShare,
      servedNullShare: values.length > 0 ? (values.length - numbers.length) / values.length : 0,
      servedRows: values.length,
    });
  }
  return drifts.sort((a, b) => (b.psi ?? -1) - (a.psi ?? -1) || (a.feature < b.feature ? -1 : 1));
}
