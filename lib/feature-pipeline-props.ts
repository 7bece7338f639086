/**
 * FeaturePipeline's props, each with what happens when it is left out, and which of them each construct the pipeline
 * builds takes (for building it and for checking them).
 */
import type { Duration, Size } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Spec } from '../core/index.js';
import type { EventStreamProps } from './event-stream.js';
import type { ApiAuth } from './http-api.js';
import type { ModelMonitoringSettings } from './model-monitoring.js';
import type { MonitoringThresholds } from './monitoring.js';
import type { OfflineFormat } from './offline-dataset.js';
import type { Challenger, ModelBackend } from './scoring-api.js';

/** A feature spec as the pipeline takes it: normalized, in JSON form, or a `defineSpec(...)` builder. */
export type SpecSource = Spec | { toJSON(): unknown; build(): Spec } | Readonly<Record<string, unknown>>;

/**
 * The whole pipeline's settings. Every default is the construct's that applies it (stated there once); the
 * `@default` below says what happens when a prop is left out.
 */
export interface FeaturePipelineProps {
  /** The feature spec: a normalized spec, its JSON form, or a `defineSpec(...)` builder. */
  readonly spec: SpecSource;
  /**
   * `prod` retains the data stores (stream, table, queues, their keys, log groups) and turns on DynamoDB deletion
   * protection; `dev` lets them go with the stack. Buckets are retained in both.
   * @default 'dev'
   */
  readonly stage?: 'dev' | 'prod';

  /**
   * Say that this deploy's spec change has a backfill planned. Without it, a deploy that would leave features
   * empty until a backfill (what `streamfeatures spec diff` lists as needing one: an added feature, a changed
   * one) fails with spec diff's message and rolls back; a breaking change is refused either way. Pass it for that
   * one deploy (`cdk deploy -c backfillPlanned=true`), not for good.
   * @default false
   */
  readonly backfillPlanned?: boolean;

  /**
   * Stream capacity: `on-demand` scales shards automatically; `provisioned` uses `shardCount`.
   * @default 'on-demand'
   */
  readonly streamMode?: 'on-demand' | 'provisioned';
  /**
   * Shards, with `streamMode: 'provisioned'` only: 1 to 10000.
   * @default 1 when provisioned
   */
  readonly shardCount?: number;
  /**
   * How long records stay on the stream, whole hours from 24 to 8760: the window to repair and replay a stuck
   * shard.
   * @default Duration.hours(24)
   */
  readonly streamRetention?: Duration;

  /**
   * Records per invocation of the features Lambda: 1 to 10000.
   * @default 500
   */
  readonly batchSize?: number;
  /**
   * How long the event-source mapping gathers records before invoking: 0 to 300 seconds.
   * @default Duration.seconds(1)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Retries of a failed batch (bisected on each failure) before it goes to the on-failure destination: 0 to
   * 10000, never infinite.
   * @default 10
   */
  readonly retryAttempts?: number;
  /**
   * Records older than this go to the on-failure destination: 60 seconds to 7 days, and within the stream
   * retention.
   * @default Duration.hours(1)
   */
  readonly maxRecordAge?: Duration;
  /**
   * Concurrent batches per shard. Must be 1: the online store keeps one watermark per shard in each item.
   * @default 1
   */
  readonly parallelizationFactor?: number;
  /**
   * Where discarded batches go: `s3` keeps the whole batch in the side-output bucket, `sqs` only its shard and
   * sequence range.
   * @default 's3'
   */
  readonly onFailure?: 's3' | 'sqs';
  /**
   * Read the stream through a dedicated enhanced fan-out consumer (2 MB/s per shard of its own).
   * @default false
   */
  readonly enhancedFanOut?: boolean;

  /**
   * Offline tables: `parquet` (Hive-partitioned under dt=/hour=) or `iceberg`.
   * @default 'parquet'
   */
  readonly offlineFormat?: OfflineFormat;
  /**
   * Firehose buffering interval of the offline store: 0 to 900 seconds.
   * @default Duration.seconds(300)
   */
  readonly offlineBufferInterval?: Duration;
  /**
   * Firehose buffering size of the offline store: up to 128 MiB, at least 64 with Parquet.
   * @default Size.mebibytes(128)
   */
  readonly offlineBufferSize?: Size;

