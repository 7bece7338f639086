import * as z from 'zod/mini';
import { type Env, keyPrefix, oneOf, optional, readEnv, required } from '../shared/config.js';

const schema = z.object({
  TABLE_NAME: required('the online-store table name'),
  SIDE_OUTPUT_BUCKET: required('the S3 bucket for quarantine and late records'),
  QUARANTINE_PREFIX: keyPrefix('quarantine/'),
  LATE_PREFIX: keyPrefix('late/'),
  RAW_ARCHIVE_STREAM: optional(),
  RAW_ARCHIVE_RECORDS: oneOf(['packed', 'one-per-line'], 'one-per-line'),
  RAW_ARCHIVE_PARTITION_FIELDS: oneOf(['none', 'dt-hour'], 'none'),
  RAW_OVERSIZE_PREFIX: keyPrefix('raw-oversize/'),
});

export interface FeaturesConfig {
  readonly tableName: string;
  readonly sideOutputBucket: string;
  readonly quarantinePrefix: string;
  readonly latePrefix: string;
  /** Firehose delivery stream for the raw archive; none: no archive. */
  readonly rawArchiveStream: string | undefined;
  /**
   * `packed`: many JSON lines per Firehose record (a destination with format conversion reads them all);
   * `one-per-line`: one record per line (an Iceberg destination reads one JSON document a record).
   */
  readonly rawArchiveRecords: 'packed' | 'one-per-line';
  /**
   * `dt-hour`: each archive record carries `dt` and `hour` of its arrival time (an Iceberg table partitions on
   * them); `none`: the S3 prefix Firehose writes carries them (Parquet).
   */
  readonly rawArchivePartitionFields: 'none' | 'dt-hour';
  /** Where archive records too large for Firehose go, in the side-output bucket. */
  readonly rawOversizePrefix: string;
}

export function readFeaturesConfig(env: Env): FeaturesConfig {
  const c = readEnv(schema, env, 'features');
  return {
    tableName: c.TABLE_NAME,
    sideOutputBucket: c.SIDE_OUTPUT_BUCKET,
    quarantinePrefix: c.QUARANTINE_PREFIX,
    latePrefix: c.LATE_PREFIX,
    rawArchiveStream: c.RAW_ARCHIVE_STREAM,
    rawArchiveRecords: c.RAW_ARCHIVE_RECORDS,
    rawArchivePartitionFields: c.RAW_ARCHIVE_PARTITION_FIELDS,
    rawOversizePrefix: c.RAW_OVERSIZE_PREFIX,
  };
}
