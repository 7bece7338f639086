/**
 * Trains the embedded model (a logistic regression, embedded-model.ts) from a point-in-time training set:
 *
 * 1. split by time: the last `holdoutFraction` of rows (t at or after a cutoff) are held out, the model is fitted
 *    on the rows before the cutoff, so the holdout score is what the model would have done on later traffic;
 * 2. fit each feature's transforms on the training rows only: impute, clip, log1p, standardize;
 * 3. fit the weights with ml-logistic-regression (mljs) on the transformed training rows;
 * 4. write its weights into a model document, scored on both time ranges, versioned by content hash.
 *
 * Everything is deterministic: the same training set and options give the same document, byte for byte.
 */
import {
  EmbeddedModel,
  type FeatureTransform,
  type LogisticModelDocument,
  parseModelDocument,
  transformValue,
} from './embedded-model.js';
import { fitTransforms } from './fit-transforms.js';
import { fitLogistic } from './logistic-fit.js';
import { averagePrecision, rocAuc } from './metrics.js';
import type { FeatureVector } from './model.js';
import { DEFAULT_MODEL_NAME, modelVersion } from './model-version.js';
import { TrainingError } from './training-error.js';

export { fitTransforms, quantile } from './fit-transforms.js';
export { type FittedLogistic, fitLogistic } from './logistic-fit.js';
export { TrainingError } from './training-error.js';

export const LIBRARY = 'ml-logistic-regression 2.0.0';

/** A training set in columns, as read from its Parquet file. */
export interface TrainingSetColumns {
  /** The label's time (epoch ms) per row: its features are as of t. */
  readonly t: ArrayLike<number>;
  /** 0 or 1 per row. */
  readonly label: ArrayLike<number>;
  /** The numeric feature columns, by name, in file order: a number per row, null when the window was empty. */
  readonly numeric: ReadonlyMap<string, ArrayLike<number | null>>;
  /** Feature columns that are not numeric (`last` of a string field): the model cannot use them. */
  readonly nonNumeric: readonly string[];
}

export interface TrainModelOptions {
  /** The model's name, the version's prefix. Default `fraud-lr`. */
  readonly name?: string;
  /** Share of rows, the latest, held out for evaluation. Default 0.2. */
  readonly holdoutFraction?: number;
  /** The features to use, in this order. Default: every numeric feature column. */
  readonly features?: readonly string[];
  /** The training set's file name, recorded in the document. */
  readonly trainingSet?: string;
  /** Gradient steps the library takes. Default 1000. */
  readonly steps?: number;
  /**
   * Negatives kept per training positive (the rest are skipped, evenly through time), at most. Default 5.
   * Fraud is rare: balancing the classes makes gradient descent converge in far fewer steps, and the library's
   * cost per step grows with the rows. The bias is corrected afterwards, so scores stay probabilities.
   */
  readonly negativesPerPositive?: number;
}

export interface Split {
  /** Epoch ms: rows with t ≥ holdoutFrom are held out. */
  readonly holdoutFrom: number;
  /** Row indices, in time order. */
  readonly train: readonly number[];
  readonly holdout: readonly number[];
}

export interface RankingMetrics {
  readonly rows: number;
  readonly positives: number;
  readonly rocAuc: number;
  readonly prAuc: number;
}

export interface TrainedModel {
  readonly document: LogisticModelDocument;
  readonly split: Split;
  readonly train: RankingMetrics;
  readonly holdout: RankingMetrics;
  /** Numeric feature columns left out because `features` did not name them, and non-numeric ones. */
  readonly unused: readonly string[];
  readonly fit: FitSummary;
}

export interface FitSummary {
  /** Training rows the library saw (every positive, a sample of the negatives). */
  readonly rows: number;
  readonly positives: number;
  /** Share of the training negatives kept. */
  readonly negativeRate: number;
  /** ln(negativeRate): the document's bias is the library's intercept plus this. */
  readonly biasCorrection: number;
  readonly steps: number;
  readonly learningRate: number;
}

