import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Spec } from '../core/index.js';
import { allow, newDataKey } from './defaults.js';
import { ignoredWith, onlyWith, Problems, quote, throwIfProblems } from './errors.js';
import { S3FailureDestination, SqsFailureDestination } from './failure-destinations.js';
import { allowKeyVia } from './key-grants.js';
import { acknowledgeWildcardResources } from './nag.js';
import type { OfflineDataset } from './offline-dataset.js';
import { acknowledgeControl } from './policy-acknowledgements.js';
import { SecureBucket } from './secure-bucket.js';
import { StreamfeaturesFunction, type StreamfeaturesFunctionProps } from './streamfeatures-function.js';

/** Key prefixes of the side outputs in the side-output bucket (README, "Semantics": the quarantine and late outputs). */
export const SIDE_OUTPUT_PREFIXES = {
  quarantine: 'quarantine/',
  late: 'late/',
  /** Archive records too large for Firehose (the raw archive's overflow: kept like the archive). */
  rawOversize: 'raw-oversize/',
} as const;

/** The event-source mapping's settings unless told otherwise. */
export const DEFAULT_BATCH_SIZE = 500;
export const DEFAULT_MAX_BATCHING_WINDOW = Duration.seconds(1);
export const DEFAULT_RETRY_ATTEMPTS = 10;
export const DEFAULT_MAX_RECORD_AGE = Duration.hours(1);

export interface FeatureComputerProps {
  /** The normalized spec, compiled into the handler. */
  readonly spec: Spec;
  readonly stream: kinesis.IStream;
  readonly table: dynamodb.ITable;
  /**
   * The raw archive the handler puts every record to.
   * @default - no archive
   */
  readonly rawArchive?: OfflineDataset;
  /**
   * Powertools service name: the `service` dimension of the handler's metrics.
   * @default - `<stack name>-features`
   */
  readonly serviceName?: string;
  /**
   * Records per invocation: 1 to 10000 (Lambda also caps a batch at 6 MB).
   * @default 500
   */
  readonly batchSize?: number;
  /**
   * How long to gather records before invoking: 0 to 300 seconds. Fewer, larger writes for a second of
   * freshness.
   * @default Duration.seconds(1)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Retries of a failed batch (bisected on each failure) before it goes to the on-failure destination.
   * Bounded: 0 to 10000.
   * @default 10
   */
  readonly retryAttempts?: number;
  /**
   * Records older than this go to the on-failure destination. Bounded: 60 s to 7 days.
   * @default Duration.hours(1)
   */
  readonly maxRecordAge?: Duration;
  /**
   * Concurrent batches per shard. Exposed to be explicit, and validated: it must be 1, because the online
   * store's exactly-once protocol keeps a watermark per shard (README, "Known limits").
   * @default 1
   */
  readonly parallelizationFactor?: number;
  /**
   * Where a new mapping starts reading. A mapping is new on the first deploy, and again whenever it is replaced:
   * switching `enhancedFanOut` changes its source (the stream or its consumer), which CloudFormation can only
   * replace. A Kinesis mapping cannot start at a sequence number, so the new one cannot resume where the old one
   * stopped; LATEST starts at the tip of the stream instead of replaying the whole retention into the archive and
   * the side outputs (TRIM_HORIZON's choice). The price is a documented window at a switch (docs/deploy.md).
   * @default lambda.StartingPosition.LATEST
   */
  readonly startingPosition?: lambda.StartingPosition;
  /**
   * Where discarded batches go: `s3` (the side-output bucket, the whole batch) or `sqs` (a queue, the
   * batch's shard and sequence range only, which the stream forgets after its retention).
   * @default 's3'
   */
  readonly onFailure?: 's3' | 'sqs';
  /**
   * Read through a dedicated enhanced fan-out consumer.
   * @default false
   */
  readonly enhancedFanOut?: boolean;
  /**
   * Bring your own side-output bucket (with `existingSideOutputBucketKey` when it is SSE-KMS). The props that
   * configure a new bucket are then refused.
   * @default - a new bucket of its own (see SideOutputs in README)
   */
  readonly existingSideOutputBucketObj?: s3.IBucket;
  /**
   * The key of `existingSideOutputBucketObj`, when it is SSE-KMS.
   * @default - none: the bucket is not SSE-KMS
   */
  readonly existingSideOutputBucketKey?: kms.IKey;
  /**
   * How long quarantined and late records are kept in a new side-output bucket.
   * @default Duration.days(90)
   */
  readonly sideOutputRetention?: Duration;
  /**
   * Where a new side-output bucket's access logs go.
   * @default - no access logging
   */
  readonly serverAccessLogsBucket?: s3.IBucket;
  /**
   * Removal policy of the failure queue and its key (a new side-output bucket is always retained).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /** @default logs.RetentionDays.TWO_WEEKS */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Overrides of the function's properties, merged over the defaults (1024 MB, 120 s).
   * @default - none
   */
  readonly functionProps?: StreamfeaturesFunctionProps['functionProps'];
}

