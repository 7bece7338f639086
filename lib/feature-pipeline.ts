import { CfnOutput, type Duration, type Size } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { parseSpec, type Spec, SpecError } from '../core/index.js';
import { AccessLogBucket } from './access-log-bucket.js';
import { stageDefaults } from './defaults.js';
import { atPath, InvalidPropsError, ignoredWith, quote } from './errors.js';
import {
  DEFAULT_STREAM_RETENTION,
  EventStream,
  type EventStreamProps,
  eventStreamProblems,
} from './event-stream.js';
import { DEFAULT_MAX_RECORD_AGE, FeatureComputer, featureComputerProblems } from './feature-computer.js';
import { type ApiAuth, httpApiProblems } from './http-api.js';
import { IngestApi } from './ingest-api.js';
import {
  ModelMonitoring,
  type ModelMonitoringSettings,
  modelMonitoringProblems,
} from './model-monitoring.js';
import { Monitoring, type MonitoringThresholds, monitoringProblems } from './monitoring.js';
import type { OfflineFormat } from './offline-dataset.js';
import { OfflineStore, offlineStoreProblems, RAW_ARCHIVE_PREFIX } from './offline-store.js';
import { OnlineStore, onlineStoreProblems } from './online-store.js';
import { acknowledgeShortLogRetention } from './policy-acknowledgements.js';
import { type Challenger, type ModelBackend, ScoringApi, scoringApiProblems } from './scoring-api.js';
import { SpecGuard } from './spec-guard.js';

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
   * stream data quality as metrics, with alarms and dashboard widgets. `false` turns it off; settings tune it. It
   * reads the Parquet layout, so it is off with `offlineFormat: 'iceberg'`.
   * @default - on (DEFAULT_MODEL_MONITORING) with Parquet, off with Iceberg
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

/**
 * The whole pipeline in one construct: the Kinesis stream, the features Lambda and its event-source mapping, the
 * DynamoDB online store, the S3/Firehose offline store with its Glue tables, the scoring API (and optionally the
 * ingest API), and the dashboard and alarms, with stack outputs naming what producers and readers need.
 * Invalid props fail the synth with every problem at once, each prefixed by the construct's path.
 */
export class FeaturePipeline extends Construct {
  /** The normalized spec. */
  public readonly spec: Spec;
  public readonly stream: EventStream;
  public readonly onlineStore: OnlineStore;
  public readonly offlineStore: OfflineStore;
  public readonly featureComputer: FeatureComputer;
  public readonly scoringApi: ScoringApi;
  /** With `ingestApi: true`. */
  public readonly ingestApi?: IngestApi;
  public readonly monitoring: Monitoring;
  /** The scheduled monitoring job; none with `modelMonitoring: false` or Iceberg. */
  public readonly modelMonitoring?: ModelMonitoring;
  /** Refuses a spec change that leaves features empty without a backfill plan; the functions wait for it. */
  public readonly specGuard: SpecGuard;
  /** Where the new buckets' server access logs go; none when every bucket is brought. */
  public readonly accessLogs?: AccessLogBucket;

