import { describe, expect, it } from 'vitest';
import { EmbeddedModel, transformValue } from '../../adapters/model/embedded-model.js';
import { checkModelVersion } from '../../adapters/model/model-version.js';
import {
  fitLogistic,
  fitTransforms,
  quantile,
  splitByTime,
  type TrainingSetColumns,
  trainModel,
} from '../../adapters/model/training.js';
import { seededRandom } from '../../core/seeded-random.js';

/**
 * A synthetic, imbalanced training set: `busy` (a count, skewed, higher for positives), `amount` (sometimes
 * missing, higher for positives), `noise` (unrelated to the label), and a string column. One row a second.
 */
function synthetic(n: number, positiveRate: number, seed = 1): TrainingSetColumns {
  const next = seededRandom(seed);
  const t: number[] = [];
  const label: number[] = [];
  const busy: number[] = [];
  const amount: (number | null)[] = [];
  const noise: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = next() < positiveRate ? 1 : 0;
    t.push(1_790_000_000_000 + i * 1000);
    label.push(y);
    busy.push(Math.floor(-Math.log(1 - next()) * (y ? 6 : 1.5)));
    amount.push(next() < 0.2 ? null : Math.exp(3 + next() + y * next()));
    noise.push(next() * 10 - 5);
  }
  return {
    t,
    label,
    numeric: new Map<string, (number | null)[]>([
      ['busy', busy],
      ['amount', amount],
      ['noise', noise],
    ]),
    nonNumeric: ['country'],
  };
}

describe('splitByTime', () => {
  it('holds out the latest rows: the last fraction by t, whatever the row order', () => {
    const t = [50, 10, 40, 20, 30, 60, 100, 90, 80, 70];
    const split = splitByTime(t, 0.2);
    expect(split.holdoutFrom).toBe(90);
    expect(split.holdout.map((i) => t[i])).toEqual([90, 100]);
    expect(split.train.map((i) => t[i])).toEqual([10, 20, 30, 40, 50, 60, 70, 80]);
  });

  it('puts every row tied with the cutoff in the holdout: no instant is on both sides', () => {
    const t = [1, 2, 3, 4, 5, 6, 7, 8, 8, 8];
    const split = splitByTime(t, 0.2);
    expect(split.holdoutFrom).toBe(8);
    expect(split.holdout).toHaveLength(3);
    expect(Math.max(...split.train.map((i) => t[i] as number))).toBeLessThan(split.holdoutFrom);
  });

  it('fails on an empty set or a fraction outside (0, 1), naming it', () => {
    expect(() => splitByTime([], 0.2)).toThrow('the training set has no rows');
    expect(() => splitByTime([1, 2], 1)).toThrow('between 0 and 1, exclusive (got 1)');
    expect(() => splitByTime([1, 2], 0)).toThrow('(got 0)');
  });
});

