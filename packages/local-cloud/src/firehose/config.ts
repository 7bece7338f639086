/** A delivery stream's destination configuration, validated and compiled from its API or template form. */

import type { SchemaElement } from 'hyparquet-writer';
import { invalidArgument } from './errors.js';
import type { HiveField } from './glue-columns.js';
import type { IcebergTarget } from './iceberg-config.js';
import { type CompiledPrefix, compilePrefix, zoneFormat } from './key-layout.js';
import { parquetSchema, type SerDeOptions } from './parquet.js';
import { describe, enabled, type Json, numberAt, objectAt, stringAt } from './values.js';

export const MIB = 1024 * 1024;

/** What a stream's configuration is read against: the registered Glue tables and the account. */
export interface ConfigContext {
  readonly glueTables: ReadonlyMap<string, HiveField[]>;
  readonly accountId: string;
  readonly region: string;
}

export interface Conversion {
  readonly columns: readonly HiveField[];
  readonly schema: SchemaElement[];
  readonly codec: 'SNAPPY' | 'GZIP' | 'UNCOMPRESSED';
  readonly pageSize: number | undefined;
  readonly serde: SerDeOptions;
  readonly table: Readonly<Record<string, string>>;
}

export interface StreamConfig {
  readonly bucket: string;
  readonly prefixText: string;
  readonly prefix: CompiledPrefix;
  readonly errorPrefix: CompiledPrefix | undefined;
  readonly sizeBytes: number;
  readonly intervalMs: number;
  readonly compression: 'UNCOMPRESSED' | 'GZIP';
  readonly conversion: Conversion | undefined;
  readonly appendDelimiter: boolean;
  readonly extension: string;
  readonly timeZone: string;
  /** The destination as DescribeDeliveryStream echoes it. */
  readonly description: Record<string, unknown>;
  /** With IcebergDestinationConfiguration: the table its records are appended to (iceberg-config.ts). */
  readonly iceberg?: IcebergTarget;
}

function bucketOf(arn: string | undefined): string {
  const match = /^arn:[^:]+:s3:::([^/]+)$/.exec(arn ?? '');
  if (!match)
    throw invalidArgument(
      `BucketARN must be an S3 bucket ARN like arn:aws:s3:::my-bucket (got ${describe(arn)})`,
    );
  return match[1] as string;
}

export function streamConfig(d: Json, extended: boolean, context: ConfigContext): StreamConfig {
  const bucket = bucketOf(stringAt(d.BucketARN, 'BucketARN'));
  const prefixText = stringAt(d.Prefix, 'Prefix') ?? '';
  const errorText = stringAt(d.ErrorOutputPrefix, 'ErrorOutputPrefix') ?? '';
  const prefix = compilePrefix(prefixText, 'Prefix');
  const errorPrefix = errorText === '' ? undefined : compilePrefix(errorText, 'ErrorOutputPrefix');
  if (prefix.hasExpressions && errorPrefix === undefined) {
    throw invalidArgument('ErrorOutputPrefix cannot be null or empty when Prefix contains expressions.');
  }
  const timeZone = stringAt(d.CustomTimeZone, 'CustomTimeZone') ?? 'UTC';
  if (timeZone !== 'UTC') {
    try {
      zoneFormat(timeZone);
    } catch {
      throw invalidArgument(`CustomTimeZone ${JSON.stringify(timeZone)} is not a time zone.`);
    }
  }

  const formatConfig = extended
    ? objectAt(d.DataFormatConversionConfiguration, 'DataFormatConversionConfiguration')
    : undefined;
  const converting =
    formatConfig !== undefined && formatConfig.Enabled !== false && formatConfig.Enabled !== 'false';
  const hints = objectAt(d.BufferingHints, 'BufferingHints');
  const sizeMiB = numberAt(hints?.SizeInMBs, 'BufferingHints.SizeInMBs', 1, 128) ?? (converting ? 128 : 5);
  const intervalSeconds =
    numberAt(hints?.IntervalInSeconds, 'BufferingHints.IntervalInSeconds', 0, 900) ?? 300;
  if (converting && sizeMiB < 64) {
    throw invalidArgument(
      `BufferingHints.SizeInMBs must be at least 64 when data format conversion is enabled (got ${sizeMiB}).`,
    );
  }
  const compression = stringAt(d.CompressionFormat, 'CompressionFormat') ?? 'UNCOMPRESSED';
  if (converting && compression !== 'UNCOMPRESSED') {
    throw invalidArgument('CompressionFormat must be UNCOMPRESSED when data format conversion is enabled.');
  }
  if (compression !== 'UNCOMPRESSED' && compression !== 'GZIP') {
    throw invalidArgument(
      `CompressionFormat ${compression}: the local Firehose writes UNCOMPRESSED or GZIP objects only.`,
    );
  }

  let appendDelimiter = false;
  const processing = extended ? objectAt(d.ProcessingConfiguration, 'ProcessingConfiguration') : undefined;
  if (processing && enabled(processing.Enabled ?? true)) {
    for (const processor of (processing.Processors as Json[] | undefined) ?? []) {
      if (processor.Type === 'AppendDelimiterToRecord') appendDelimiter = true;
      else {
        throw invalidArgument(
          `ProcessingConfiguration: processor ${describe(processor.Type)} is not emulated locally (only AppendDelimiterToRecord).`,
        );
      }
    }
  }
  if (extended && objectAt(d.DynamicPartitioningConfiguration, 'DynamicPartitioningConfiguration')?.Enabled) {
    throw invalidArgument('DynamicPartitioningConfiguration: dynamic partitioning is not emulated locally.');
  }

  const conversion = converting ? conversionOf(formatConfig as Json, context) : undefined;
  const customExtension = extended ? stringAt(d.FileExtension, 'FileExtension') : undefined;
  const extension = customExtension ?? (conversion ? '.parquet' : compression === 'GZIP' ? '.gz' : '');
  const description: Json = {
    BucketARN: d.BucketARN,
    Prefix: prefixText,
    ErrorOutputPrefix: errorText,
    BufferingHints: { SizeInMBs: sizeMiB, IntervalInSeconds: intervalSeconds },
    CompressionFormat: compression,
    EncryptionConfiguration: d.EncryptionConfiguration ?? { NoEncryptionConfig: 'NoEncryption' },
    CloudWatchLoggingOptions: d.CloudWatchLoggingOptions ?? { Enabled: false },
    ...(d.RoleARN === undefined ? {} : { RoleARN: d.RoleARN }),
    ...(extended
      ? {
          S3BackupMode: d.S3BackupMode ?? 'Disabled',
          ...(processing ? { ProcessingConfiguration: processing } : {}),
          ...(formatConfig ? { DataFormatConversionConfiguration: formatConfig } : {}),
          ...(customExtension === undefined ? {} : { FileExtension: customExtension }),
          ...(d.CustomTimeZone === undefined ? {} : { CustomTimeZone: d.CustomTimeZone }),
        }
      : {}),
  };
  return {
    bucket,
    prefixText,
    prefix,
    errorPrefix,
    sizeBytes: sizeMiB * MIB,
    intervalMs: intervalSeconds * 1000,
    compression,
    conversion,
    appendDelimiter,
    extension,
    timeZone,
    description,
  };
}

