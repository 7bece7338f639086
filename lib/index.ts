/**
 * streamfeatures: a real-time feature pipeline for machine learning on AWS, as CDK constructs.
 *
 * `FeaturePipeline` is the whole pipeline in one construct; the constructs it assembles are exported too, for
 * apps that wire their own. The spec builders and types are also at `streamfeatures/spec`.
 */

export {
  FeatureClient,
  type FeatureClientOptions,
  FeatureRequestError,
} from '../adapters/feature-client.js';
export { AccessLogBucket, type AccessLogBucketProps } from './access-log-bucket.js';
export { InvalidPropsError } from './errors.js';
export { EventStream, type EventStreamProps } from './event-stream.js';
export { FeatureComputer, type FeatureComputerProps, SIDE_OUTPUT_PREFIXES } from './feature-computer.js';
export { FeaturePipeline, type FeaturePipelineProps, type SpecSource } from './feature-pipeline.js';
export { type ApiAuth, type HttpApiOptions, LambdaHttpApi, type LambdaHttpApiProps } from './http-api.js';
export { IngestApi, type IngestApiProps, type IngestLabelsOptions } from './ingest-api.js';
export {
  API_LABELS_PREFIX,
  LabelDelivery,
  type LabelDeliveryProps,
  STREAM_LABELS_PREFIX,
} from './label-delivery.js';
export { LABELS_QUARANTINE_PREFIX, LabelsStream, type LabelsStreamProps } from './labels-stream.js';
export {
  LABELS_PREFIX,
  ModelMonitoring,
  type ModelMonitoringProps,
  type ModelMonitoringSettings,
} from './model-monitoring.js';
export { DEFAULT_MODEL_REGISTRY, DEFAULT_MODEL_VERSION } from './model-registry.js';
export { Monitoring, type MonitoringProps, type MonitoringThresholds } from './monitoring.js';
export { OfflineDataset, type OfflineDatasetProps, type OfflineFormat } from './offline-dataset.js';
export {
  FEATURE_LOG_PREFIX,
  OfflineStore,
  type OfflineStoreProps,
  RAW_ARCHIVE_PREFIX,
} from './offline-store.js';
export { OnlineStore, type OnlineStoreProps, PARTITION_KEY } from './online-store.js';
export {
  type Challenger,
  type ChallengerModel,
  type ModelBackend,
  ScoringApi,
  type ScoringApiProps,
} from './scoring-api.js';
export { SecureBucket, type SecureBucketProps } from './secure-bucket.js';
export * from './spec.js';
export { SpecGuard, type SpecGuardProps } from './spec-guard.js';
export {
  type HandlerBundle,
  METRICS_NAMESPACE,
  StreamfeaturesFunction,
  type StreamfeaturesFunctionProps,
} from './streamfeatures-function.js';