/**
 * The features Lambda and its Kinesis event-source mapping: bounded retries and record age, bisect on error,
 * partial batch responses, an on-failure destination, and the side outputs.
 */
export class FeatureComputer extends Construct {
  public readonly handler: StreamfeaturesFunction;
  public readonly function: lambda.IFunction;
  public readonly eventSource: sources.KinesisEventSource | sources.KinesisConsumerEventSource;
  /** The event-source mapping's id (its UUID): the dimension of its metrics. */
  public readonly eventSourceMappingId: string;
  public readonly sideOutputBucket: s3.IBucket;
  public readonly sideOutputKey?: kms.IKey;
  /** With `onFailure: 'sqs'`. */
  public readonly failureQueue?: sqs.Queue;
  /** With `enhancedFanOut`. */
  public readonly streamConsumer?: kinesis.StreamConsumer;
  public readonly serviceName: string;

  constructor(scope: Construct, id: string, props: FeatureComputerProps) {
    super(scope, id);
    throwIfProblems(this, featureComputerProblems(props));
    const settings = mappingSettings(props);
    this.serviceName = props.serviceName ?? `${Stack.of(this).stackName}-features`;

    if (props.existingSideOutputBucketObj) {
      this.sideOutputBucket = props.existingSideOutputBucketObj;
      this.sideOutputKey = props.existingSideOutputBucketKey;
    } else {
      const expire = props.sideOutputRetention ?? Duration.days(90);
      const bucket = new SecureBucket(this, 'SideOutputs', {
        purpose: 'quarantine, late and failed batches',
        serverAccessLogsBucket: props.serverAccessLogsBucket,
        lifecycleRules: [
          { id: 'expire-quarantine', prefix: SIDE_OUTPUT_PREFIXES.quarantine, expiration: expire },
          { id: 'expire-late', prefix: SIDE_OUTPUT_PREFIXES.late, expiration: expire },
          { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
        ],
      });
      this.sideOutputBucket = bucket.bucket;
      this.sideOutputKey = bucket.encryptionKey;
    }

    this.handler = new StreamfeaturesFunction(this, 'Handler', {
      bundle: 'features',
      spec: props.spec,
      serviceName: this.serviceName,
      wiring: {
        TABLE_NAME: props.table.tableName,
        SIDE_OUTPUT_BUCKET: this.sideOutputBucket.bucketName,
        QUARANTINE_PREFIX: SIDE_OUTPUT_PREFIXES.quarantine,
        LATE_PREFIX: SIDE_OUTPUT_PREFIXES.late,
        RAW_OVERSIZE_PREFIX: SIDE_OUTPUT_PREFIXES.rawOversize,
        ...(props.rawArchive
          ? {
              RAW_ARCHIVE_STREAM: props.rawArchive.deliveryStreamName,
              // Format conversion reads many JSON documents in one record; an Iceberg destination one.
              RAW_ARCHIVE_RECORDS: props.rawArchive.format === 'parquet' ? 'packed' : 'one-per-line',
              // Iceberg partitions on dt/hour columns the records carry.
              ...(props.rawArchive.writersAddPartitionFields
                ? { RAW_ARCHIVE_PARTITION_FIELDS: 'dt-hour' }
                : {}),
            }
          : {}),
      },
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      functionProps: { memorySize: 1024, timeout: Duration.seconds(120), ...props.functionProps },
    });
    this.function = this.handler.function;
    this.grantAccess(props);

    let onFailure: lambda.IEventSourceDlq;
    if ((props.onFailure ?? 's3') === 's3') {
      onFailure = new S3FailureDestination(this.sideOutputBucket, this.sideOutputKey);
    } else {
      const key = newDataKey(
        this,
        'FailureQueueKey',
        'streamfeatures: failed-batch queue',
        props.removalPolicy,
      );
      this.failureQueue = newFailureQueue(this, key, props.removalPolicy);
      onFailure = new SqsFailureDestination(this.failureQueue, key);
    }
    const common: sources.KinesisEventSourceProps = {
      startingPosition: props.startingPosition ?? lambda.StartingPosition.LATEST,
      ...settings,
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      onFailure,
      metricsConfig: { metrics: [lambda.MetricType.EVENT_COUNT] },
    };
    if (props.enhancedFanOut && props.stream instanceof kinesis.Stream) {
      this.streamConsumer = new kinesis.StreamConsumer(this, 'Consumer', {
        stream: props.stream,
        streamConsumerName: `${Stack.of(this).stackName}-features`,
      });
      const consumer = this.streamConsumer;
      const readConsumer = withReadGrant(consumer, (grantee) => {
        grantStreamRead(props.stream, grantee);
        consumer.grant(grantee, ...CONSUMER_READ_ACTIONS);
      });
      this.eventSource = new sources.KinesisConsumerEventSource(readConsumer, common);
    } else {
      const readStream = withReadGrant(props.stream, (grantee) => grantStreamRead(props.stream, grantee));
      this.eventSource = new sources.KinesisEventSource(readStream, common);
    }
    this.function.addEventSource(this.eventSource);
    this.eventSourceMappingId = this.eventSource.eventSourceMappingId;
  }

  private grantAccess(props: FeatureComputerProps): void {
    const role = this.handler.role;
    allow(role, ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem'], [props.table.tableArn]);
    const tableKey = props.table.encryptionKey;
    if (tableKey) {
      allowKeyVia(
        role,
        tableKey,
        ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
        'dynamodb',
      );
    }
    const sideOutputArns = Object.values(SIDE_OUTPUT_PREFIXES).map((prefix) =>
      this.sideOutputBucket.arnForObjects(`${prefix}*`),
    );
    allow(role, ['s3:PutObject'], sideOutputArns);
    acknowledgeWildcardResources(
      role,
      sideOutputArns,
      'Side-output objects are named per batch (dt=/hour=/shard-sequence range): PutObject is limited to the ' +
        'quarantine/, late/ and raw-oversize/ prefixes of the side-output bucket.',
    );
    if (this.sideOutputKey) allowKeyVia(role, this.sideOutputKey, ['kms:GenerateDataKey'], 's3');
    props.rawArchive?.grantPutRecords(role);
  }
}

/** What CDK's `grantRead` gives on a stream and on an enhanced fan-out consumer (aws-cdk-lib aws-kinesis). */
const STREAM_READ_ACTIONS = [
  'kinesis:DescribeStreamSummary',
  'kinesis:GetRecords',
  'kinesis:GetShardIterator',
  'kinesis:ListShards',
  'kinesis:SubscribeToShard',
  'kinesis:DescribeStream',
  'kinesis:ListStreams',
  'kinesis:DescribeStreamConsumer',
];
const CONSUMER_READ_ACTIONS = ['kinesis:DescribeStreamConsumer', 'kinesis:SubscribeToShard'];

/**
 * The mapping reads the stream with the function's role; Kinesis decrypts the records with that role's
 * `kms:Decrypt` on the stream key, so the key is granted through Kinesis only.
 */
export function grantStreamRead(stream: kinesis.IStream, grantee: iam.IGrantable): void {
  stream.grant(grantee, ...STREAM_READ_ACTIONS);
  if (stream.encryptionKey) allowKeyVia(grantee, stream.encryptionKey, ['kms:Decrypt'], 'kinesis');
}

/**
 * The stream or consumer as the event source sees it, with its read grant replaced: CDK's `grantRead` also
 * grants `kms:Decrypt` on the stream key with no condition. Everything else (its node, its ARN) is the source's
 * own, so the mapping's logical id stays what it was, and CloudFormation does not replace the mapping.
 */
export function withReadGrant<T extends object>(source: T, grantRead: (grantee: iam.IGrantable) => void): T {
  return new Proxy(source, {
    get: (target, property) => (property === 'grantRead' ? grantRead : Reflect.get(target, property, target)),
  });
}

function newFailureQueue(scope: Construct, key: kms.IKey, removalPolicy = RemovalPolicy.RETAIN): sqs.Queue {
  const queue = new sqs.Queue(scope, 'FailureQueue', {
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: key,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    removalPolicy,
  });
  const reason =
    "This queue is the event-source mapping's on-failure destination, the end of the line for a failed " +
    'batch: a dead-letter queue behind it would only move the same message again.';
  Validations.of(queue).acknowledge({ id: 'AwsSolutions-SQS3', reason });
  acknowledgeControl(queue, 'CT.SQS.PR.1', reason);
  return queue;
}

interface MappingSettings {
  readonly batchSize: number;
  readonly maxBatchingWindow: Duration;
  readonly retryAttempts: number;
  readonly maxRecordAge: Duration;
  readonly parallelizationFactor: 1;
}

/** The mapping's settings, defaults filled in (checked by featureComputerProblems). */
function mappingSettings(props: FeatureComputerProps): MappingSettings {
  return {
    batchSize: props.batchSize ?? DEFAULT_BATCH_SIZE,
    maxBatchingWindow: props.maxBatchingWindow ?? DEFAULT_MAX_BATCHING_WINDOW,
    retryAttempts: props.retryAttempts ?? DEFAULT_RETRY_ATTEMPTS,
    maxRecordAge: props.maxRecordAge ?? DEFAULT_MAX_RECORD_AGE,
    parallelizationFactor: 1,
  };
}

/**
 * Every problem with the props, each naming the bad value: the mapping's settings against AWS's ranges and the
 * protocol's needs, and the props an existing side-output bucket leaves without effect.
 */
export function featureComputerProblems(props: Partial<FeatureComputerProps>): string[] {
  const problems = new Problems();
  const parallelizationFactor = props.parallelizationFactor ?? 1;
  problems.check(
    parallelizationFactor === 1,
    'parallelizationFactor must be 1: the online store keeps one watermark per shard in each item, so two ' +
      'batches of one shard in flight at once would break per-shard order and exactly-once updates (README, ' +
      '"Known limits"); add shards for more throughput',
    parallelizationFactor,
  );
  const batchSize = props.batchSize ?? DEFAULT_BATCH_SIZE;
  problems.check(
    Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 10_000,
    'batchSize must be a whole number from 1 to 10000',
    batchSize,
  );
  const windowSeconds = (props.maxBatchingWindow ?? DEFAULT_MAX_BATCHING_WINDOW).toSeconds({
    integral: false,
  });
  problems.check(
    Number.isInteger(windowSeconds) && windowSeconds >= 0 && windowSeconds <= 300,
    'maxBatchingWindow must be whole seconds from 0 to 300',
    `${windowSeconds} s`,
  );
  const retryAttempts = props.retryAttempts ?? DEFAULT_RETRY_ATTEMPTS;
  problems.check(
    Number.isInteger(retryAttempts) && retryAttempts >= 0 && retryAttempts <= 10_000,
    'retryAttempts must be a whole number from 0 to 10000 (bounded: a failing batch must not block its shard ' +
      'until the records expire)',
    retryAttempts,
  );
  const ageSeconds = (props.maxRecordAge ?? DEFAULT_MAX_RECORD_AGE).toSeconds({ integral: false });
  problems.check(
    Number.isInteger(ageSeconds) && ageSeconds >= 60 && ageSeconds <= 604_800,
    'maxRecordAge must be whole seconds from 60 to 604800 (7 days; bounded: never the infinite default)',
    `${ageSeconds} s`,
  );
  const onFailure = props.onFailure ?? 's3';
  problems.check(onFailure === 's3' || onFailure === 'sqs', 'onFailure must be "s3" or "sqs"', onFailure);
  if (props.enhancedFanOut && props.stream !== undefined && !(props.stream instanceof kinesis.Stream)) {
    problems.add(
      `enhancedFanOut needs a stream defined in this app (got the imported stream ${quote(props.stream)})`,
    );
  }
  problems.add(...onlyWith(props, 'existingSideOutputBucketKey', 'existingSideOutputBucketObj'));
  if (props.existingSideOutputBucketObj) {
    problems.add(
      ...ignoredWith('existingSideOutputBucketObj', props, ['sideOutputRetention', 'serverAccessLogsBucket']),
    );
  }
  return problems.list;
}