function conversionOf(format: Json, context: ConfigContext): Conversion {
  const schema = objectAt(format.SchemaConfiguration, 'SchemaConfiguration');
  const databaseName = stringAt(schema?.DatabaseName, 'SchemaConfiguration.DatabaseName');
  const tableName = stringAt(schema?.TableName, 'SchemaConfiguration.TableName');
  if (!schema || !databaseName || !tableName) {
    throw invalidArgument(
      'DataFormatConversionConfiguration needs a SchemaConfiguration naming a Glue table.',
    );
  }
  const columns = context.glueTables.get(`${databaseName}.${tableName}`.toLowerCase());
  if (!columns) {
    throw invalidArgument(
      `Glue table ${databaseName}.${tableName} is unknown to the local Firehose: register its columns first ` +
        '(registerGlueTable, or createFromTemplate with the Glue columns).',
    );
  }
  const deserializer = objectAt(
    objectAt(format.InputFormatConfiguration, 'InputFormatConfiguration')?.Deserializer,
    'Deserializer',
  );
  const openX = objectAt(deserializer?.OpenXJsonSerDe, 'OpenXJsonSerDe');
  const hive = objectAt(deserializer?.HiveJsonSerDe, 'HiveJsonSerDe');
  if (!openX && !hive) {
    throw invalidArgument('InputFormatConfiguration.Deserializer needs OpenXJsonSerDe or HiveJsonSerDe.');
  }
  const serializer = objectAt(
    objectAt(format.OutputFormatConfiguration, 'OutputFormatConfiguration')?.Serializer,
    'Serializer',
  );
  const parquet = objectAt(serializer?.ParquetSerDe, 'ParquetSerDe');
  if (!parquet) {
    throw invalidArgument(
      'OutputFormatConfiguration: the local Firehose writes Parquet only (ParquetSerDe).',
    );
  }
  const codec = stringAt(parquet.Compression, 'ParquetSerDe.Compression') ?? 'SNAPPY';
  if (codec !== 'SNAPPY' && codec !== 'GZIP' && codec !== 'UNCOMPRESSED') {
    throw invalidArgument(
      `ParquetSerDe.Compression ${codec}: the local Firehose writes SNAPPY, GZIP or UNCOMPRESSED.`,
    );
  }
  const mappings = objectAt(openX?.ColumnToJsonKeyMappings, 'ColumnToJsonKeyMappings') ?? {};
  return {
    columns,
    schema: parquetSchema(columns),
    codec,
    pageSize: numberAt(parquet.PageSizeBytes, 'ParquetSerDe.PageSizeBytes', 65_536, 2 ** 31 - 1),
    serde: {
      caseInsensitive: openX ? openX.CaseInsensitive !== false && openX.CaseInsensitive !== 'false' : true,
      dotsToUnderscores: openX ? enabled(openX.ConvertDotsInJsonKeysToUnderscores) : false,
      keyMappings: new Map(Object.entries(mappings).map(([column, key]) => [column, String(key)])),
    },
    table: {
      catalogId: String(schema.CatalogId ?? context.accountId),
      databaseName,
      tableName,
      region: String(schema.Region ?? context.region),
      versionId: String(schema.VersionId ?? 'LATEST'),
      catalogArn: `arn:aws:glue:${String(schema.Region ?? context.region)}:${String(schema.CatalogId ?? context.accountId)}:catalog`,
    },
  };
}

// -------------------------------------------------------------------------------------------------------
// Buffering and delivery
