import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { calibrationByDecile, modelQuality, percentile } from '../../adapters/model/live-quality.js';
import { qualityByModel } from '../../adapters/monitoring/quality-report.js';
import { type DelayedLabel, joinLabels, type ScoredRequest } from '../../core/monitoring/index.js';
import { pairCountingAuc, stepRulePrAuc } from '../support/metric-definitions.js';

const scoredSet = fc
  .array(fc.tuple(fc.constantFrom<0 | 1>(0, 1), fc.integer({ min: 0, max: 20 })), {
    minLength: 2,
    maxLength: 60,
  })
  .filter((rows) => rows.some(([y]) => y === 1) && rows.some(([y]) => y === 0))
  .map((rows) => ({ labels: rows.map(([y]) => y), scores: rows.map(([, s]) => s / 20) }));

describe('modelQuality', () => {
  it('agrees with AUC by pair counting and PR AUC by the step rule on random sets', () => {
    fc.assert(
      fc.property(scoredSet, ({ labels, scores }) => {
        const quality = modelQuality(scores, labels);
        expect(quality.rocAuc).toBeCloseTo(pairCountingAuc(labels, scores), 12);
        expect(quality.prAuc).toBeCloseTo(stepRulePrAuc(labels, scores), 12);
      }),
    );
  });

  it('gives AUC 1 for a perfect ranking and 0 for the reversed one', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 30 }),
        (negatives, positives) => {
          const labels = [...new Array(negatives).fill(0), ...new Array(positives).fill(1)] as (0 | 1)[];
          const rising = labels.map((_, i) => i / labels.length);
          expect(modelQuality(rising, labels).rocAuc).toBe(1);
          expect(
            modelQuality(
              rising.map((s) => -s),
              labels,
            ).rocAuc,
          ).toBe(0);
        },
      ),
    );
  });

  it('does not change its AUCs under a strictly increasing transform of the scores', () => {
    fc.assert(
      fc.property(scoredSet, ({ labels, scores }) => {
        const before = modelQuality(scores, labels);
        const after = modelQuality(
          scores.map((s) => Math.exp(3 * s) + 7),
          labels,
        );
        expect(after.rocAuc).toBeCloseTo(before.rocAuc as number, 12);
        expect(after.prAuc).toBeCloseTo(before.prAuc as number, 12);
      }),
    );
  });

  it('counts precision and recall at the threshold, score ≥ threshold flagged (hand-computed)', () => {
    // Flagged: 0.5, 0.7, 0.9 → positives among them: 0.7, 0.9 → precision 2/3; positives 3 → recall 2/3.
    const quality = modelQuality([0.1, 0.4, 0.5, 0.7, 0.9], [0, 1, 0, 1, 1], 0.5);
    expect(quality.precision).toBeCloseTo(2 / 3, 12);
    expect(quality.recall).toBeCloseTo(2 / 3, 12);
    // Mean score 2.6/5 = 0.52 over a positive rate of 0.6.
    expect(quality.calibrationRatio).toBeCloseTo(0.52 / 0.6, 12);
  });

  it('answers null AUCs, not an error, when the window has labels of one class only', () => {
    const quality = modelQuality([0.2, 0.3], [0, 0]);
    expect(quality.rocAuc).toBeNull();
    expect(quality.prAuc).toBeNull();
    expect(quality.recall).toBeNull();
    expect(quality.calibrationRatio).toBeNull();
  });
});

describe('calibrationByDecile', () => {
  it('cuts 20 rows into ten bins of two by score and compares mean score with the positive rate (by hand)', () => {
    const scores = Array.from({ length: 20 }, (_, i) => (20 - i) / 20); // given in descending order
    const labels = scores.map((s) => (s > 0.675 ? 1 : 0)) as (0 | 1)[];
    const bins = calibrationByDecile(scores, labels);
    expect(bins).toHaveLength(10);
    // Lowest bin: scores 0.05 and 0.10, no positive.
    expect(bins[0]).toMatchObject({ rows: 2, observed: 0, ratio: null });
    expect(bins[0]?.expected).toBeCloseTo(0.075, 12);
    // Bin 7: scores 0.65 and 0.70: one positive (0.70).
    expect(bins[6]?.expected).toBeCloseTo(0.675, 12);
    expect(bins[6]?.observed).toBe(0.5);
    expect(bins[6]?.ratio).toBeCloseTo(1.35, 12);
    // Top bin: 0.95 and 1.0, both positive.
    expect(bins[9]?.expected).toBeCloseTo(0.975, 12);
    expect(bins[9]?.observed).toBe(1);
  });

  it('makes fewer bins than ten when there are fewer rows, and the first rows % 10 bins one larger', () => {
    expect(calibrationByDecile([0.1, 0.2, 0.3], [0, 1, 0]).map((b) => b.rows)).toEqual([1, 1, 1]);
    expect(calibrationByDecile(new Array(23).fill(0.5), new Array(23).fill(0)).map((b) => b.rows)).toEqual([
      3, 3, 3, 2, 2, 2, 2, 2, 2, 2,
    ]);
  });
});

describe('percentile', () => {
  it('takes the nearest rank', () => {
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        99,
      ),
    ).toBe(99);
    expect(percentile([], 50)).toBeNull();
  });
});

describe('qualityByModel', () => {
  const hour = 3_600_000;
  const request = (id: string, ms: number, over: Partial<ScoredRequest> = {}): ScoredRequest => ({
    source: id,
    requestId: id,
    requestMs: ms,
    t: ms,
    entities: [{ entity: 'card', key: { card_id: id } }],
    features: {},
    score: 0.5,
    modelVersion: 'm-champion',
    variant: 'champion',
    shadowScore: null,
    shadowModelVersion: null,
    ...over,
  });
  const label = (id: string, value: 0 | 1, labelTime: number): DelayedLabel => ({
    source: `labels:${id}`,
    requestId: id,
    keys: {},
    t: null,
    label: value,
    labelTime,
  });

  it('reports champion, challenger and shadow apart, with coverage and label delay', () => {
    const requests = [
      request('a', 0, { score: 0.9, shadowScore: 0.2, shadowModelVersion: 'm-shadow' }),
      request('b', hour, { score: 0.1, shadowScore: 0.8, shadowModelVersion: 'm-shadow' }),
      request('c', 2 * hour, { score: 0.3, shadowScore: 0.4, shadowModelVersion: 'm-shadow' }),
      request('d', 2 * hour, { score: 0.7, modelVersion: 'm-challenger', variant: 'challenger' }),
    ];
    const labels = [label('a', 1, 10 * hour), label('b', 0, 11 * hour), label('d', 1, 30 * hour)];
    const report = qualityByModel(requests, joinLabels(requests, labels), { toMs: 24 * hour });
    const byVariant = Object.fromEntries(report.map((q) => [q.variant, q]));
    expect(Object.keys(byVariant).sort()).toEqual(['challenger', 'champion', 'shadow']);
    expect(byVariant.champion?.quality.rocAuc).toBe(1);
    expect(byVariant.shadow?.quality.rocAuc).toBe(0); // the shadow ranked a and b the wrong way round
    expect(byVariant.shadow?.modelVersion).toBe('m-shadow');
    expect(byVariant.champion?.predictions).toBe(3);
    expect(byVariant.champion?.labelCoverage).toBeCloseTo(2 / 3, 12);
    expect(byVariant.champion?.labelDelayP50Ms).toBe(10 * hour);
    // d's label came after the window's end: no coverage and no metrics for the challenger.
    expect(byVariant.challenger?.labelCoverage).toBe(0);
    expect(byVariant.challenger?.quality.rows).toBe(0);
  });
});
