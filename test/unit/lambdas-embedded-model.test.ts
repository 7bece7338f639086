import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EmbeddedModel, parseModelDocument, sigmoid } from '../../adapters/model/embedded-model.js';
import { compileSpec, parseSpecJson } from '../../core/index.js';
import placeholder from '../../examples/fraud/models/placeholder-untrained-0.json' with { type: 'json' };

const model = (transforms?: object, weights = [2, -1], bias = 0.5) =>
  EmbeddedModel.fromDocument({ version: 'v1', features: ['a', 'b'], weights, bias, transforms });

describe('embedded logistic model', () => {
  it('scores sigmoid(bias + Σ w·x)', () => {
    // 0.5 + 2·1.5 − 1·4 = −0.5
    expect(model().scoreVector({ a: 1.5, b: 4 })).toBeCloseTo(1 / (1 + Math.exp(0.5)), 12);
  });

  it('gives its version with the score', async () => {
    expect(await model().score({ a: 0, b: 0 })).toEqual({ score: sigmoid(0.5), modelVersion: 'v1' });
  });

  it('lets a missing, null or non-numeric feature add nothing when no impute value is named', () => {
    const m = model({ a: { mean: 10, std: 2 } });
    expect(m.inputs({ b: null })).toEqual([0, 0]);
    expect(m.inputs({ a: 'FR', b: Number.NaN })).toEqual([0, 0]);
    expect(m.scoreVector({})).toBeCloseTo(sigmoid(0.5), 12);
  });

  it('imputes a missing value in raw space, then transforms it', () => {
    const m = model({ a: { impute: 3, log1p: true, mean: 1, std: 0.5 } });
    expect(m.inputs({})[0]).toBeCloseTo((Math.log1p(3) - 1) / 0.5, 12);
  });

  it('applies clip, then log1p, then standardization', () => {
    const m = model({ a: { clip: [0, 9], log1p: true, mean: 1, std: 2 } });
    expect(m.inputs({ a: 100 })[0]).toBeCloseTo((Math.log(10) - 1) / 2, 12);
    expect(m.inputs({ a: -5 })[0]).toBeCloseTo((0 - 1) / 2, 12);
  });

  it('counts booleans as 1 and 0', () => {
    expect(model().inputs({ a: true, b: false })).toEqual([1, 0]);
  });

  it('turns a value a transform makes NaN into 0', () => {
    expect(model({ a: { log1p: true } }).inputs({ a: -3 })[0]).toBe(0);
  });

  it('stays finite for extreme logits', () => {
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(0)).toBe(0.5);
  });

  it('fails on weights that do not match the features', () => {
    expect(() => model(undefined, [1])).toThrow('weights: 1 weights for 2 features');
  });

  it('fails on a transform for a feature the model lacks, and on a reversed clip', () => {
    expect(() => model({ c: { log1p: true }, a: { clip: [5, 1] } })).toThrow(
      "invalid model document: transforms.c: not one of the model's features; transforms.a.clip: lower bound above upper bound (got [5,1])",
    );
  });

  it('fails on a document of the wrong shape, naming the path', () => {
    expect(() =>
      EmbeddedModel.fromDocument({ version: '', features: ['a'], weights: ['x'], bias: 0 }),
    ).toThrow(
      /invalid model document: version: .*; weights\.0: Invalid input: expected number, received string/,
    );
  });

  it('fails on a repeated feature', () => {
    expect(() =>
      parseModelDocument({ version: 'v', features: ['a', 'a'], weights: [1, 1], bias: 0 }),
    ).toThrow('features: "a" appears twice');
  });
});

describe('the placeholder model (examples/fraud/models/placeholder-untrained-0.json)', () => {
  const spec = compileSpec(parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8')));
  const embedded = EmbeddedModel.fromDocument(placeholder);

  it('says it is an untrained placeholder', () => {
    expect(embedded.version).toBe('placeholder-untrained-0');
    expect(placeholder.description).toMatch(/^PLACEHOLDER, NOT TRAINED/);
  });

  it('reads only features the fraud spec computes', () => {
    const computed = new Set(spec.spec.features.map((f) => f.name));
    expect(embedded.features.filter((name) => !computed.has(name))).toEqual([]);
  });

  it('scores a busy, declining card above a quiet one', () => {
    const quiet = embedded.scoreVector({ card_txn_count_10m: 1, card_merchant_txn_count_7d: 5 });
    const busy = embedded.scoreVector({
      card_txn_count_10m: 12,
      card_declines_1h: 4,
      card_distinct_merchants_24h: 10,
    });
    expect(busy).toBeGreaterThan(quiet);
    expect(quiet).toBeGreaterThan(0);
    expect(busy).toBeLessThan(1);
  });
});