  /**
   * Who may call the scoring (and ingest) API: SigV4 callers with `execute-api:Invoke`, or bearers of a JWT.
   * @default { type: 'iam' }
   */
  readonly apiAuth?: ApiAuth;
  /**
   * Steady requests per second across each API.
   * @default 100
   */
  readonly throttleRate?: number;
  /**
   * Burst above the steady rate.
   * @default 200
   */
  readonly throttleBurst?: number;
  /**
   * The model that scores: embedded in the scoring Lambda, or a SageMaker endpoint.
   * @default { backend: 'embedded' }
   */
  readonly model?: ModelBackend;
  /**
   * The model registry: a directory of `<version>.json` model documents.
   * @default - the registry the package ships (the trained fraud model and an untrained placeholder)
   */
  readonly modelRegistry?: string;
  /**
   * The embedded model's version in the registry (the fallback with SageMaker). Name an earlier one to roll back.
   * @default DEFAULT_MODEL_VERSION (the trained fraud model)
   */
  readonly modelVersion?: string;
  /**
   * A challenger beside the model, in shadow or split mode.
   * @default - none
   */
  readonly challenger?: Challenger;
  /**
   * Also deploy an HTTP API that puts events on the stream.
   * @default false
   */
  readonly ingestApi?: boolean;
  /**
   * With the ingest API, also take delayed labels at `POST /labels` (the monitor's line format), delivered by
   * Firehose to the offline bucket under `labels/api/`, where the monitoring job reads them; its buffering interval
   * is `offlineBufferInterval`'s when set. `false` leaves the route out. Without the ingest API there is no labels
   * route, and `true` is refused.
   * @default - true with `ingestApi`, else false
   */
  readonly ingestLabels?: boolean;
  /**
   * Also take delayed labels through a Kinesis stream of their own (one label, the monitor's line format, per
   * record), checked with the same rules as `POST /labels` and delivered by Firehose to the offline bucket under
   * `labels/stream/`; records that are not labels go to the side-output bucket under `labels-quarantine/` with
   * their reason. The stream takes the events stream's capacity mode, shard count, retention and key when the
   * pipeline makes that stream (else on-demand, 24 hours, a key of its own); the delivery stream takes
   * `offlineBufferInterval`. Independent of the ingest API.
   * @default false
   */
  readonly labelsStream?: boolean;

  /**
   * Subscribe this address to the alarm topic.
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Alarm thresholds.
   * @default - iterator age 3 min, freshness 300 s, quarantine 1 %, late 5 %, API p99 1000 ms, API 5xx 1 %
   */
  readonly alarmThresholds?: MonitoringThresholds;

  /**
   * The scheduled monitoring job (lib/model-monitoring.ts): model quality from delayed labels, feature drift and
   * stream data quality as metrics, with alarms and dashboard widgets. `false` turns it off; settings tune it.
   * With `offlineFormat: 'iceberg'` it reads the tables' window through their manifests.
   * @default - on (DEFAULT_MODEL_MONITORING)
   */
  readonly modelMonitoring?: boolean | ModelMonitoringSettings;

  /**
   * Bring your own Kinesis stream; `streamMode`, `shardCount` and `streamRetention` are then refused.
   * @default - a new stream, encrypted with a new customer-managed key
   */
  readonly existingStreamObj?: kinesis.IStream;
  /**
   * Bring your own online-store table (string partition key `pk`, TTL on `x`).
   * @default - a new table
   */
  readonly existingTableObj?: dynamodb.ITable;
  /**
   * Bring your own offline-store bucket (SSE-KMS), with `existingOfflineBucketKey`.
   * @default - a new bucket
   */
  readonly existingOfflineBucketObj?: s3.IBucket;
  /**
   * The key of `existingOfflineBucketObj`; required with it.
   * @default - the new bucket's key
   */
  readonly existingOfflineBucketKey?: kms.IKey;
  /**
   * Bring your own bucket for quarantined and late records and failed batches.
   * @default - a new bucket
   */
  readonly existingSideOutputBucketObj?: s3.IBucket;
  /**
   * The key of `existingSideOutputBucketObj`, when it is SSE-KMS.
   * @default - none
   */
  readonly existingSideOutputBucketKey?: kms.IKey;
  /**
   * Bring your own SNS topic for the alarms.
   * @default - a new topic, KMS-encrypted, TLS only
   */
  readonly existingAlarmTopicObj?: sns.ITopic;
}

/** The stream's settings among the pipeline's props: a brought stream, or what a new one is built with. */
export function streamPropsOf(
  props: FeaturePipelineProps,
  removalPolicy: EventStreamProps['removalPolicy'],
): EventStreamProps {
  if (props.existingStreamObj) return { existingStreamObj: props.existingStreamObj };
  return {
    mode: props.streamMode,
    shardCount: props.shardCount,
    retentionPeriod: props.streamRetention,
    removalPolicy,
  };
}

/** The feature computer's settings among the pipeline's props: what it is built with and what is checked. */
export function featureComputerSettingsOf(props: FeaturePipelineProps) {
  const { batchSize, maxBatchingWindow, retryAttempts, maxRecordAge, parallelizationFactor, onFailure } =
    props;
  return {
    batchSize,
    maxBatchingWindow,
    retryAttempts,
    maxRecordAge,
    parallelizationFactor,
    onFailure,
    enhancedFanOut: props.enhancedFanOut,
  };
}

/**
 * The labels stream's settings among the pipeline's props: the events stream's capacity and retention when the
 * pipeline makes that stream; with a brought one, the labels stream's own defaults.
 */
export function labelsStreamPropsOf(
  props: FeaturePipelineProps,
): Omit<EventStreamProps, 'existingStreamObj'> {
  if (props.existingStreamObj) return {};
  return { mode: props.streamMode, shardCount: props.shardCount, retentionPeriod: props.streamRetention };
}
