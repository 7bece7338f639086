import { Duration, type RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as glue from 'aws-cdk-lib/aws-glue';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { Column } from '../core/offline-schema.js';
import { allow } from './defaults.js';
import { Problems, throwIfProblems } from './errors.js';
import { checkBuffering, firehoseToS3 } from './firehose-to-s3.js';
import { IcebergTableOptimizers } from './iceberg-optimizers.js';
import { icebergTable, parquetTable } from './offline-tables.js';
import { firehoseMetric } from './pipeline-metrics.js';

export type OfflineFormat = 'parquet' | 'iceberg';

/** Firehose buffering unless told otherwise. */
export const DEFAULT_BUFFER_INTERVAL = Duration.seconds(300);
export const DEFAULT_BUFFER_SIZE = Size.mebibytes(128);

/** The delivery settings a caller chooses. */
export type OfflineDeliveryOptions = Pick<OfflineDatasetProps, 'format' | 'bufferInterval' | 'bufferSize'>;

/** Every problem with the delivery settings, each naming the bad value. */
export function offlineDeliveryProblems(props: OfflineDeliveryOptions): string[] {
  const problems = new Problems();
  const format = props.format ?? 'parquet';
  problems.check(
    format === 'parquet' || format === 'iceberg',
    'format must be "parquet" or "iceberg"',
    format,
  );
  checkBuffering(problems, {
    interval: props.bufferInterval ?? DEFAULT_BUFFER_INTERVAL,
    size: props.bufferSize ?? DEFAULT_BUFFER_SIZE,
    minimumMiB: format === 'parquet' ? 64 : 1,
    sizeBound: ` with format "${format}"${format === 'parquet' ? ' (Firehose format conversion)' : ''}`,
  });
  return problems.list;
}

export interface OfflineDatasetProps {
  /** The Glue database the table lives in (created by the caller). */
  readonly database: glue.CfnDatabase;
  /** The Glue table name. */
  readonly tableName: string;
  readonly description: string;
  /** The table's columns, without the partition keys dt and hour. */
  readonly columns: readonly Column[];
  /** The bucket and the key prefix (no slashes) the data lands under. */
  readonly bucket: s3.IBucket;
  readonly prefix: string;
  /** The bucket's key; it also encrypts the delivery stream. */
  readonly encryptionKey: kms.IKey;
  /**
   * `parquet`: a Hive table, Firehose converting JSON to Parquet under `dt=/hour=` prefixes (partition
   * projection, no crawler); `iceberg`: a Glue Iceberg table, Firehose's Iceberg destination.
   * @default 'parquet'
   */
  readonly format?: OfflineFormat;
  /**
   * Firehose buffering interval.
   * @default Duration.seconds(300)
   */
  readonly bufferInterval?: Duration;
  /**
   * Firehose buffering size; at least 64 MiB with Parquet conversion.
   * @default Size.mebibytes(128)
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

/**
 * One offline table and the Firehose delivery stream that fills it. Writers put JSON records whose keys are the
 * column names, plus `dt` and `hour` when `writersAddPartitionFields` says so (Iceberg partitions on those
 * columns; with Parquet the S3 prefix Firehose writes carries them).
 */
export class OfflineDataset extends Construct {
  public readonly table: glue.CfnTable;
  /** With Iceberg: the table's compaction, snapshot retention and orphan-file deletion. */
  public readonly optimizers?: IcebergTableOptimizers;
  public readonly deliveryStream: firehose.CfnDeliveryStream;
  /** The delivery stream's name: what writers put records to. */
  public readonly deliveryStreamName: string;
  public readonly deliveryStreamArn: string;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  public readonly format: OfflineFormat;
  /** The Firehose buffering interval. */
  public readonly bufferInterval: Duration;
  /**
   * Whether each record must carry the `dt`/`hour` partition values (`partitionValues` of its arrival time):
   * true with Iceberg, whose destination writes only the columns it gets.
   */
  public readonly writersAddPartitionFields: boolean;

  constructor(scope: Construct, id: string, props: OfflineDatasetProps) {
    super(scope, id);
    throwIfProblems(this, offlineDeliveryProblems(props));
    this.format = props.format ?? 'parquet';
    this.bufferInterval = props.bufferInterval ?? DEFAULT_BUFFER_INTERVAL;
    this.writersAddPartitionFields = this.format === 'iceberg';
    const bufferSeconds = this.bufferInterval.toSeconds();
    const bufferMiB = (props.bufferSize ?? DEFAULT_BUFFER_SIZE).toMebibytes();

    const stack = Stack.of(this);
    const databaseName = props.database.ref;
    const glueArn = (resource: string, resourceName?: string) =>
      stack.formatArn({ service: 'glue', resource, resourceName });
    const glueArns = [
      glueArn('catalog'),
      glueArn('database', databaseName),
      glueArn('table', `${databaseName}/${props.tableName}`),
    ];
    const location = `s3://${props.bucket.bucketName}/${props.prefix}/`;
    const errorPrefix = `errors/${props.prefix}/`;

    this.table =
      this.format === 'parquet' ? parquetTable(this, props, location) : icebergTable(this, props, location);
    this.table.node.addDependency(props.database);
    if (this.format === 'iceberg') {
      this.optimizers = new IcebergTableOptimizers(this, 'Optimizers', {
        table: this.table,
        databaseName,
        tableName: props.tableName,
        bucket: props.bucket,
        prefix: props.prefix,
        encryptionKey: props.encryptionKey,
      });
    }

    const delivery = firehoseToS3(this, {
      bucket: props.bucket,
      encryptionKey: props.encryptionKey,
      prefix: `${props.prefix}/`,
      errorPrefix,
      extraObjectActions: this.format === 'iceberg' ? ['s3:DeleteObject'] : [],
      description: `streamfeatures: Firehose into ${props.tableName}`,
      wildcardReason:
        'Firehose names its objects at delivery (date partitions, random suffixes): the grant is limited to the ' +
        "dataset's own prefix and its error prefix.",
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    this.role = delivery.role;
    this.logGroup = delivery.logGroup;
    const logging = delivery.logging;
    allow(
      this.role,
      this.format === 'parquet'
        ? ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions']
        : ['glue:GetDatabase', 'glue:GetTable', 'glue:UpdateTable'],
      glueArns,
    );

    const buffering = { intervalInSeconds: bufferSeconds, sizeInMBs: bufferMiB };
    const s3Encryption = { kmsEncryptionConfig: { awskmsKeyArn: props.encryptionKey.keyArn } };
    this.deliveryStream = new firehose.CfnDeliveryStream(this, 'DeliveryStream', {
      deliveryStreamType: 'DirectPut',
      deliveryStreamEncryptionConfigurationInput: {
        keyType: 'CUSTOMER_MANAGED_CMK',
        keyArn: props.encryptionKey.keyArn,
      },
      ...(this.format === 'parquet'
        ? {
            extendedS3DestinationConfiguration: {
              bucketArn: props.bucket.bucketArn,
              roleArn: this.role.roleArn,
              prefix: `${props.prefix}/dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/`,
              errorOutputPrefix: `${errorPrefix}!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/`,
              bufferingHints: buffering,
              compressionFormat: 'UNCOMPRESSED',
              encryptionConfiguration: s3Encryption,
              cloudWatchLoggingOptions: logging,
              dataFormatConversionConfiguration: {
                enabled: true,
                inputFormatConfiguration: { deserializer: { openXJsonSerDe: {} } },
                outputFormatConfiguration: { serializer: { parquetSerDe: { compression: 'SNAPPY' } } },
                schemaConfiguration: {
                  catalogId: stack.account,
                  region: stack.region,
                  databaseName,
                  tableName: props.tableName,
                  roleArn: this.role.roleArn,
                  versionId: 'LATEST',
                },
              },
            },
          }
        : {
            icebergDestinationConfiguration: {
              roleArn: this.role.roleArn,
              catalogConfiguration: { catalogArn: glueArn('catalog') },
              destinationTableConfigurationList: [
                {
                  destinationDatabaseName: databaseName,
                  destinationTableName: props.tableName,
                  s3ErrorOutputPrefix: errorPrefix,
                },
              ],
              appendOnly: true,
              bufferingHints: buffering,
              cloudWatchLoggingOptions: logging,
              retryOptions: { durationInSeconds: 300 },
              s3BackupMode: 'FailedDataOnly',
              s3Configuration: {
                bucketArn: props.bucket.bucketArn,
                roleArn: this.role.roleArn,
                errorOutputPrefix: errorPrefix,
                compressionFormat: 'UNCOMPRESSED',
                encryptionConfiguration: s3Encryption,
              },
            },
          }),
    });
    // Firehose checks its role and the table when the stream is created.
    this.deliveryStream.node.addDependency(this.role, this.table);
    this.deliveryStreamName = this.deliveryStream.ref;
    this.deliveryStreamArn = this.deliveryStream.attrArn;
  }

  /** Lets a writer put records: `firehose:PutRecord` and `PutRecordBatch` on this delivery stream only. */
  grantPutRecords(grantee: iam.IGrantable): iam.Grant {
    return allow(grantee, ['firehose:PutRecord', 'firehose:PutRecordBatch'], [this.deliveryStreamArn]);
  }

  /** A metric of this delivery stream (namespace AWS/Firehose). */
  metric(metricName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return firehoseMetric(this.deliveryStreamName, metricName, props);
  }
}
