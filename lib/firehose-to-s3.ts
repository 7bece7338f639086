import { ArnFormat, type Duration, RemovalPolicy, type Size, SizeRoundingBehavior, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { allow } from './defaults.js';
import type { Problems } from './errors.js';
import { allowKeyVia } from './key-grants.js';
import { logsKeyOf } from './logs-key.js';
import { acknowledgeWildcardResources } from './nag.js';

export interface FirehoseToS3Props {
  readonly bucket: s3.IBucket;
  /** The bucket's key. */
  readonly encryptionKey: kms.IKey;
  /** Where the stream writes its objects, and its failed records (each ends in `/`). */
  readonly prefix: string;
  readonly errorPrefix: string;
  /** Object actions beyond writing (Iceberg deletes the files it compacts). */
  readonly extraObjectActions?: readonly string[];
  /** The role's description. */
  readonly description: string;
  /** Why the role's object grant ends in a wildcard, for cdk-nag. */
  readonly wildcardReason: string;
  /** @default logs.RetentionDays.TWO_WEEKS */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** What a delivery stream into S3 is built with. */
export interface FirehoseToS3 {
  /** The role Firehose assumes: the bucket's prefix and error prefix, the key for S3, its own log stream. */
  readonly role: iam.Role;
  /** Where Firehose logs failed deliveries (stream `DestinationDelivery`). */
  readonly logGroup: logs.LogGroup;
  /** The stream's `cloudWatchLoggingOptions`. */
  readonly logging: firehose.CfnDeliveryStream.CloudWatchLoggingOptionsProperty;
}

/**
 * The parts every Firehose delivery stream into the offline bucket shares (the offline datasets, the labels): a
 * delivery-error log group and a role allowed no more than its prefixes, the bucket's key through S3 and that log
 * stream. Made in `scope`, under the ids the constructs have always used (`DeliveryErrors`, `Role`).
 */
export function firehoseToS3(scope: Construct, props: FirehoseToS3Props): FirehoseToS3 {
  const stack = Stack.of(scope);
  const logRemovalPolicy = props.logRemovalPolicy ?? RemovalPolicy.DESTROY;
  const logGroup = new logs.LogGroup(scope, 'DeliveryErrors', {
    retention: props.logRetention ?? logs.RetentionDays.TWO_WEEKS,
    removalPolicy: logRemovalPolicy,
    encryptionKey: logsKeyOf(scope, logRemovalPolicy),
  });
  const logStream = logGroup.addStream('DestinationDelivery', { logStreamName: 'DestinationDelivery' });

  const role = new iam.Role(scope, 'Role', {
    assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
    }),
    description: props.description,
  });
  allow(
    role,
    ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
    [props.bucket.bucketArn],
  );
  const objectArns = [
    props.bucket.arnForObjects(`${props.prefix}*`),
    props.bucket.arnForObjects(`${props.errorPrefix}*`),
  ];
  allow(
    role,
    ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject', ...(props.extraObjectActions ?? [])],
    objectArns,
  );
  acknowledgeWildcardResources(role, objectArns, props.wildcardReason);
  allowKeyVia(role, props.encryptionKey, ['kms:GenerateDataKey', 'kms:Decrypt'], 's3');
  allow(
    role,
    ['logs:PutLogEvents'],
    [
      stack.formatArn({
        service: 'logs',
        resource: 'log-group',
        resourceName: `${logGroup.logGroupName}:log-stream:${logStream.logStreamName}`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    ],
  );
  const logging = {
    enabled: true,
    logGroupName: logGroup.logGroupName,
    logStreamName: logStream.logStreamName,
  };
  return { role, logGroup, logging };
}

/**
 * Checks a delivery stream's buffering against Firehose's bounds (whole seconds, 0 to 900; whole MiB,
 * `minimumMiB` to 128), each problem naming the bad value. `subject` starts each message (`bufferInterval`,
 * `labels bufferInterval`); `sizeBound` says why the size's minimum is what it is, when it is not Firehose's 1.
 */
export function checkBuffering(
  problems: Problems,
  {
    interval,
    size,
    minimumMiB = 1,
    subject = '',
    sizeBound = '',
  }: {
    interval: Duration;
    size: Size;
    minimumMiB?: number;
    subject?: string;
    sizeBound?: string;
  },
): void {
  const seconds = interval.toSeconds({ integral: false });
  problems.check(
    Number.isInteger(seconds) && seconds >= 0 && seconds <= 900,
    `${subject}bufferInterval must be whole seconds from 0 to 900`,
    `${seconds} s`,
  );
  const mebibytes = size.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
  problems.check(
    Number.isInteger(mebibytes) && mebibytes >= minimumMiB && mebibytes <= 128,
    `${subject}bufferSize must be whole MiB from ${minimumMiB} to 128${sizeBound}`,
    `${mebibytes} MiB`,
  );
}
