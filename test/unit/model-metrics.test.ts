import { describe, expect, it } from 'vitest';
import { averagePrecision, rocAuc } from '../../adapters/model/metrics.js';
import { seededRandom } from '../../core/seeded-random.js';
import { pairCountingAuc, stepRulePrAuc } from '../support/metric-definitions.js';

describe('rocAuc', () => {
  it('is 1 for a perfect ranking, 0 for a reversed one, 0.5 when every score ties', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])).toBe(1);
    expect(rocAuc([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1])).toBe(0);
    expect(rocAuc([0, 1, 0, 1, 1], [0.3, 0.3, 0.3, 0.3, 0.3])).toBe(0.5);
  });

  it("gives scikit-learn's documented value", () => {
    // sklearn.metrics.roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBe(0.75);
  });

  it('counts a tied positive–negative pair as one half', () => {
    // Pairs (positive, negative): (0.5, 0.5) tie ½, (0.5, 0.1) 1, (0.9, 0.5) 1, (0.9, 0.1) 1 → 3.5 / 4.
    expect(rocAuc([1, 0, 1, 0], [0.5, 0.5, 0.9, 0.1])).toBe(0.875);
  });

  it('agrees with the pairwise definition on random data with many ties, whatever the row order', () => {
    const next = seededRandom(7);
    for (let trial = 0; trial < 20; trial++) {
      const n = 5 + Math.floor(next() * 60);
      const labels = Array.from({ length: n }, (_, i) => (i < 2 ? i : next() < 0.3 ? 1 : 0));
      const scores = labels.map(() => Math.round(next() * 8) / 8);
      const expected = pairCountingAuc(labels, scores);
      expect(rocAuc(labels, scores)).toBeCloseTo(expected, 12);
      expect(rocAuc([...labels].reverse(), [...scores].reverse())).toBeCloseTo(expected, 12);
    }
  });

  it('sorts infinite scores (a saturated model) rather than tying them', () => {
    expect(rocAuc([0, 1, 0, 1], [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, 0, 1])).toBe(1);
  });

  it('fails without both labels, naming the counts', () => {
    expect(() => rocAuc([0, 0], [0.1, 0.2])).toThrow(
      'rocAuc needs at least one positive and one negative label (got 0 positives, 2 negatives)',
    );
    expect(() => rocAuc([1], [0.1])).toThrow('(got 1 positives, 0 negatives)');
  });

  it('fails on a label that is not 0 or 1, a NaN score, or lengths that differ', () => {
    expect(() => rocAuc([0, 2], [0.1, 0.2])).toThrow('rocAuc: labels must be 0 or 1 (got 2 at row 1)');
    expect(() => rocAuc([0, 1], [0.1, Number.NaN])).toThrow('rocAuc: score at row 1 is NaN');
    expect(() => rocAuc([0, 1], [0.1])).toThrow('rocAuc: 2 labels for 1 scores');
  });
});

describe('averagePrecision (PR AUC)', () => {
  it('is 1 for a perfect ranking and the base rate when every score ties', () => {
    expect(averagePrecision([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])).toBe(1);
    expect(averagePrecision([0, 1, 0, 0, 1], [0.3, 0.3, 0.3, 0.3, 0.3])).toBeCloseTo(2 / 5, 15);
  });

  it("gives scikit-learn's documented value", () => {
    // sklearn.metrics.average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.8333…
    expect(averagePrecision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(5 / 6, 15);
  });

  it('is a step sum over thresholds, ties taken together (hand-computed)', () => {
    // ≥ 0.9: 1 of 1 right, recall ½ → ½ · 1; ≥ 0.5: 2 of 3 right, recall 1 → ½ · ⅔. Total 5/6.
    expect(averagePrecision([1, 0, 1, 0], [0.5, 0.5, 0.9, 0.1])).toBeCloseTo(5 / 6, 15);
    // A reversed ranking: only the last threshold finds the positive: 1 · ⅓.
    expect(averagePrecision([1, 0, 0], [0.1, 0.5, 0.9])).toBeCloseTo(1 / 3, 15);
  });

  it('agrees with the definition on random data with many ties, whatever the row order', () => {
    const next = seededRandom(11);
    for (let trial = 0; trial < 20; trial++) {
      const n = 5 + Math.floor(next() * 60);
      const labels = Array.from({ length: n }, (_, i) => (i < 2 ? i : next() < 0.2 ? 1 : 0));
      const scores = labels.map((y) => Math.round((next() + 0.3 * y) * 6) / 6);
      const expected = stepRulePrAuc(labels, scores);
      expect(averagePrecision(labels, scores)).toBeCloseTo(expected, 12);
      expect(averagePrecision([...labels].reverse(), [...scores].reverse())).toBeCloseTo(expected, 12);
    }
  });

  it('fails without a positive label, naming the counts', () => {
    expect(() => averagePrecision([0, 0, 0], [0.1, 0.2, 0.3])).toThrow(
      'averagePrecision needs at least one positive and one negative label (got 0 positives, 3 negatives)',
    );
  });
});
