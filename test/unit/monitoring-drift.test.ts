import { describe, expect, it } from 'vitest';
import { parseModelDocument } from '../../adapters/model/embedded-model.js';
import { trainingDistributions } from '../../adapters/model/training-distributions.js';
import {
  binShares,
  compareWithTraining,
  featureDistribution,
  PSI_MAJOR,
  PSI_SHARE_FLOOR,
  psi,
} from '../../core/monitoring/index.js';
import { fraudSpec } from '../support/fraud-training-set.js';
import { servedVectors } from '../support/served-vectors.js';

describe('featureDistribution', () => {
  it('cuts at the deciles, counts nulls apart, and sums its shares to 1', () => {
    const values = [...Array.from({ length: 100 }, (_, i) => i + 1), null, undefined, 'x', Number.NaN];
    const d = featureDistribution(values);
    expect(d.rows).toBe(104);
    expect(d.nullShare).toBeCloseTo(4 / 104, 12);
    // Each cut between the decile and the next value: 11.5 keeps 1..11 below it, 12 above.
    expect(d.edges).toEqual([11.5, 21.5, 31.5, 41.5, 51.5, 61.5, 71.5, 81.5, 91.5]);
    expect(d.shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(d.shares[0]).toBeCloseTo(0.11, 12); // 1..11
  });

  it('keeps one edge for a constant feature, so that served values above it show as drift', () => {
    const d = featureDistribution(new Array(50).fill(3));
    expect(d.edges).toEqual([3]);
    expect(d.shares).toEqual([1, 0]);
    expect(psi(d.shares, binShares(d.edges, [4, 4, 4, 4]))).toBeGreaterThan(PSI_MAJOR);
  });
});

describe('psi', () => {
  it('is Σ (a − e) ln(a / e) (by hand), 0 for equal shares, and floors empty bins', () => {
    expect(psi([0.5, 0.5], [0.5, 0.5])).toBe(0);
    expect(psi([0.5, 0.5], [0.25, 0.75])).toBeCloseTo(-0.25 * Math.log(0.5) + 0.25 * Math.log(1.5), 12);
    expect(psi([1, 0], [0.5, 0.5])).toBeCloseTo(
      -0.5 * Math.log(0.5) + (0.5 - PSI_SHARE_FLOOR) * Math.log(0.5 / PSI_SHARE_FLOOR),
      12,
    );
  });
});

describe('drift against training (fraud generator traffic)', () => {
  const spec = fraudSpec();
  const numeric = spec.spec.features.filter((f) => f.agg !== 'last');
  const fromAmount = new Set(numeric.filter((f) => f.field === 'amount').map((f) => f.name));
  const columns = (rows: ReturnType<typeof servedVectors>['rows']) =>
    new Map(numeric.map((f) => [f.name, rows.map((row) => (row.features[f.name] ?? null) as number | null)]));
  const served = (rows: ReturnType<typeof servedVectors>['rows']) =>
    Object.fromEntries([...columns(rows)].map(([name, values]) => [name, values as unknown[]]));
  // One world over one span of time, its labelled events dealt alternately to training and serving: the planted
  // shift is the only difference. Few cards, so that their windows hold several amounts.
  const traffic = { events: 8_000, eventsPerSecond: 0.5, cards: 200, merchants: 40, seed: 7 };
  const plain = servedVectors(traffic).rows;
  const training = trainingDistributions(columns(plain.filter((_, i) => i % 2 === 0)));
  const later = (rows: typeof plain) => rows.filter((_, i) => i % 2 === 1);

  it('raises PSI above 0.1 for exactly the features computed from amount when amounts triple', () => {
    const drift = compareWithTraining(training, served(later(servedVectors(traffic, 3).rows)));
    // 0.1, the usual moderate-shift line: the card–merchant pair's 24 h sum moves least (most pairs' windows are
    // empty, and 3 × 0 is 0), the per-card ones far beyond the major line.
    const shifted = drift.filter((d) => (d.psi ?? 0) > 0.1).map((d) => d.feature);
    expect(new Set(shifted)).toEqual(fromAmount);
    expect(drift.filter((d) => (d.psi ?? 0) > PSI_MAJOR).length).toBeGreaterThanOrEqual(fromAmount.size - 1);
    for (const d of drift) if (!fromAmount.has(d.feature)) expect(d.psi, d.feature).toBeLessThan(0.05);
    // Most drifted first.
    expect(fromAmount.has(drift[0]?.feature as string)).toBe(true);
  });

  it('stays below 0.1 for every feature on fresh traffic with no shift', () => {
    const drift = compareWithTraining(training, served(later(plain)));
    for (const d of drift) expect(d.psi, d.feature).toBeLessThan(0.05);
  });

  it('is recorded compactly in a model document, which still loads without it', () => {
    const base = { version: 'm-000000000000', features: ['a'], weights: [1], bias: 0 };
    expect(parseModelDocument(base).featureDistributions).toBeUndefined();
    const document = parseModelDocument({ ...base, featureDistributions: training });
    expect(Object.keys(document.featureDistributions ?? {})).toHaveLength(numeric.length);
    expect(JSON.stringify(training).length).toBeLessThan(8_000);
  });
});