/** Rows in time order; the holdout is every row with t at or after the t of the first of the last `fraction`. */
export function splitByTime(t: ArrayLike<number>, fraction: number): Split {
  if (!(fraction > 0 && fraction < 1)) {
    throw new TrainingError(`the holdout fraction must be between 0 and 1, exclusive (got ${fraction})`);
  }
  const n = t.length;
  if (n === 0) throw new TrainingError('the training set has no rows');
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => (t[a] as number) - (t[b] as number) || a - b);
  const first = Math.min(n - 1, Math.max(0, n - Math.round(n * fraction)));
  const holdoutFrom = t[order[first] as number] as number;
  // Rows tied with the cutoff go to the holdout too: no instant is on both sides.
  const cut = order.findIndex((i) => (t[i] as number) >= holdoutFrom);
  return { holdoutFrom, train: order.slice(0, cut), holdout: order.slice(cut) };
}

/** Trains, evaluates and versions a model. Throws TrainingError on a training set it cannot learn from. */
export function trainModel(set: TrainingSetColumns, options: TrainModelOptions = {}): TrainedModel {
  const n = set.t.length;
  if (n === 0) throw new TrainingError('the training set has no rows');
  checkRows(set);
  const features = chooseFeatures(set, options.features);
  const split = splitByTime(set.t, options.holdoutFraction ?? 0.2);
  const holdoutAt = new Date(split.holdoutFrom).toISOString();
  checkBothClasses(set.label, split.train, `training rows (t before ${holdoutAt})`);
  checkBothClasses(set.label, split.holdout, `holdout rows (t from ${holdoutAt})`);

  const transforms = fitTransforms(set.numeric, features, split.train);
  const vector = (row: number): FeatureVector =>
    Object.fromEntries(features.map((name) => [name, columnOf(set, name)[row] ?? null]));
  const inputs = (row: number): number[] =>
    features.map((name, j) => transformValue(columnOf(set, name)[row], transforms[j]));

  const sample = sampleNegatives(set.label, split.train, options.negativesPerPositive ?? 5);
  const fitRows = sample.rows.map(inputs);
  const fitted = fitLogistic(
    fitRows,
    sample.rows.map((row) => set.label[row] as number),
    { steps: options.steps ?? 1000 },
  );
  // Sampling negatives at rate r multiplies the odds the model learns by 1/r; ln r in the bias undoes it.
  const biasCorrection = Math.log(sample.negativeRate);
  const content = {
    features,
    weights: fitted.weights,
    bias: fitted.bias + biasCorrection,
    transforms: Object.fromEntries(features.map((name, j) => [name, transforms[j] as FeatureTransform])),
  };
  // Evaluate the model as it will be served: the document's own scoring, on raw feature values.
  const served = new EmbeddedModel({ version: 'candidate', ...content });
  checkReproduces(
    served,
    sample.rows.slice(0, 1000).map(vector),
    fitted.probabilities(fitRows.slice(0, 1000)),
    biasCorrection,
  );
  const score = (row: number): number => served.scoreVector(vector(row));
  const train = evaluate(set.label, split.train, score);
  const holdout = evaluate(set.label, split.holdout, score);
  const document = parseModelDocument({
    version: modelVersion(content, options.name ?? DEFAULT_MODEL_NAME),
    ...content,
    metrics: {
      rocAuc: holdout.rocAuc,
      prAuc: holdout.prAuc,
      holdoutRows: holdout.rows,
      holdoutPositives: holdout.positives,
      trainRows: train.rows,
      trainPositives: train.positives,
    },
    training: {
      ...(options.trainingSet === undefined ? {} : { trainingSet: options.trainingSet }),
      holdoutFrom: split.holdoutFrom,
      rows: n,
      library: LIBRARY,
    },
  });
  const chosen = new Set(features);
  return {
    document,
    split,
    train,
    holdout,
    unused: [...[...set.numeric.keys()].filter((name) => !chosen.has(name)), ...set.nonNumeric],
    fit: {
      rows: sample.rows.length,
      positives: train.positives,
      negativeRate: sample.negativeRate,
      biasCorrection,
      steps: fitted.steps,
      learningRate: fitted.learningRate,
    },
  };
}

/**
 * The document must score as the library's model does (up to the bias correction): else the weights were read
 * in the wrong order, the intercept taken from the wrong place, or the inputs transformed differently. A bug,
 * not a user error; checked on every training because a library upgrade could change any of them.
 */
