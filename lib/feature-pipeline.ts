import { CfnOutput } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { Spec } from '../core/index.js';
import { AccessLogBucket } from './access-log-bucket.js';
import { stageDefaults } from './defaults.js';
import { InvalidPropsError } from './errors.js';
import { EventStream } from './event-stream.js';
import { FeatureComputer } from './feature-computer.js';
import { monitorPipeline } from './feature-pipeline-monitoring.js';
import {
  type FeaturePipelineProps,
  featureComputerSettingsOf,
  labelsStreamPropsOf,
  streamPropsOf,
} from './feature-pipeline-props.js';
import { pipelineProblems, specOf } from './feature-pipeline-validation.js';
import { IngestApi } from './ingest-api.js';
import { LabelsStream } from './labels-stream.js';
import type { ModelMonitoring } from './model-monitoring.js';
import type { Monitoring } from './monitoring.js';
import { OfflineStore, RAW_ARCHIVE_PREFIX } from './offline-store.js';
import { OnlineStore } from './online-store.js';
import { acknowledgeShortLogRetention } from './policy-acknowledgements.js';
import { ScoringApi } from './scoring-api.js';
import { SpecGuard } from './spec-guard.js';

export type { FeaturePipelineProps, SpecSource } from './feature-pipeline-props.js';

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
  /** With `labelsStream: true`. */
  public readonly labelsStream?: LabelsStream;
  public readonly monitoring: Monitoring;
  /** The scheduled monitoring job; none with `modelMonitoring: false`. */
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
        ...(props.ingestLabels === false
          ? {}
          : {
              labels: {
                bucket: this.offlineStore.bucket,
                encryptionKey: this.offlineStore.encryptionKey,
                bufferInterval: props.offlineBufferInterval,
              },
            }),
        ...api,
        ...logs,
      });
    }

    if (props.labelsStream) {
      this.labelsStream = new LabelsStream(this, 'LabelsStream', {
        spec,
        stream: {
          ...labelsStreamPropsOf(props),
          encryptionKey: this.stream.encryptionKey,
          removalPolicy: stage.removalPolicy,
        },
        offlineBucket: this.offlineStore.bucket,
        offlineKey: this.offlineStore.encryptionKey,
        bufferInterval: props.offlineBufferInterval,
        sideOutputBucket: this.featureComputer.sideOutputBucket,
        sideOutputKey: this.featureComputer.sideOutputKey,
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
      ...(this.ingestApi?.labelsHandler ? [this.ingestApi.labelsHandler.function] : []),
      ...(this.labelsStream ? [this.labelsStream.function] : []),
    );

    const { monitoring, modelMonitoring } = monitorPipeline(this, this, props, stage.removalPolicy, logs);
    this.monitoring = monitoring;
    this.modelMonitoring = modelMonitoring;

    const output = (outputId: string, value: string, description: string) =>
      new CfnOutput(this, outputId, { value, description });
    output('StreamName', this.stream.stream.streamName, 'Kinesis stream producers put events to');
    output('TableName', this.onlineStore.table.tableName, 'DynamoDB online store');
    output('ScoringUrl', `${this.scoringApi.http.url}score`, 'POST a scoring request here');
    if (this.ingestApi) output('IngestUrl', `${this.ingestApi.http.url}events`, 'POST events here');
    if (this.ingestApi?.labelsHandler) {
      output(
        'LabelsUrl',
        `${this.ingestApi.http.url}labels`,
        'POST delayed labels here (JSON Lines or an array)',
      );
    }
    if (this.labelsStream) {
      output(
        'LabelsStreamName',
        this.labelsStream.stream.stream.streamName,
        'Kinesis stream producers put delayed labels to (one JSON label a record)',
      );
    }
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
