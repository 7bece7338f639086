import { Duration, RemovalPolicy, type Size, Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { Spec } from '../core/index.js';
import { featureLogColumns, rawArchiveColumns } from '../core/offline-schema.js';
import { glueName } from './defaults.js';
import { ignoredWith, onlyWith, throwIfProblems } from './errors.js';
import { OfflineDataset, type OfflineFormat, offlineDeliveryProblems } from './offline-dataset.js';
import { SecureBucket } from './secure-bucket.js';

export interface OfflineStoreProps {
  /** The normalized spec: the tables' typed columns come from it. */
  readonly spec: Spec;
  /**
   * Table format.
   * @default 'parquet'
   */
  readonly format?: OfflineFormat;
  /**
   * Firehose buffering interval.
   * @default Duration.seconds(300)
   */
  readonly bufferInterval?: Duration;
  /**
   * Firehose buffering size.
   * @default Size.mebibytes(128)
   */
  readonly bufferSize?: Size;
  /**
   * The Glue database name.
   * @default - the stack name and the spec name, in Glue's spelling (`streamfeatures_dev_fraud`)
   */
  readonly databaseName?: string;
  /**
   * Where S3 server access logs of a new bucket go.
   * @default - no access logging
   */
  readonly serverAccessLogsBucket?: s3.IBucket;
  /**
   * Bring your own bucket (SSE-KMS with `existingBucketKey`); the lifecycle and encryption are then yours, and
   * the props that configure a new bucket are refused.
   * @default - a new bucket
   */
  readonly existingBucketObj?: s3.IBucket;
  /**
   * The key of `existingBucketObj`. Required with it.
   * @default - the new bucket's key
   */
  readonly existingBucketKey?: kms.IKey;
  /**
   * Lifecycle of a new bucket.
   * @default - data moves to Intelligent-Tiering after 30 days and is kept; delivery errors expire after 90 days
   */
  readonly lifecycleRules?: s3.LifecycleRule[];
  /**
   * Removal policy of a new bucket and its key: the archive is the source of every training set.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Retention of the delivery-error log groups.
   * @default logs.RetentionDays.TWO_WEEKS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Removal policy of the delivery-error log groups.
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** Key prefixes in the offline-store bucket. */
export const RAW_ARCHIVE_PREFIX = 'raw';
export const FEATURE_LOG_PREFIX = 'features';

/**
 * The offline store: an S3 bucket, a Glue database, and two datasets, each a table filled by a Firehose stream:
 * the raw archive (every record as Kinesis delivered it) and the feature + prediction log of the scoring API.
 */
export class OfflineStore extends Construct {
  public readonly bucket: s3.IBucket;
  public readonly encryptionKey: kms.IKey;
  public readonly database: glue.CfnDatabase;
  public readonly databaseName: string;
  public readonly rawArchive: OfflineDataset;
  public readonly featureLog: OfflineDataset;
  /** The Firehose buffering interval of both datasets. */
  public readonly bufferInterval: Duration;

  constructor(scope: Construct, id: string, props: OfflineStoreProps) {
    super(scope, id);
    throwIfProblems(this, offlineStoreProblems(props));
    if (props.existingBucketObj && props.existingBucketKey) {
      this.bucket = props.existingBucketObj;
      this.encryptionKey = props.existingBucketKey;
    } else {
      const secure = new SecureBucket(this, 'Data', {
        purpose: 'offline store',
        serverAccessLogsBucket: props.serverAccessLogsBucket,
        removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
        lifecycleRules: props.lifecycleRules ?? [
          {
            id: 'tier-data',
            transitions: [
              { storageClass: s3.StorageClass.INTELLIGENT_TIERING, transitionAfter: Duration.days(30) },
            ],
            abortIncompleteMultipartUploadAfter: Duration.days(7),
          },
          { id: 'expire-delivery-errors', prefix: 'errors/', expiration: Duration.days(90) },
        ],
      });
      this.bucket = secure.bucket;
      this.encryptionKey = secure.encryptionKey;
    }

    this.databaseName = props.databaseName ?? glueName(`${Stack.of(this).stackName}_${props.spec.name}`);
    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: Stack.of(this).account,
      databaseInput: {
        name: this.databaseName,
        description: `streamfeatures offline store of spec "${props.spec.name}"`,
      },
    });

    const common = {
      database: this.database,
      bucket: this.bucket,
      encryptionKey: this.encryptionKey,
      format: props.format,
      bufferInterval: props.bufferInterval,
      bufferSize: props.bufferSize,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    };
    this.rawArchive = new OfflineDataset(this, 'RawArchive', {
      ...common,
      tableName: 'raw_events',
      description: 'Every record of the event stream as Kinesis delivered it, for replay and training sets',
      columns: rawArchiveColumns(props.spec),
      prefix: RAW_ARCHIVE_PREFIX,
    });
    this.featureLog = new OfflineDataset(this, 'FeatureLog', {
      ...common,
      tableName: 'feature_log',
      description: 'Every scoring request: the features it read and the prediction',
      columns: featureLogColumns(props.spec),
      prefix: FEATURE_LOG_PREFIX,
    });
    this.bufferInterval = this.rawArchive.bufferInterval;
  }
}

/** Every problem with the props, each naming the bad value; none when they are fine. */
export function offlineStoreProblems(props: Omit<OfflineStoreProps, 'spec'>): string[] {
  const problems = offlineDeliveryProblems(props);
  problems.push(...onlyWith(props, 'existingBucketKey', 'existingBucketObj'));
  if (props.existingBucketObj) {
    if (!props.existingBucketKey) {
      problems.push(
        'existingBucketKey is required with existingBucketObj (the key that encrypts the bucket)',
      );
    }
    problems.push(
      ...ignoredWith('existingBucketObj', props, [
        'serverAccessLogsBucket',
        'lifecycleRules',
        'removalPolicy',
      ]),
    );
  }
  return problems;
}
