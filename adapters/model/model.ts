import type { FeatureValue } from '../../core/index.js';

/** A feature vector: feature name → value as the online store answers it (number, string, or null). */
export type FeatureVector = Readonly<Record<string, FeatureValue>>;

export interface ModelScore {
  readonly score: number;
  /** Which model answered: the embedded document's version, or the SageMaker endpoint (and variant). */
  readonly modelVersion: string;
}

/** A model that scores a feature vector: the embedded logistic regression or a SageMaker endpoint. */
export interface ScoringModel {
  readonly backend: 'embedded' | 'sagemaker';
  score(features: FeatureVector): Promise<ModelScore>;
}

/** A model call that failed or ran out of time: the caller may fall back to another model. */
export class ModelError extends Error {
  constructor(
    message: string,
    readonly kind: 'timeout' | 'error',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ModelError';
  }
}
