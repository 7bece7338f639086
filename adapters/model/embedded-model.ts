/**
 * The embedded model: a logistic regression held in a small JSON document and evaluated in the Lambda,
 * no network hop.
 *
 * ```json
 * { "version": "fraud-lr-3", "features": ["card_txn_count_10m", "card_amount_max_24h"],
 *   "weights": [0.4, 0.2], "bias": -4,
 *   "transforms": { "card_amount_max_24h": { "log1p": true, "mean": 3.1, "std": 1.2 } } }
 * ```
 *
 * score = sigmoid(bias + Σ weights[i] · x[i]), where x[i] is feature i after its transforms, in this order:
 * a value that is not a finite number (missing, null, a string) is replaced by `impute` when the transform
 * names one; then `clip: [lo, hi]`; then `log1p`; then standardization `(x - mean) / std` (mean 0, std 1 by
 * default). Booleans count as 1 and 0. A value still missing after imputation (no `impute` given), or one a
 * transform turns into NaN, enters as 0: it adds nothing to the sum, which for a standardized feature is the
 * same as imputing its training mean.
 *
 * A trained document (`streamfeatures train`) also carries `metrics` (on its held-out time range) and `training`
 * (where it came from), and `spec`: the spec hash and the fingerprints of its features (core/spec-version.ts). They
 * describe the model and do not change a score, so its content-hash version (model-version.ts) leaves them out.
 */
import * as z from 'zod/mini';
import '../../core/zod-messages.js';
import type { FeatureVector, ModelScore, ScoringModel } from './model.js';
import { distributionSchema } from './training-distributions.js';

const transformSchema = z.strictObject({
  impute: z.optional(z.number()),
  clip: z.optional(z.tuple([z.number(), z.number()])),
  log1p: z.optional(z.boolean()),
  mean: z.optional(z.number()),
  std: z.optional(z.number().check(z.positive())),
});

const metricsSchema = z.strictObject({
  /** ROC AUC on the holdout rows. */
  rocAuc: z.number(),
  /** PR AUC (average precision) on the holdout rows. */
  prAuc: z.number(),
  holdoutRows: z.number(),
  holdoutPositives: z.number(),
  trainRows: z.number(),
  trainPositives: z.number(),
});

const trainingSchema = z.strictObject({
  /** The training set's file name (no directories: a document must not carry machine paths), when it had one. */
  trainingSet: z.optional(z.string()),
  /** Epoch ms: rows with t at or after it were held out; the model was fitted on the rows before it. */
  holdoutFrom: z.number(),
  /** Rows in the training set, train and holdout together. */
  rows: z.number(),
  /** The library that fitted the weights, with its version: `ml-logistic-regression 2.0.0`. */
  library: z.string(),
});

/**
 * The spec version the model was trained under (core/spec-version.ts): the spec's hash and the fingerprint of each
 * feature the model reads. The scoring path refuses a model whose features the deployed spec computes otherwise.
 */
const specVersionSchema = z.strictObject({
  hash: z.string().check(z.minLength(1)),
  fingerprints: z.record(z.string(), z.string().check(z.minLength(1))),
});

const documentSchema = z.strictObject({
  version: z.string().check(z.minLength(1)),
  description: z.optional(z.string()),
  features: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
  weights: z.array(z.number()),
  bias: z.number(),
  transforms: z.optional(z.record(z.string(), transformSchema)),
  metrics: z.optional(metricsSchema),
  training: z.optional(trainingSchema),
  spec: z.optional(specVersionSchema),
  /** Per numeric training-set column: its distribution, for drift monitoring (training-distributions.ts). */
  featureDistributions: z.optional(z.record(z.string(), distributionSchema)),
});

export type FeatureTransform = z.infer<typeof transformSchema>;
export type LogisticModelDocument = z.infer<typeof documentSchema>;
export type ModelMetrics = z.infer<typeof metricsSchema>;
export type ModelTraining = z.infer<typeof trainingSchema>;

/** Parses and checks a model document; the error names every problem with its path. */
export function parseModelDocument(input: unknown, source = 'model document'): LogisticModelDocument {
  const parsed = documentSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new Error(`invalid ${source}: ${problems.join('; ')}`);
  }
  const document = parsed.data;
  const problems: string[] = [];
  if (document.weights.length !== document.features.length) {
    problems.push(`weights: ${document.weights.length} weights for ${document.features.length} features`);
  }
  const seen = new Set<string>();
  for (const name of document.features) {
    if (seen.has(name)) problems.push(`features: "${name}" appears twice`);
    seen.add(name);
  }
  for (const [name, transform] of Object.entries(document.transforms ?? {})) {
    if (!seen.has(name)) problems.push(`transforms.${name}: not one of the model's features`);
    if (transform.clip && transform.clip[0] > transform.clip[1]) {
      problems.push(
        `transforms.${name}.clip: lower bound above upper bound (got ${JSON.stringify(transform.clip)})`,
      );
    }
  }
  for (const name of Object.keys(document.spec?.fingerprints ?? {})) {
    if (!seen.has(name)) problems.push(`spec.fingerprints.${name}: not one of the model's features`);
  }
  if (problems.length > 0) throw new Error(`invalid ${source}: ${problems.join('; ')}`);
  return document;
}

export class EmbeddedModel implements ScoringModel {
  readonly backend = 'embedded' as const;
  readonly version: string;
  readonly features: readonly string[];
  /** The spec version it was trained under; undefined for a document that does not record it. */
  readonly trainedUnder: LogisticModelDocument['spec'];
  private readonly weights: readonly number[];
  private readonly bias: number;
  private readonly transforms: readonly (FeatureTransform | undefined)[];

  constructor(document: LogisticModelDocument) {
    this.version = document.version;
    this.features = document.features;
    this.trainedUnder = document.spec;
    this.weights = document.weights;
    this.bias = document.bias;
    this.transforms = document.features.map((name) => document.transforms?.[name]);
  }

  static fromDocument(input: unknown, source?: string): EmbeddedModel {
    return new EmbeddedModel(parseModelDocument(input, source));
  }

  /** The model's inputs for a vector, after imputation and transforms, in the order of `features`. */
  inputs(vector: FeatureVector): number[] {
    return this.features.map((name, i) => transformValue(vector[name], this.transforms[i]));
  }

  /** The probability the model gives the vector. */
  scoreVector(vector: FeatureVector): number {
    let logit = this.bias;
    this.inputs(vector).forEach((x, i) => {
      logit += (this.weights[i] as number) * x;
    });
    return sigmoid(logit);
  }

  async score(features: FeatureVector): Promise<ModelScore> {
    return { score: this.scoreVector(features), modelVersion: this.version };
  }
}

/** One feature's model input: the transforms above applied to its raw value. Training uses it too, so the
 * values a model is fitted on are the values it is served. */
export function transformValue(value: unknown, transform: FeatureTransform | undefined): number {
  const raw = typeof value === 'boolean' ? Number(value) : value;
  let x: number;
  if (typeof raw === 'number' && Number.isFinite(raw)) x = raw;
  else if (transform?.impute !== undefined) x = transform.impute;
  else return 0;
  if (transform) {
    if (transform.clip) x = Math.min(Math.max(x, transform.clip[0]), transform.clip[1]);
    if (transform.log1p) x = Math.log1p(x);
    x = (x - (transform.mean ?? 0)) / (transform.std ?? 1);
  }
  return Number.isFinite(x) ? x : 0;
}

/** 1 / (1 + e^-z), without overflow for large |z|. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}
