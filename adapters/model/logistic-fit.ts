// @ts-expect-error ml-logistic-regression 2.0.0 ships no type declarations; LibraryModel below types what we use.
import LogisticRegression from 'ml-logistic-regression';
import { Matrix } from 'ml-matrix';
import { TrainingError } from './training-error.js';

/** What we use of the library's model: see node_modules/ml-logistic-regression/src. */
interface LibraryModel {
  readonly classifiers: {
    train(features: Matrix, target: Matrix): void;
    testScores(features: Matrix): number[];
    readonly weights: Matrix;
  }[];
}

export interface FittedLogistic {
  readonly weights: number[];
  readonly bias: number;
  readonly steps: number;
  readonly learningRate: number;
  /** The library's own probabilities for rows of inputs (each the features' transformed values). */
  probabilities(inputs: readonly (readonly number[])[]): number[];
}

/**
 * Fits weights and intercept with ml-logistic-regression. The library has no intercept: it learns one weight per
 * input column, so a column of ones goes last and its weight is the bias. It descends the gradient of the summed
 * log loss, Xᵀ(y − p), with a fixed learning rate: we take 1/L, where L = λmax(XᵀX)/4 bounds the loss's
 * curvature, the largest step that cannot diverge.
 *
 * For k classes it trains k one-vs-all classifiers, classifier i scoring "not class i", so classifier 0 scores
 * P(label 1). With two classes, classifier 1 is classifier 0 mirrored (its weights negated, step for step), and
 * would double the time: so we load a one-classifier model (the library's own `load`) and train classifier 0
 * alone, with targets y (1 = positive), the targets the library would give it.
 */
export function fitLogistic(
  inputs: readonly (readonly number[])[],
  labels: readonly number[],
  options: { steps: number },
): FittedLogistic {
  if (!(Number.isInteger(options.steps) && options.steps > 0)) {
    throw new TrainingError(`steps must be a positive whole number (got ${options.steps})`);
  }
  const withOnes = (rows: readonly (readonly number[])[]) => new Matrix(rows.map((row) => [...row, 1]));
  const x = withOnes(inputs);
  const learningRate = 4 / largestEigenvalue(x.transpose().mmul(x));
  const model: LibraryModel = LogisticRegression.load({
    name: 'LogisticRegression',
    numberClasses: 1,
    numSteps: options.steps,
    learningRate,
    classifiers: [{ numSteps: options.steps, learningRate }],
  });
  const classifier = model.classifiers[0] as LibraryModel['classifiers'][number];
  classifier.train(x, Matrix.columnVector([...labels]));
  const coefficients = classifier.weights.to1DArray();
  return {
    weights: coefficients.slice(0, -1),
    bias: coefficients[coefficients.length - 1] as number,
    steps: options.steps,
    learningRate,
    probabilities: (rows) => classifier.testScores(withOnes(rows)),
  };
}

/** The largest eigenvalue of a symmetric positive semi-definite matrix, by power iteration. */
function largestEigenvalue(a: Matrix): number {
  let v = Matrix.ones(a.rows, 1);
  let lambda = 0;
  for (let i = 0; i < 200; i++) {
    const next = a.mmul(v);
    const norm = next.norm();
    if (norm === 0) return 1;
    v = next.div(norm);
    if (Math.abs(norm - lambda) <= 1e-9 * norm) return norm;
    lambda = norm;
  }
  return lambda;
}