  constructor(scope: Construct, id: string, props: FeaturePipelineProps) {
    super(scope, id);
    this.spec = specOf(this, props.spec);
    const problems = pipelineProblems(this, props);
    if (problems.length > 0) throw new InvalidPropsError(problems);

    const stage = stageDefaults(props.stage ?? 'dev');
    const logs = { logRetention: stage.logRetention, logRemovalPolicy: stage.removalPolicy };
    // A year of dev logs is cost without a reader; prod keeps them a year (stageDefaults).
    if ((props.stage ?? 'dev') === 'dev')
      acknowledgeShortLogRetention(this, 'dev stage, kept short for cost.');
    const spec = this.spec;
    if (!props.existingOfflineBucketObj || !props.existingSideOutputBucketObj) {
      this.accessLogs = new AccessLogBucket(this, 'AccessLogs');
    }
    const accessLogsBucket = this.accessLogs?.bucket;

    this.stream = new EventStream(this, 'Stream', streamPropsOf(props, stage.removalPolicy));
    this.onlineStore = new OnlineStore(
      this,
      'OnlineStore',
      props.existingTableObj
        ? { existingTableObj: props.existingTableObj }
        : { removalPolicy: stage.removalPolicy, deletionProtection: stage.deletionProtection },
    );
    this.offlineStore = new OfflineStore(this, 'OfflineStore', {
      spec,
      format: props.offlineFormat,
      bufferInterval: props.offlineBufferInterval,
      bufferSize: props.offlineBufferSize,
      ...(props.existingOfflineBucketObj
        ? {
            existingBucketObj: props.existingOfflineBucketObj,
            existingBucketKey: props.existingOfflineBucketKey,
          }
        : { serverAccessLogsBucket: accessLogsBucket }),
      ...logs,
    });
    this.featureComputer = new FeatureComputer(this, 'FeatureComputer', {
      spec,
      stream: this.stream.stream,
      table: this.onlineStore.table,
      rawArchive: this.offlineStore.rawArchive,
      ...featureComputerSettingsOf(props),
      ...(props.existingSideOutputBucketObj
        ? {
            existingSideOutputBucketObj: props.existingSideOutputBucketObj,
            existingSideOutputBucketKey: props.existingSideOutputBucketKey,
          }
        : { serverAccessLogsBucket: accessLogsBucket }),
      removalPolicy: stage.removalPolicy,
      ...logs,
    });

    const api = { auth: props.apiAuth, throttleRate: props.throttleRate, throttleBurst: props.throttleBurst };
    this.scoringApi = new ScoringApi(this, 'ScoringApi', {
      spec,
      table: this.onlineStore.table,
      featureLog: this.offlineStore.featureLog,
      model: props.model,
      modelRegistry: props.modelRegistry,
      modelVersion: props.modelVersion,
      challenger: props.challenger,
      ...api,
      ...logs,
    });
    if (props.ingestApi) {
      this.ingestApi = new IngestApi(this, 'IngestApi', {
        spec,
        stream: this.stream.stream,
        ...api,
        ...logs,
      });
    }

    this.specGuard = new SpecGuard(this, 'SpecGuard', {
      spec,
      backfillPlanned: props.backfillPlanned,
      tableName: this.onlineStore.table.tableName,
      rawArchiveUrl: `s3://${this.offlineStore.bucket.bucketName}/${RAW_ARCHIVE_PREFIX}/`,
      ...logs,
    });
    // Every function that runs the spec changes only once the guard has passed (the features function's
    // event-source mapping is under it).
    this.specGuard.guard(
      this.featureComputer.function,
      this.scoringApi.function,
      ...(this.ingestApi ? [this.ingestApi.function] : []),
    );

    this.monitoring = new Monitoring(this, 'Monitoring', {
      spec,
      featureComputer: this.featureComputer,
      table: this.onlineStore.table,
      functions: {
        Features: this.featureComputer.function,
        Score: this.scoringApi.function,
        ...(this.ingestApi ? { Ingest: this.ingestApi.function } : {}),
      },
      apis: { Score: this.scoringApi.http, ...(this.ingestApi ? { Ingest: this.ingestApi.http } : {}) },
      datasets: { RawArchive: this.offlineStore.rawArchive, FeatureLog: this.offlineStore.featureLog },
      scoring: { serviceName: this.scoringApi.serviceName, challenger: props.challenger !== undefined },
      thresholds: props.alarmThresholds,
      firehoseBufferSeconds: this.offlineStore.bufferInterval.toSeconds(),
      alarmEmail: props.alarmEmail,
      ...(props.existingAlarmTopicObj
        ? { existingTopicObj: props.existingAlarmTopicObj }
        : { removalPolicy: stage.removalPolicy }),
    });

    const monitorJob = props.modelMonitoring ?? (props.offlineFormat ?? 'parquet') === 'parquet';
    if (monitorJob !== false) {
      const challenger = props.challenger;
      const challengerName =
        challenger?.version ??
        (challenger?.endpointName ? `sagemaker:${challenger.endpointName}` : undefined);
      this.modelMonitoring = new ModelMonitoring(this, 'ModelMonitoring', {
        spec,
        offlineBucket: this.offlineStore.bucket,
        offlineKey: this.offlineStore.encryptionKey,
        sideOutputBucket: this.featureComputer.sideOutputBucket,
        sideOutputKey: this.featureComputer.sideOutputKey,
        models: this.scoringApi.models,
        // A SageMaker model names its version in its answers only.
        championVersion:
          (props.model?.backend ?? 'embedded') === 'embedded' ? this.scoringApi.modelVersion : undefined,
        ...(challenger && challengerName
          ? {
              challenger: {
                version: challengerName,
                variant: challenger.mode === 'shadow' ? ('shadow' as const) : ('challenger' as const),
              },
            }
          : {}),
        topic: this.monitoring.topic,
        dashboard: this.monitoring.dashboard,
        firehoseBufferSeconds: this.offlineStore.bufferInterval.toSeconds(),
        settings: typeof monitorJob === 'object' ? monitorJob : undefined,
        ...logs,
      });
      // It reads events and labels by the spec: it changes with the others, once the guard has passed.
      this.specGuard.guard(this.modelMonitoring.function);
    }

    const output = (outputId: string, value: string, description: string) =>
      new CfnOutput(this, outputId, { value, description });
    output('StreamName', this.stream.stream.streamName, 'Kinesis stream producers put events to');
    output('TableName', this.onlineStore.table.tableName, 'DynamoDB online store');
    output('ScoringUrl', `${this.scoringApi.http.url}score`, 'POST a scoring request here');
    if (this.ingestApi) output('IngestUrl', `${this.ingestApi.http.url}events`, 'POST events here');
    output('OfflineBucket', this.offlineStore.bucket.bucketName, 'Offline store (raw/, features/)');
    output('GlueDatabase', this.offlineStore.databaseName, 'Glue database of the offline tables');
    output(
      'SideOutputBucket',
      this.featureComputer.sideOutputBucket.bucketName,
      'quarantine/, late/, failed batches',
    );
    output('AlarmTopic', this.monitoring.topic.topicArn, 'SNS topic of the alarms');
  }
}

