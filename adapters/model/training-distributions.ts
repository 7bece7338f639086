/**
 * The training feature distributions a model document may carry (`featureDistributions`): per numeric feature
 * of its training set, the decile cut points, the share of rows in each bin and the share of nulls
 * (core/monitoring/drift.ts). Monitoring compares served features with them; they do not change a score, so the
 * content-hash version leaves them out. Documents written before they existed have none, and still load.
 */
import * as z from 'zod/mini';
import { featureDistribution } from '../../core/monitoring/index.js';

export const distributionSchema = z.strictObject({
  rows: z.number(),
  nullShare: z.number(),
  edges: z.array(z.number()),
  shares: z.array(z.number()),
});

export type TrainingDistribution = z.infer<typeof distributionSchema>;

/**
 * Distributions of the training set's numeric columns; shares rounded to 6 significant digits (compact). The cut
 * points are kept as the core placed them (short decimals between data values, or a data value): rounding one
 * that is a data value moved every value on it to the next bin.
 */
export function trainingDistributions(
  numeric: ReadonlyMap<string, ArrayLike<number | null>>,
): Record<string, TrainingDistribution> {
  const round = (n: number) => Number(n.toPrecision(6));
  const result: Record<string, TrainingDistribution> = {};
  for (const [name, values] of numeric) {
    const { rows, nullShare, edges, shares } = featureDistribution(Array.from(values));
    result[name] = { rows, nullShare: round(nullShare), edges: [...edges], shares: shares.map(round) };
  }
  return result;
}
