/**
 * A stream's `IcebergDestinationConfiguration`, validated as Firehose validates it (naming the bad value) and
 * compiled into a StreamConfig whose `iceberg` part names the Glue table it appends to. The S3Configuration is
 * where records that fail go (the table's S3ErrorOutputPrefix, else the S3Configuration's ErrorOutputPrefix).
 */

import type { StreamConfig } from './config.js';
import { MIB } from './config.js';
import { invalidArgument } from './errors.js';
import { compilePrefix } from './key-layout.js';
import { describe, enabled, type Json, numberAt, objectAt, stringAt } from './values.js';

/** Firehose's Iceberg buffering: 1 to 128 MiB (default 128), 0 to 900 s (default 300). */
const ICEBERG_BUFFER = { minMiB: 1, maxMiB: 128, defaultMiB: 128, maxSeconds: 900, defaultSeconds: 300 };
/** RetryOptions.DurationInSeconds: 0 to 7200, default 300 (API reference). */
const DEFAULT_RETRY_SECONDS = 300;
/** The name pattern of DestinationDatabaseName and DestinationTableName (API reference). */
const CATALOG_NAME = /^[a-zA-Z0-9._]{1,255}$/;
const CATALOG_ARN = /^arn:[^:]+:glue:[^:]*:\d{12}:catalog$/;

export interface IcebergTarget {
  readonly databaseName: string;
  readonly tableName: string;
  readonly catalogArn: string;
  readonly appendOnly: boolean;
  /** How long a failed delivery is tried again before its records go to the error output (RetryOptions). */
  readonly retryMs: number;
}

function bucketOf(arn: string | undefined, where: string): string {
  const match = /^arn:[^:]+:s3:::([^/]+)$/.exec(arn ?? '');
  if (!match) {
    throw invalidArgument(
      `${where} must be an S3 bucket ARN like arn:aws:s3:::my-bucket (got ${describe(arn)})`,
    );
  }
  return match[1] as string;
}

