/**
 * The champion and a retrained model scored on the same holdout rows: each model's document scores the raw
 * feature values as the scoring Lambda would, and the figures are live monitoring's (live-quality.ts), so a
 * retrain's numbers read like the monitor's. Pure.
 */
import { createHash } from 'node:crypto';
import { EmbeddedModel, type LogisticModelDocument } from './embedded-model.js';
import { type ModelQuality, modelQuality } from './live-quality.js';
import type { FeatureVector } from './model.js';
import type { TrainingSetColumns } from './training.js';
import { TrainingError } from './training-error.js';

export interface HoldoutEvaluation {
  readonly modelVersion: string;
  /** Holdout rows scored. */
  readonly rows: number;
  /** sha256 of the ids of the rows scored, in order, one a line: equal hashes, identical rows. */
  readonly rowIdsSha256: string;
  readonly quality: ModelQuality;
}

/** Scores `rows` of the set with the document and computes the figures; fails naming features the set lacks. */
export function evaluateOnHoldout(
  document: LogisticModelDocument,
  set: TrainingSetColumns,
  rows: readonly number[],
  ids: readonly string[],
  threshold: number,
): HoldoutEvaluation {
  const missing = document.features.filter((name) => !set.numeric.has(name));
  if (missing.length > 0) {
    throw new TrainingError(
      `model ${document.version} reads features the training set lacks: ${missing.join(', ')} (the spec no ` +
        'longer computes them, or they are not numeric)',
    );
  }
  const model = new EmbeddedModel(document);
  const scores: number[] = [];
  const labels: (0 | 1)[] = [];
  for (const row of rows) {
    const vector: FeatureVector = Object.fromEntries(
      document.features.map((name) => [name, set.numeric.get(name)?.[row] ?? null]),
    );
    scores.push(model.scoreVector(vector));
    labels.push(set.label[row] === 1 ? 1 : 0);
  }
  return {
    modelVersion: document.version,
    rows: rows.length,
    rowIdsSha256: rowIdsHash(rows.map((row) => ids[row] as string)),
    quality: modelQuality(scores, labels, threshold),
  };
}

/** The hash a list of row ids gets: sha256 hex of the ids joined by newlines. */
export function rowIdsHash(ids: readonly string[]): string {
  return createHash('sha256').update(ids.join('\n')).digest('hex');
}