describe('fitTransforms', () => {
  it('fits on the given rows only: values elsewhere change nothing', () => {
    const rows = [0, 1, 2, 3, 4];
    const column = [1, 2, null, 4, 100, 1e9, -1e9, null];
    const [fitted] = fitTransforms(new Map([['x', column]]), ['x'], rows);
    const [alone] = fitTransforms(new Map([['x', column.slice(0, 5)]]), ['x'], rows);
    expect(fitted).toEqual(alone);
  });

  it('imputes the training median where values are missing, 0 for a column never missing', () => {
    const [withGaps, complete] = fitTransforms(
      new Map([
        ['min', [5, null, 1, 3, null]],
        ['count', [5, 4, 1, 3, 2]],
      ]),
      ['min', 'count'],
      [0, 1, 2, 3, 4],
    );
    expect(withGaps?.impute).toBe(3);
    expect(complete?.impute).toBe(0);
  });

  it('clips at the training p0.1 and p99.9, takes log1p of skewed non-negative values, standardizes the result', () => {
    const skewed = Array.from({ length: 2000 }, (_, i) => (i % 100 === 0 ? 1000 + i : i % 7));
    const [transform] = fitTransforms(
      new Map([['x', skewed]]),
      ['x'],
      skewed.map((_, i) => i),
    );
    const sorted = Float64Array.from(skewed).sort();
    expect(transform?.clip).toEqual([quantile(sorted, 0.001), quantile(sorted, 0.999)]);
    expect(transform?.log1p).toBe(true);
    // Standardized: the model's inputs for the training rows have mean 0 and standard deviation 1.
    const inputs = skewed.map((x) => transformValue(x, transform));
    const mean = inputs.reduce((a, b) => a + b, 0) / inputs.length;
    const variance = inputs.reduce((a, b) => a + (b - mean) ** 2, 0) / inputs.length;
    expect(mean).toBeCloseTo(0, 10);
    expect(variance).toBeCloseTo(1, 10);
  });

  it('leaves symmetric or negative features in their own units, and a constant one at 0', () => {
    const [symmetric, constant] = fitTransforms(
      new Map([
        ['symmetric', [-3, -1, 0, 1, 3]],
        ['constant', [7, 7, 7, 7, 7]],
      ]),
      ['symmetric', 'constant'],
      [0, 1, 2, 3, 4],
    );
    expect(symmetric?.log1p).toBeUndefined();
    expect(constant).toMatchObject({ mean: 7, std: 1 });
    expect(transformValue(7, constant)).toBe(0);
  });
});

describe('fitLogistic and the model document', () => {
  it("gives a document whose score, EmbeddedModel's own, is the library's probability", () => {
    const set = synthetic(3000, 0.1);
    const features = ['busy', 'amount', 'noise'];
    const rows = Array.from({ length: 3000 }, (_, i) => i);
    const transforms = fitTransforms(set.numeric, features, rows);
    const vector = (row: number) =>
      Object.fromEntries(features.map((name) => [name, set.numeric.get(name)?.[row] ?? null]));
    const inputs = rows.map((row) =>
      features.map((name, j) => transformValue(vector(row)[name], transforms[j])),
    );
    const fitted = fitLogistic(
      inputs,
      rows.map((row) => set.label[row] as number),
      { steps: 200 },
    );
    const model = new EmbeddedModel({
      version: 'v',
      features,
      weights: fitted.weights,
      bias: fitted.bias,
      transforms: Object.fromEntries(features.map((name, j) => [name, transforms[j] ?? {}])),
    });
    const library = fitted.probabilities(inputs);
    rows.forEach((row) => {
      expect(model.scoreVector(vector(row))).toBeCloseTo(library[row] as number, 12);
    });
    // And the model learned the direction of each signal: the intercept did not land on a feature's weight.
    expect(fitted.weights[0]).toBeGreaterThan(0.3);
    expect(fitted.weights[1]).toBeGreaterThan(0.1);
    expect(Math.abs(fitted.weights[2] as number)).toBeLessThan(0.2);
    expect(fitted.bias).toBeLessThan(-1);
  });
});

