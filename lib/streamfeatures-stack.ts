import { CfnOutput, Duration, Size, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { Spec } from '../core/index.js';
import { AccessLogBucket } from './access-log-bucket.js';
import type { StreamfeaturesConfig } from './config.js';
import { stageDefaults } from './defaults.js';
import { EventStream } from './event-stream.js';
import { FeatureComputer } from './feature-computer.js';
import type { ApiAuth } from './http-api.js';
import { IngestApi } from './ingest-api.js';
import { Monitoring } from './monitoring.js';
import { OfflineStore } from './offline-store.js';
import { OnlineStore } from './online-store.js';
import { acknowledgeShortLogRetention } from './policy-acknowledgements.js';
import { type Challenger, ScoringApi } from './scoring-api.js';

export interface StreamfeaturesStackProps extends StackProps {
  /** The validated config (lib/config.ts). */
  readonly config: StreamfeaturesConfig;
  /** The normalized spec. */
  readonly spec: Spec;
}

/** The whole pipeline of DESIGN.md, assembled from the constructs with the config's settings. */
export class StreamfeaturesStack extends Stack {
  public readonly stream: EventStream;
  public readonly onlineStore: OnlineStore;
  public readonly offlineStore: OfflineStore;
  public readonly featureComputer: FeatureComputer;
  public readonly scoringApi: ScoringApi;
  public readonly ingestApi?: IngestApi;
  public readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: StreamfeaturesStackProps) {
    super(scope, id, {
      description: `streamfeatures: real-time features for spec "${props.spec.name}" (${props.config.stage})`,
      ...props,
    });
    const { config, spec } = props;
    const stage = stageDefaults(config.stage);
    const logs = { logRetention: stage.logRetention, logRemovalPolicy: stage.removalPolicy };
    // A year of dev logs is cost without a reader; prod keeps them a year (stageDefaults).
    if (config.stage === 'dev') acknowledgeShortLogRetention(this, 'dev stage, kept short for cost.');
    const accessLogs = new AccessLogBucket(this, 'AccessLogs');

    this.stream = new EventStream(this, 'Stream', {
      mode: config.stream.mode,
      shardCount: config.stream.shards,
      retentionPeriod: Duration.hours(config.stream.retentionHours),
      removalPolicy: stage.removalPolicy,
    });
    this.onlineStore = new OnlineStore(this, 'OnlineStore', {
      removalPolicy: stage.removalPolicy,
      deletionProtection: stage.deletionProtection,
    });
    this.offlineStore = new OfflineStore(this, 'OfflineStore', {
      spec,
      format: config.offlineStore.format,
      bufferInterval: Duration.seconds(config.offlineStore.bufferSeconds),
      bufferSize: Size.mebibytes(config.offlineStore.bufferMiB),
      serverAccessLogsBucket: accessLogs.bucket,
      ...logs,
    });
    const fc = config.featureComputer;
    this.featureComputer = new FeatureComputer(this, 'FeatureComputer', {
      spec,
      stream: this.stream.stream,
      table: this.onlineStore.table,
      rawArchive: this.offlineStore.rawArchive,
      batchSize: fc.batchSize,
      maxBatchingWindow: Duration.seconds(fc.maxBatchingWindowSeconds),
      retryAttempts: fc.retryAttempts,
      maxRecordAge: Duration.seconds(fc.maxRecordAgeSeconds),
      parallelizationFactor: fc.parallelizationFactor,
      onFailure: fc.onFailure,
      enhancedFanOut: fc.enhancedFanOut,
      serverAccessLogsBucket: accessLogs.bucket,
      removalPolicy: stage.removalPolicy,
      ...logs,
    });

    const { scoring } = config;
    const auth: ApiAuth =
      scoring.auth === 'jwt'
        ? { type: 'jwt', issuer: scoring.jwtIssuer ?? '', audience: scoring.jwtAudience ?? [] }
        : { type: 'iam' };
    const throttle = { throttleRate: scoring.throttleRate, throttleBurst: scoring.throttleBurst };
    this.scoringApi = new ScoringApi(this, 'ScoringApi', {
      spec,
      table: this.onlineStore.table,
      featureLog: this.offlineStore.featureLog,
      model:
        scoring.model.backend === 'sagemaker'
          ? {
              backend: 'sagemaker',
              endpointName: scoring.model.endpointName ?? '',
              timeoutMs: scoring.model.timeoutMs,
              fallback: scoring.model.fallback,
            }
          : { backend: 'embedded' },
      modelRegistry: scoring.model.registry,
      modelVersion: scoring.model.version,
      challenger: challengerOf(config),
      auth,
      ...throttle,
      ...logs,
    });
    if (config.ingestApi) {
      this.ingestApi = new IngestApi(this, 'IngestApi', {
        spec,
        stream: this.stream.stream,
        auth,
        ...throttle,
        ...logs,
      });
    }

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
      scoring: {
        serviceName: this.scoringApi.serviceName,
        challenger: config.scoring.challenger.mode !== 'off',
      },
      thresholds: config.monitoring,
      firehoseBufferSeconds: config.offlineStore.bufferSeconds,
      alarmEmail: config.alarmEmail,
      removalPolicy: stage.removalPolicy,
    });

    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
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

/** The config's challenger as the construct takes it; none when its mode is off (its other keys then wait). */
function challengerOf({ scoring }: StreamfeaturesConfig): Challenger | undefined {
  const { mode, version, endpointName, weight } = scoring.challenger;
  if (mode === 'off') return undefined;
  const model =
    version !== undefined
      ? { version }
      : { endpointName: endpointName ?? '', timeoutMs: scoring.model.timeoutMs };
  return mode === 'split' ? { mode, weight, ...model } : { mode, ...model };
}
