import { type Duration, type RemovalPolicy, type Size, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { allow, DEFAULT_LABEL_BUFFER_SIZE } from './defaults.js';
import { Problems, throwIfProblems } from './errors.js';
import { checkBuffering, firehoseToS3 } from './firehose-to-s3.js';
import { LABELS_PREFIX } from './model-monitoring-settings.js';
import { DEFAULT_BUFFER_INTERVAL } from './offline-dataset.js';
import { firehoseMetric } from './pipeline-metrics.js';

/**
 * Where the labels sent to the ingest API land: under the prefix the monitoring job and `streamfeatures monitor`
 * read (`labels/`), in a folder of their own so the files a team writes itself stay apart, one per UTC day.
 */
export const API_LABELS_PREFIX = `${LABELS_PREFIX}api/`;
/** Where the labels put on the labels stream land (lib/labels-stream.ts): beside the API's, under the same readers. */
export const STREAM_LABELS_PREFIX = `${LABELS_PREFIX}stream/`;

export interface LabelDeliveryProps {
  /** The offline-store bucket. */
  readonly bucket: s3.IBucket;
  /** The bucket's key; it also encrypts the delivery stream. */
  readonly encryptionKey: kms.IKey;
  /**
   * The key prefix the objects land under, in `labels/` (the readers search it recursively).
   * @default API_LABELS_PREFIX (`labels/api/`)
   */
  readonly prefix?: string;
  /**
   * Firehose buffering interval.
   * @default - the offline store's, DEFAULT_BUFFER_INTERVAL (300 s)
   */
  readonly bufferInterval?: Duration;
  /**
   * Firehose buffering size.
   * @default DEFAULT_LABEL_BUFFER_SIZE (5 MiB)
   */
  readonly bufferSize?: Size;
  /**
   * Retention of the delivery-error log group.
   * @default logs.RetentionDays.TWO_WEEKS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Removal policy of the delivery-error log group.
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** The buffering settings a caller chooses. */
export type LabelBufferingOptions = Pick<LabelDeliveryProps, 'bufferInterval' | 'bufferSize'>;

/** Every problem with the buffering settings, each naming the bad value. */
export function labelDeliveryProblems(props: LabelBufferingOptions): string[] {
  const problems = new Problems();
  checkBuffering(problems, {
    interval: props.bufferInterval ?? DEFAULT_BUFFER_INTERVAL,
    size: props.bufferSize ?? DEFAULT_LABEL_BUFFER_SIZE,
    subject: 'labels ',
  });
  return problems.list;
}

/**
 * A Firehose delivery stream (DirectPut) that writes delayed labels as plain JSON Lines objects
 * (`labels/api/dt=YYYY-MM-dd/<stream>-<time>-<id>.jsonl`, or under the `prefix` given, uncompressed: the label readers take `.jsonl` objects
 * as they are) into the offline bucket, encrypted with the bucket's key like the offline store's own streams.
 * Writers put one newline-terminated JSON line a label: Firehose concatenates records as they come.
 */
export class LabelDelivery extends Construct {
  public readonly deliveryStream: firehose.CfnDeliveryStream;
  /** What writers put records to. */
  public readonly deliveryStreamName: string;
  public readonly deliveryStreamArn: string;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  /** The S3 prefix the objects land under (`labels/api/` unless told otherwise). */
  public readonly prefix: string;
  /** Labels are written as they were sent, one JSON line each (what the alarms watch depends on it). */
  public readonly format = 'jsonl' as const;

  constructor(scope: Construct, id: string, props: LabelDeliveryProps) {
    super(scope, id);
    throwIfProblems(this, labelDeliveryProblems(props));
    const _stack = Stack.of(this);
    this.prefix = props.prefix ?? API_LABELS_PREFIX;
    const prefix = this.prefix;
    const errorPrefix = `errors/${prefix}`;

    const delivery = firehoseToS3(this, {
      bucket: props.bucket,
      encryptionKey: props.encryptionKey,
      prefix,
      errorPrefix,
      description: `streamfeatures: Firehose into ${prefix}`,
      wildcardReason:
        'Firehose names its objects at delivery (date prefixes, random suffixes): the grant is limited to the ' +
        "labels' own prefix and its error prefix.",
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    this.role = delivery.role;
    this.logGroup = delivery.logGroup;

    this.deliveryStream = new firehose.CfnDeliveryStream(this, 'DeliveryStream', {
      deliveryStreamType: 'DirectPut',
      deliveryStreamEncryptionConfigurationInput: {
        keyType: 'CUSTOMER_MANAGED_CMK',
        keyArn: props.encryptionKey.keyArn,
      },
      extendedS3DestinationConfiguration: {
        bucketArn: props.bucket.bucketArn,
        roleArn: this.role.roleArn,
        prefix: `${prefix}dt=!{timestamp:yyyy-MM-dd}/`,
        errorOutputPrefix: `${errorPrefix}!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/`,
        // The label readers list `.jsonl`/`.json` keys (adapters/monitoring/sources.ts).
        fileExtension: '.jsonl',
        bufferingHints: {
          intervalInSeconds: (props.bufferInterval ?? DEFAULT_BUFFER_INTERVAL).toSeconds(),
          sizeInMBs: (props.bufferSize ?? DEFAULT_LABEL_BUFFER_SIZE).toMebibytes(),
        },
        compressionFormat: 'UNCOMPRESSED',
        encryptionConfiguration: { kmsEncryptionConfig: { awskmsKeyArn: props.encryptionKey.keyArn } },
        cloudWatchLoggingOptions: delivery.logging,
      },
    });
    // Firehose checks its role when the stream is created.
    this.deliveryStream.node.addDependency(this.role);
    this.deliveryStreamName = this.deliveryStream.ref;
    this.deliveryStreamArn = this.deliveryStream.attrArn;
  }

  /** A metric of this delivery stream (namespace AWS/Firehose). */
  metric(metricName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return firehoseMetric(this.deliveryStreamName, metricName, props);
  }

  /** Lets a writer put labels: `firehose:PutRecordBatch` on this delivery stream, and nothing else. */
  grantPutRecordBatch(grantee: iam.IGrantable): iam.Grant {
    return allow(grantee, ['firehose:PutRecordBatch'], [this.deliveryStreamArn]);
  }
}