function checkReproduces(
  served: EmbeddedModel,
  vectors: readonly FeatureVector[],
  library: readonly number[],
  biasCorrection: number,
): void {
  const rate = Math.exp(biasCorrection);
  vectors.forEach((vector, i) => {
    const p = library[i] as number;
    // Odds times the sampling rate: the library's probability as the corrected bias gives it.
    const expected = (p * rate) / (p * rate + 1 - p);
    const actual = served.scoreVector(vector);
    if (!(Math.abs(actual - expected) <= 1e-9)) {
      throw new Error(
        `the model document scores ${actual} where the library's model gives ${expected} (row ${i + 1})`,
      );
    }
  });
}

function columnOf(set: TrainingSetColumns, name: string): ArrayLike<number | null> {
  return set.numeric.get(name) as ArrayLike<number | null>;
}

function checkRows({ t, label }: TrainingSetColumns): void {
  if (label.length !== t.length) {
    throw new TrainingError(
      `${t.length} times for ${label.length} labels: the columns must have a value a row`,
    );
  }
  for (let i = 0; i < t.length; i++) {
    if (!Number.isFinite(t[i]))
      throw new TrainingError(`t must be epoch ms (got ${String(t[i])} in row ${i + 1})`);
    if (label[i] !== 0 && label[i] !== 1) {
      throw new TrainingError(`label must be 0 or 1 (got ${String(label[i])} in row ${i + 1})`);
    }
  }
}

function checkBothClasses(label: ArrayLike<number>, rows: readonly number[], what: string): void {
  let positives = 0;
  for (const row of rows) positives += label[row] as number;
  if (positives === 0 || positives === rows.length) {
    throw new TrainingError(
      `the ${what} need both labels to learn from and to score: got ${positives} positive and ` +
        `${rows.length - positives} negative out of ${rows.length}`,
    );
  }
}

function chooseFeatures(set: TrainingSetColumns, named: readonly string[] | undefined): string[] {
  if (named === undefined) {
    const all = [...set.numeric.keys()];
    if (all.length === 0) throw new TrainingError('the training set has no numeric feature column');
    return all;
  }
  if (named.length === 0) throw new TrainingError('name at least one feature');
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const name of named) {
    if (seen.has(name)) problems.push(`"${name}" is named twice`);
    seen.add(name);
    if (set.nonNumeric.includes(name)) problems.push(`"${name}" is not numeric`);
    else if (!set.numeric.has(name)) problems.push(`"${name}" is not in the training set`);
  }
  if (problems.length > 0) {
    throw new TrainingError(
      `features: ${problems.join('; ')} (numeric features: ${[...set.numeric.keys()].join(', ') || 'none'})`,
    );
  }
  return [...named];
}

/**
 * Every positive training row and, evenly through time, up to `perPositive` negatives for each: deterministic,
 * and spread over the whole training range rather than bunched at one end.
 */
function sampleNegatives(
  label: ArrayLike<number>,
  rows: readonly number[],
  perPositive: number,
): { rows: number[]; negativeRate: number } {
  if (!(perPositive > 0)) {
    throw new TrainingError(`negatives per positive must be above 0 (got ${perPositive})`);
  }
  let positives = 0;
  for (const row of rows) positives += label[row] as number;
  const negatives = rows.length - positives;
  const rate = Math.min(1, (perPositive * positives) / negatives);
  const kept: number[] = [];
  let seen = 0;
  for (const row of rows) {
    if (label[row] === 1) kept.push(row);
    else {
      // Keep the j-th negative when ⌊(j+1)·rate⌋ steps up: exactly ⌊negatives·rate⌋ of them, evenly spaced.
      if (Math.floor((seen + 1) * rate) > Math.floor(seen * rate)) kept.push(row);
      seen++;
    }
  }
  const keptNegatives = kept.length - positives;
  return { rows: kept, negativeRate: keptNegatives / negatives };
}

function evaluate(label: ArrayLike<number>, rows: readonly number[], score: (row: number) => number) {
  const labels = rows.map((row) => label[row] as number);
  const scores = rows.map(score);
  return {
    rows: rows.length,
    positives: labels.reduce((sum, y) => sum + y, 0),
    rocAuc: rocAuc(labels, scores),
    prAuc: averagePrecision(labels, scores),
  };
}
