/**
 * The pipeline's monitoring wiring: the dashboard and alarms over its functions, APIs, datasets and table, and the
 * scheduled monitoring job (on by default with Parquet), which changes with the spec only once the guard has passed.
 */
import type { RemovalPolicy } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { Spec } from '../core/index.js';
import type { FeatureComputer } from './feature-computer.js';
import type { FeaturePipelineProps } from './feature-pipeline-props.js';
import type { IngestApi } from './ingest-api.js';
import type { LabelsStream } from './labels-stream.js';
import { ModelMonitoring } from './model-monitoring.js';
import { DEFAULT_THRESHOLDS, Monitoring } from './monitoring.js';
import type { OfflineStore } from './offline-store.js';
import type { OnlineStore } from './online-store.js';
import type { ScoringApi } from './scoring-api.js';
import type { SpecGuard } from './spec-guard.js';

/** The parts of the pipeline that are monitored, built before the monitoring. */
export interface MonitoredPipeline {
  readonly spec: Spec;
  readonly onlineStore: OnlineStore;
  readonly offlineStore: OfflineStore;
  readonly featureComputer: FeatureComputer;
  readonly scoringApi: ScoringApi;
  readonly ingestApi?: IngestApi;
  readonly labelsStream?: LabelsStream;
  readonly specGuard: SpecGuard;
}

export interface PipelineMonitoring {
  readonly monitoring: Monitoring;
  /** None with `modelMonitoring: false`. */
  readonly modelMonitoring?: ModelMonitoring;
}

/** Builds the monitoring in `scope` (the pipeline), with the log settings every function of the stage gets. */
export function monitorPipeline(
  scope: Construct,
  parts: MonitoredPipeline,
  props: FeaturePipelineProps,
  removalPolicy: RemovalPolicy,
  logs: { readonly logRetention: number; readonly logRemovalPolicy: RemovalPolicy },
): PipelineMonitoring {
  const { spec, featureComputer, scoringApi, ingestApi, labelsStream, offlineStore } = parts;
  const monitoring = new Monitoring(scope, 'Monitoring', {
    spec,
    featureComputer,
    table: parts.onlineStore.table,
    functions: {
      Features: featureComputer.function,
      Score: scoringApi.function,
      ...(ingestApi ? { Ingest: ingestApi.function } : {}),
      ...(ingestApi?.labelsHandler ? { Labels: ingestApi.labelsHandler.function } : {}),
      ...(labelsStream ? { LabelsStream: labelsStream.function } : {}),
    },
    apis: { Score: scoringApi.http, ...(ingestApi ? { Ingest: ingestApi.http } : {}) },
    datasets: {
      RawArchive: offlineStore.rawArchive,
      FeatureLog: offlineStore.featureLog,
      ...(ingestApi?.labelDelivery ? { Labels: ingestApi.labelDelivery } : {}),
      ...(labelsStream ? { LabelsStream: labelsStream.delivery } : {}),
    },
    scoring: { serviceName: scoringApi.serviceName, challenger: props.challenger !== undefined },
    thresholds: props.alarmThresholds,
    firehoseBufferSeconds: offlineStore.bufferInterval.toSeconds(),
    alarmEmail: props.alarmEmail,
    ...(props.existingAlarmTopicObj ? { existingTopicObj: props.existingAlarmTopicObj } : { removalPolicy }),
  });

  labelsStream?.watch(
    monitoring,
    props.alarmThresholds?.iteratorAgeMinutes ?? DEFAULT_THRESHOLDS.iteratorAgeMinutes,
  );

  const monitorJob = props.modelMonitoring ?? true;
  if (monitorJob === false) return { monitoring };
  const challenger = props.challenger;
  const challengerName =
    challenger?.version ?? (challenger?.endpointName ? `sagemaker:${challenger.endpointName}` : undefined);
  const modelMonitoring = new ModelMonitoring(scope, 'ModelMonitoring', {
    spec,
    offlineBucket: offlineStore.bucket,
    offlineKey: offlineStore.encryptionKey,
    sideOutputBucket: featureComputer.sideOutputBucket,
    sideOutputKey: featureComputer.sideOutputKey,
    models: scoringApi.models,
    // A SageMaker model names its version in its answers only.
    championVersion:
      (props.model?.backend ?? 'embedded') === 'embedded' ? scoringApi.modelVersion : undefined,
    ...(challenger && challengerName
      ? {
          challenger: {
            version: challengerName,
            variant: challenger.mode === 'shadow' ? ('shadow' as const) : ('challenger' as const),
          },
        }
      : {}),
    topic: monitoring.topic,
    dashboard: monitoring.dashboard,
    firehoseBufferSeconds: offlineStore.bufferInterval.toSeconds(),
    offlineFormat: props.offlineFormat ?? 'parquet',
    settings: typeof monitorJob === 'object' ? monitorJob : undefined,
    ...logs,
  });
  // It reads events and labels by the spec: it changes with the others, once the guard has passed.
  parts.specGuard.guard(modelMonitoring.function);
  return { monitoring, modelMonitoring };
}