export function icebergStreamConfig(d: Json): StreamConfig {
  const roleArn = stringAt(d.RoleARN, 'IcebergDestinationConfiguration.RoleARN');
  if (roleArn === undefined) throw invalidArgument('IcebergDestinationConfiguration.RoleARN is required.');
  const catalog = objectAt(d.CatalogConfiguration, 'CatalogConfiguration');
  // The API spells it CatalogARN; CloudFormation's AWS::KinesisFirehose::DeliveryStream, CatalogArn.
  const catalogArn = stringAt(catalog?.CatalogARN ?? catalog?.CatalogArn, 'CatalogConfiguration.CatalogARN');
  if (catalogArn === undefined || !CATALOG_ARN.test(catalogArn)) {
    throw invalidArgument(
      `CatalogConfiguration.CatalogARN must be a Glue Data Catalog ARN like arn:aws:glue:us-east-1:123456789012:catalog (got ${describe(catalogArn)}); the local Firehose writes to the local Glue catalog only.`,
    );
  }
  const s3 = objectAt(d.S3Configuration, 'S3Configuration');
  if (s3 === undefined) throw invalidArgument('IcebergDestinationConfiguration.S3Configuration is required.');
  const bucket = bucketOf(stringAt(s3.BucketARN, 'S3Configuration.BucketARN'), 'S3Configuration.BucketARN');
  const s3ErrorPrefix = stringAt(s3.ErrorOutputPrefix, 'S3Configuration.ErrorOutputPrefix');

  const list = d.DestinationTableConfigurationList;
  if (!Array.isArray(list) || list.length !== 1) {
    throw invalidArgument(
      `DestinationTableConfigurationList: the local Firehose writes to exactly one table, without routing (got ${Array.isArray(list) ? `${list.length} tables` : describe(list)}).`,
    );
  }
  const table = objectAt(list[0], 'DestinationTableConfigurationList.1') as Json;
  const databaseName = stringAt(table.DestinationDatabaseName, 'DestinationDatabaseName');
  const tableName = stringAt(table.DestinationTableName, 'DestinationTableName');
  for (const [what, value] of [
    ['DestinationDatabaseName', databaseName],
    ['DestinationTableName', tableName],
  ] as const) {
    if (value === undefined || !CATALOG_NAME.test(value)) {
      throw invalidArgument(`${what} ${describe(value)} must match [a-zA-Z0-9._]+ (1 to 255 characters).`);
    }
  }
  if (Array.isArray(table.UniqueKeys) && table.UniqueKeys.length > 0) {
    throw invalidArgument(
      'DestinationTableConfiguration.UniqueKeys: updates and deletes are not emulated locally (append only).',
    );
  }
  const errorText = stringAt(table.S3ErrorOutputPrefix, 'S3ErrorOutputPrefix') ?? s3ErrorPrefix ?? '';

  const hints = objectAt(d.BufferingHints, 'BufferingHints');
  const sizeMiB =
    numberAt(hints?.SizeInMBs, 'BufferingHints.SizeInMBs', ICEBERG_BUFFER.minMiB, ICEBERG_BUFFER.maxMiB) ??
    ICEBERG_BUFFER.defaultMiB;
  const intervalSeconds =
    numberAt(hints?.IntervalInSeconds, 'BufferingHints.IntervalInSeconds', 0, ICEBERG_BUFFER.maxSeconds) ??
    ICEBERG_BUFFER.defaultSeconds;
  const processing = objectAt(d.ProcessingConfiguration, 'ProcessingConfiguration');
  if (processing && enabled(processing.Enabled ?? true) && Array.isArray(processing.Processors)) {
    if (processing.Processors.length > 0) {
      throw invalidArgument(
        `ProcessingConfiguration: processor ${describe((processing.Processors[0] as Json).Type)} is not emulated for the Iceberg destination.`,
      );
    }
  }
  // CloudFormation spells this one property s3BackupMode (lower-case s) in IcebergDestinationConfiguration.
  const backupMode = stringAt(d.S3BackupMode ?? d.s3BackupMode, 'S3BackupMode') ?? 'FailedDataOnly';
  if (backupMode !== 'FailedDataOnly' && backupMode !== 'AllData') {
    throw invalidArgument(`S3BackupMode ${describe(backupMode)} must be FailedDataOnly or AllData.`);
  }
  if (backupMode === 'AllData') {
    throw invalidArgument('S3BackupMode AllData: the local Firehose backs up failed data only.');
  }
  const appendOnly = enabled(d.AppendOnly);
  const retry = objectAt(d.RetryOptions, 'RetryOptions');
  const retrySeconds =
    numberAt(retry?.DurationInSeconds, 'RetryOptions.DurationInSeconds', 0, 7200) ?? DEFAULT_RETRY_SECONDS;

  const description: Json = {
    RoleARN: roleArn,
    CatalogConfiguration: { CatalogARN: catalogArn },
    DestinationTableConfigurationList: [
      {
        DestinationDatabaseName: databaseName,
        DestinationTableName: tableName,
        ...(table.S3ErrorOutputPrefix === undefined
          ? {}
          : { S3ErrorOutputPrefix: table.S3ErrorOutputPrefix }),
      },
    ],
    BufferingHints: { SizeInMBs: sizeMiB, IntervalInSeconds: intervalSeconds },
    CloudWatchLoggingOptions: d.CloudWatchLoggingOptions ?? { Enabled: false },
    RetryOptions: { DurationInSeconds: retrySeconds },
    S3BackupMode: backupMode,
    AppendOnly: appendOnly,
    ...(processing ? { ProcessingConfiguration: processing } : {}),
    S3DestinationDescription: {
      RoleARN: s3.RoleARN ?? roleArn,
      BucketARN: s3.BucketARN,
      Prefix: '',
      ErrorOutputPrefix: s3ErrorPrefix ?? '',
      BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 300 },
      CompressionFormat: s3.CompressionFormat ?? 'UNCOMPRESSED',
      EncryptionConfiguration: s3.EncryptionConfiguration ?? { NoEncryptionConfig: 'NoEncryption' },
    },
  };
  return {
    bucket,
    prefixText: '',
    prefix: compilePrefix('', 'Prefix'),
    errorPrefix: errorText === '' ? undefined : compilePrefix(errorText, 'ErrorOutputPrefix'),
    sizeBytes: sizeMiB * MIB,
    intervalMs: intervalSeconds * 1000,
    compression: 'UNCOMPRESSED',
    conversion: undefined,
    appendDelimiter: false,
    extension: '',
    timeZone: 'UTC',
    description,
    iceberg: {
      databaseName: databaseName as string,
      tableName: tableName as string,
      catalogArn,
      appendOnly,
      retryMs: retrySeconds * 1000,
    },
  };
}
