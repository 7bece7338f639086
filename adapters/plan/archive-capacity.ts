/**
 * The offline store: Firehose (the features function packs its batch's lines into records of up to 1,000 KiB,
 * billed in 5 KB steps, converted to Parquet) and the S3 archive it grows.
 */
import { ASSUMPTIONS, DEFAULT_ARCHIVE_DAYS, LIMITS } from './assumptions.js';
import type { FeaturesFunctionLoad } from './lambda-capacity.js';
import type { PlanContext } from './plan-inputs.js';
import { fmt } from './plan-sheet.js';
import { HOURS_PER_MONTH, SECONDS_PER_MONTH } from './prices.js';

export function planFirehose(c: PlanContext, load: FeaturesFunctionLoad): void {
  const { sheet, recordBytes } = c;
  const N = c.eventsPerSecond;
  const batchEvents = load.perShard / load.invocationsPerShard;
  const batchBytes = batchEvents * (recordBytes + 1);
  const recordsPerBatch = Math.max(1, Math.ceil(batchBytes / LIMITS.firehoseMaxRecordBytes));
  const firehoseRecords = sheet.need(
    'Firehose',
    'records (packed)',
    load.invocations * recordsPerBatch,
    'per second',
    `${fmt(load.invocations)} invocations/s x ceil(${fmt(batchEvents)} events x ${recordBytes + 1} B / 1,000 KiB)`,
  );
  const packedBytes = batchBytes / recordsPerBatch;
  const billedRecordBytes =
    Math.ceil(packedBytes / LIMITS.firehoseBillingIncrementBytes) * LIMITS.firehoseBillingIncrementBytes;
  const firehoseGb = sheet.need(
    'Firehose',
    'GB ingested (billed)',
    (firehoseRecords * billedRecordBytes * SECONDS_PER_MONTH) / 2 ** 30,
    'per month',
    `${fmt(firehoseRecords)} records/s x ${fmt(billedRecordBytes)} B (rounded up to 5 KB) x ${fmt(SECONDS_PER_MONTH)} s / 2^30`,
  );
  const firehoseRate = N * (recordBytes + 1);
  sheet.need(
    'Firehose',
    'throughput',
    firehoseRate / 2 ** 20,
    'MiB/s',
    `${fmt(N)} x ${recordBytes + 1} B; the Direct PUT default quota in us-east-1 is 5 MiB/s (raise it on request)`,
  );
  if (firehoseRate > LIMITS.firehoseBytesPerSecondQuota)
    sheet.warnings.push(
      `Firehose takes ${fmt(firehoseRate / 2 ** 20)} MiB/s, above its default 5 MiB/s quota: ask for a raise first`,
    );
  sheet.cost('Firehose', 'ingestion', firehoseGb, 'firehoseGbIngested', 'both', 'GB ingested');
  sheet.cost(
    'Firehose',
    'format conversion to Parquet',
    firehoseGb,
    'firehoseFormatConversionGb',
    'both',
    'GB ingested',
  );
}

export function planArchive(c: PlanContext): void {
  const { sheet, recordBytes } = c;
  const N = c.eventsPerSecond;
  const archiveDays = c.input.archiveDays ?? DEFAULT_ARCHIVE_DAYS;
  const s3GbPerMonth = sheet.need(
    'S3',
    'archive growth',
    ((N * (recordBytes + 1) * SECONDS_PER_MONTH) / 2 ** 30) * ASSUMPTIONS.parquetBytesPerJsonByte,
    'GB per month',
    `${fmt(N)} x ${recordBytes + 1} B x ${fmt(SECONDS_PER_MONTH)} s / 2^30 x ${ASSUMPTIONS.parquetBytesPerJsonByte} Parquet/JSON`,
  );
  const s3Stored = sheet.need(
    'S3',
    `archive stored after ${archiveDays} days`,
    (s3GbPerMonth * archiveDays * 24) / HOURS_PER_MONTH,
    'GB',
    `${fmt(s3GbPerMonth)} GB/month x ${archiveDays} days`,
  );
  sheet.assumptions.push(
    `Parquet is ${ASSUMPTIONS.parquetBytesPerJsonByte} of the JSON bytes; the archive is kept ${archiveDays} days ` +
      '(--window-days); S3 request charges (a few PUTs a minute per Firehose buffer) left out',
  );
  sheet.cost(
    'S3',
    `archive storage after ${archiveDays} days`,
    s3Stored,
    's3StandardGbMonth',
    'both',
    `${fmt(s3Stored)} GB`,
  );
}