describe('trainModel', () => {
  const set = synthetic(20_000, 0.015);
  const model = trainModel(set, { trainingSet: 'synthetic.parquet' });

  it('learns a rare class: holdout ROC AUC well above chance, scores spread, calibrated to the base rate', () => {
    expect(model.holdout.rocAuc).toBeGreaterThan(0.8);
    expect(model.holdout.prAuc).toBeGreaterThan(3 * (model.holdout.positives / model.holdout.rows));
    // The bias correction for the sampled negatives: the mean score is about the training base rate.
    const served = new EmbeddedModel(model.document);
    const scores = model.split.train.map((row) =>
      served.scoreVector({
        busy: set.numeric.get('busy')?.[row] ?? null,
        amount: set.numeric.get('amount')?.[row] ?? null,
        noise: set.numeric.get('noise')?.[row] ?? null,
      }),
    );
    const meanScore = scores.reduce((a, b) => a + b, 0) / scores.length;
    const baseRate = model.train.positives / model.train.rows;
    expect(meanScore).toBeGreaterThan(baseRate / 1.5);
    expect(meanScore).toBeLessThan(baseRate * 1.5);
    expect(model.fit.negativeRate).toBeLessThan(1);
  });

  it('writes a document with its holdout metrics, its provenance and a version that matches its content', () => {
    const { document, split } = model;
    expect(checkModelVersion(document)).toEqual({ ok: true });
    expect(document.version).toMatch(/^fraud-lr-[0-9a-f]{12}$/);
    expect(document.features).toEqual(['busy', 'amount', 'noise']);
    expect(document.metrics).toEqual({
      rocAuc: model.holdout.rocAuc,
      prAuc: model.holdout.prAuc,
      holdoutRows: 4000,
      holdoutPositives: model.holdout.positives,
      trainRows: 16_000,
      trainPositives: model.train.positives,
    });
    expect(document.training).toEqual({
      trainingSet: 'synthetic.parquet',
      holdoutFrom: set.t[16_000],
      rows: 20_000,
      library: 'ml-logistic-regression 2.0.0',
    });
    expect(split.holdoutFrom).toBe(set.t[16_000]);
    expect(model.unused).toEqual(['country']);
  });

  it('is deterministic: the same set gives the same document', () => {
    expect(trainModel(set, { trainingSet: 'synthetic.parquet' }).document).toEqual(model.document);
  });

  it('fits on the training rows only: changing holdout features changes the metrics, not the model', () => {
    const shifted = new Map(
      [...set.numeric].map(([name, column]) => [
        name,
        Array.from(column, (x, row) => (row >= 16_000 && x !== null ? x * 1000 + 7 : x)),
      ]),
    );
    const other = trainModel({ ...set, numeric: shifted }, { trainingSet: 'synthetic.parquet' });
    expect(other.document.version).toBe(model.document.version);
    expect(other.document.transforms).toEqual(model.document.transforms);
    expect(other.document.metrics).not.toEqual(model.document.metrics);
  });

  it('uses only the features named, in their order, and names the model as asked', () => {
    const named = trainModel(set, { features: ['noise', 'busy'], name: 'busy-only' });
    expect(named.document.features).toEqual(['noise', 'busy']);
    expect(named.document.version).toMatch(/^busy-only-[0-9a-f]{12}$/);
    expect(named.unused).toEqual(['amount', 'country']);
  });
});

describe('trainModel errors', () => {
  const set = synthetic(2000, 0.05);

  it('fails on an empty training set', () => {
    expect(() => trainModel({ ...set, t: [], label: [], numeric: new Map([['x', []]]) })).toThrow(
      'the training set has no rows',
    );
  });

  it('fails if the holdout has no positive, naming the cutoff and the counts', () => {
    const label = Array.from(set.label, (y, i) => (i >= 1600 ? 0 : y));
    expect(() => trainModel({ ...set, label })).toThrow(
      `the holdout rows (t from ${new Date(set.t[1600] as number).toISOString()}) need both labels to learn ` +
        'from and to score: got 0 positive and 400 negative out of 400',
    );
  });

  it('fails if the training rows have no negative, naming the counts', () => {
    const label = Array.from(set.label, (y, i) => (i < 1600 ? 1 : y));
    expect(() => trainModel({ ...set, label })).toThrow(
      /^the training rows \(t before .*Z\) need both labels .*: got 1600 positive and 0 negative out of 1600$/,
    );
  });

  it('fails on a named feature that is missing or not numeric, listing the numeric ones', () => {
    expect(() => trainModel(set, { features: ['busy', 'speed', 'country'] })).toThrow(
      'features: "speed" is not in the training set; "country" is not numeric (numeric features: busy, amount, noise)',
    );
  });

  it('fails on a time that is not epoch ms, naming the row', () => {
    const t = Array.from(set.t, (x, i) => (i === 4 ? Number.NaN : x));
    expect(() => trainModel({ ...set, t })).toThrow('t must be epoch ms (got NaN in row 5)');
  });

  it('fails on a label that is not 0 or 1, naming the row', () => {
    const label = Array.from(set.label, (y, i) => (i === 9 ? 0.5 : y));
    expect(() => trainModel({ ...set, label })).toThrow('label must be 0 or 1 (got 0.5 in row 10)');
  });
});