/** The spec, normalized; a spec that does not validate fails at the pipeline's path with every problem. */
function specOf(scope: Construct, source: SpecSource): Spec {
  const input =
    typeof (source as { build?: unknown }).build === 'function'
      ? (source as { toJSON(): unknown }).toJSON()
      : source;
  try {
    return parseSpec(input, 'props.spec');
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    throw new InvalidPropsError(
      atPath(
        scope,
        error.issues.map((issue) => `spec: ${issue}`),
      ),
    );
  }
}

function streamPropsOf(
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

/**
 * Every problem with the props before anything is built: the pipeline's own (props an existing resource leaves
 * without effect, the record age against the stream's retention), then each construct's, at its path.
 */
function pipelineProblems(pipeline: Construct, props: FeaturePipelineProps): string[] {
  const own: string[] = [];
  if (props.existingStreamObj) {
    own.push(...ignoredWith('existingStreamObj', props, ['streamMode', 'shardCount', 'streamRetention']));
  }
  if (!props.existingOfflineBucketObj && props.existingOfflineBucketKey !== undefined) {
    own.push(
      `existingOfflineBucketKey applies only with existingOfflineBucketObj (got ${quote(props.existingOfflineBucketKey)} without it)`,
    );
  }
  if (props.existingOfflineBucketObj && !props.existingOfflineBucketKey) {
    own.push(
      'existingOfflineBucketKey is required with existingOfflineBucketObj (the key that encrypts the bucket)',
    );
  }
  if (!props.existingStreamObj) {
    const retention = (props.streamRetention ?? DEFAULT_STREAM_RETENTION).toSeconds({ integral: false });
    const maxRecordAge = (props.maxRecordAge ?? DEFAULT_MAX_RECORD_AGE).toSeconds({ integral: false });
    if (maxRecordAge > retention) {
      own.push(
        `maxRecordAge must not exceed streamRetention (got ${maxRecordAge} s against ${retention} s): records ` +
          'that expire from the stream are lost without reaching the on-failure destination',
      );
    }
  }
  if (props.stage !== undefined && props.stage !== 'dev' && props.stage !== 'prod') {
    own.push(`stage must be "dev" or "prod" (got ${quote(props.stage)})`);
  }
  const path = (child: string) => `${pipeline.node.path}/${child}`;
  const api = { auth: props.apiAuth, throttleRate: props.throttleRate, throttleBurst: props.throttleBurst };
  return [
    ...atPath(pipeline, own),
    ...atPath(path('Stream'), eventStreamProblems(streamPropsOf(props, undefined))),
    ...atPath(path('OnlineStore'), onlineStoreProblems({ existingTableObj: props.existingTableObj })),
    ...atPath(
      path('OfflineStore'),
      offlineStoreProblems({
        format: props.offlineFormat,
        bufferInterval: props.offlineBufferInterval,
        bufferSize: props.offlineBufferSize,
      }),
    ),
    ...atPath(
      path('FeatureComputer'),
      featureComputerProblems({
        ...featureComputerSettingsOf(props),
        ...(props.existingStreamObj && !(props.existingStreamObj instanceof kinesis.Stream)
          ? { stream: props.existingStreamObj }
          : {}),
      }),
    ),
    ...atPath(
      path('ScoringApi'),
      scoringApiProblems({
        model: props.model,
        modelVersion: props.modelVersion,
        challenger: props.challenger,
        ...api,
      }),
    ),
    ...(props.ingestApi ? atPath(path('IngestApi'), httpApiProblems(api)) : []),
    ...atPath(
      path('Monitoring'),
      monitoringProblems({ thresholds: props.alarmThresholds, alarmEmail: props.alarmEmail }),
    ),
    ...atPath(path('ModelMonitoring'), modelMonitoringPropProblems(props)),
  ];
}

/** The monitoring job's prop: a switch or settings, and it reads the Parquet layout only. */
function modelMonitoringPropProblems(props: FeaturePipelineProps): string[] {
  const value = props.modelMonitoring;
  if (value === undefined || value === false) return [];
  if (value !== true && (typeof value !== 'object' || value === null)) {
    return [`modelMonitoring must be true, false or settings (got ${quote(value)})`];
  }
  if ((props.offlineFormat ?? 'parquet') !== 'parquet') {
    return [
      `modelMonitoring reads the Parquet layout of the offline store: turn it off with offlineFormat ${quote(props.offlineFormat)}`,
    ];
  }
  return value === true ? [] : modelMonitoringProblems(value);
}

/** The feature computer's settings among the pipeline's props: what it is built with and what is checked. */
function featureComputerSettingsOf(props: FeaturePipelineProps) {
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
