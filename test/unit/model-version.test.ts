import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type LogisticModelDocument, parseModelDocument } from '../../adapters/model/embedded-model.js';
import {
  assertModelVersion,
  checkModelVersion,
  contentHash,
  modelVersion,
} from '../../adapters/model/model-version.js';
import { canonicalJson } from '../../core/index.js';
import placeholder from '../../examples/fraud/models/placeholder-untrained-0.json' with { type: 'json' };

const content = {
  features: ['card_txn_count_10m', 'card_amount_max_24h'],
  weights: [0.4, -0.2],
  bias: -4,
  transforms: {
    card_txn_count_10m: { impute: 0, clip: [0, 50] as [number, number], log1p: true, mean: 1.1, std: 0.9 },
    card_amount_max_24h: { impute: 42.5, mean: 3.1, std: 1.2 },
  },
};

const trained = (): LogisticModelDocument => ({
  version: modelVersion(content),
  ...content,
  metrics: {
    rocAuc: 0.92,
    prAuc: 0.37,
    holdoutRows: 40_000,
    holdoutPositives: 171,
    trainRows: 160_000,
    trainPositives: 829,
  },
  training: {
    trainingSet: 'fraud-training-set.parquet',
    holdoutFrom: 1_793_494_402_670,
    rows: 200_000,
    library: 'ml-logistic-regression 2.0.0',
  },
});

describe('model versions by content hash', () => {
  it('is the name, a dash and the first 12 hex of the sha256 of the canonical JSON of the scoring content', () => {
    const canonical =
      '{"bias":-4,"features":["card_txn_count_10m","card_amount_max_24h"],' +
      '"transforms":{"card_amount_max_24h":{"impute":42.5,"mean":3.1,"std":1.2},' +
      '"card_txn_count_10m":{"clip":[0,50],"impute":0,"log1p":true,"mean":1.1,"std":0.9}},"weights":[0.4,-0.2]}';
    const hash = createHash('sha256').update(canonical).digest('hex').slice(0, 12);
    expect(modelVersion(content)).toBe(`fraud-lr-${hash}`);
    expect(modelVersion(content, 'fraud-lr-small')).toBe(`fraud-lr-small-${hash}`);
    expect(contentHash(content)).toBe(hash);
    // Pinned: a change to the canonical form would give every existing model a new version.
    expect(modelVersion(content)).toBe('fraud-lr-e3cb273796eb');
  });

  it('does not depend on the order keys are written in', () => {
    const reordered = {
      transforms: {
        card_amount_max_24h: { std: 1.2, mean: 3.1, impute: 42.5 },
        card_txn_count_10m: {
          std: 0.9,
          mean: 1.1,
          log1p: true,
          clip: [0, 50] as [number, number],
          impute: 0,
        },
      },
      bias: -4,
      weights: [0.4, -0.2],
      features: ['card_txn_count_10m', 'card_amount_max_24h'],
    };
    expect(modelVersion(reordered)).toBe(modelVersion(content));
  });

  it('changes when a weight, the bias or a transform changes', () => {
    const base = modelVersion(content);
    expect(modelVersion({ ...content, weights: [0.4, -0.2000001] })).not.toBe(base);
    expect(modelVersion({ ...content, bias: -4.5 })).not.toBe(base);
    expect(
      modelVersion({
        ...content,
        transforms: { ...content.transforms, card_amount_max_24h: { impute: 42.5, mean: 3.1, std: 1.3 } },
      }),
    ).not.toBe(base);
  });

  it('does not change with metrics, training or description, which do not change a score', () => {
    const document = trained();
    const other = {
      ...document,
      description: 'retrained for the audit',
      metrics: { ...(document.metrics as NonNullable<LogisticModelDocument['metrics']>), rocAuc: 0.5 },
      training: { ...(document.training as NonNullable<LogisticModelDocument['training']>), rows: 1 },
    };
    expect(modelVersion(other)).toBe(document.version);
    expect(checkModelVersion(other)).toEqual({ ok: true });
  });

  it('treats no transforms like empty transforms: they score alike', () => {
    const bare = { features: ['a'], weights: [1], bias: 0 };
    expect(modelVersion(bare)).toBe(modelVersion({ ...bare, transforms: {} }));
  });

  it('fails on a name that could not be a registry file name, quoting it', () => {
    for (const name of ['', '../up', 'a/b', '.hidden', 'x'.repeat(116)]) {
      expect(() => modelVersion(content, name)).toThrow(`(got ${JSON.stringify(name)})`);
    }
    expect(modelVersion(content, 'x'.repeat(115))).toHaveLength(128);
  });
});

describe('checkModelVersion', () => {
  it('accepts a trained document and rejects one edited by hand, giving the version its content has', () => {
    const document = trained();
    expect(checkModelVersion(document)).toEqual({ ok: true });
    const edited = { ...document, weights: [0.4, 9] };
    expect(checkModelVersion(edited)).toEqual({ ok: false, expected: modelVersion(edited) });
    expect(() => assertModelVersion(edited, 'model fraud-lr x')).toThrow(
      `model fraud-lr x: version "${document.version}" does not match its content, which hashes to ` +
        `"${modelVersion(edited)}"`,
    );
  });

  it('rejects a version that is not <name>-<12 hex>, such as the untrained placeholder', () => {
    expect(checkModelVersion(parseModelDocument(placeholder))).toEqual({ ok: false });
    expect(() => assertModelVersion(parseModelDocument(placeholder))).toThrow(
      'model document: version "placeholder-untrained-0" is not <name>-<12 hex digits of the content hash>',
    );
  });
});

describe('the model document with metrics and training', () => {
  it('accepts both, and documents without them still parse', () => {
    expect(parseModelDocument(trained())).toEqual(trained());
    expect(parseModelDocument(placeholder).version).toBe('placeholder-untrained-0');
  });

  it('rejects a field the schema does not know, such as a timestamp', () => {
    const document = trained();
    expect(() =>
      parseModelDocument({ ...document, training: { ...document.training, trainedAt: '2026-11-01' } }),
    ).toThrow(/^invalid model document: training: Unrecognized key: "trainedAt"/);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level, keeps array order, drops undefined members', () => {
    expect(canonicalJson({ b: [3, { z: 1, a: 2 }], a: 'x', c: undefined })).toBe(
      '{"a":"x","b":[3,{"a":2,"z":1}]}',
    );
  });

  it('fails on a number JSON cannot write', () => {
    expect(() => canonicalJson({ w: [Number.NaN] })).toThrow('canonical JSON has no form for NaN');
  });
});
