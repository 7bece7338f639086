/** Monitoring the live model and the stream: delayed labels, their join to the feature log, drift, data quality. */
export { type DelayedLabel, isLabelProblem, type LabelProblem, parseDelayedLabel } from './delayed-labels.js';
export {
  binShares,
  compareWithTraining,
  cutBetween,
  EDGE_TOLERANCE,
  type FeatureDistribution,
  type FeatureDrift,
  featureDistribution,
  numericValue,
  PSI_MAJOR,
  PSI_SHARE_FLOOR,
  psi,
} from './drift.js';
export { JOIN_TOLERANCE_MS, joinLabels, type LabelJoin, type ScoredRequest } from './label-join.js';
export { compareScores, ranks, type ScoreComparison, spearman } from './score-comparison.js';
export {
  type FieldQuality,
  type HourVolume,
  recordBody,
  type StreamQuality,
  StreamQualityTally,
} from './stream-quality.js';
export { compareWithEarlier, WEEK_MS, type WindowFeatureDrift } from './window-drift.js';
