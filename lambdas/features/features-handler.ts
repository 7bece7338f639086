/**
 * The features function: a batch of Kinesis records → the online store, with the records set aside written
 * to S3 and every record copied to the raw archive. Thin: the engine and the store do the work.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { FIREHOSE_LIMITS, type RecordStreamWriter } from '../../adapters/firehose/record-stream-writer.js';
import type { ApplyResult, OnlineStore } from '../../adapters/online-store/online-store.js';
import {
  jsonLinesText,
  rawArchiveLine,
  rejectionLine,
  sideOutputKey,
} from '../../adapters/side-outputs/layout.js';
import type { SideOutputWriter } from '../../adapters/side-outputs/side-output-writer.js';
import { compareSequenceNumbers, type InputRecord, type Rejection } from '../../core/index.js';
import { type ArchiveColumnValues, partitionValues } from '../../core/offline-schema.js';
import { decodeKinesisRecord, firstPerShard, groupByShard } from '../shared/kinesis-records.js';
import type { HandlerLogger, HandlerMetrics } from '../shared/observability.js';

export interface FeaturesHandlerDeps {
  readonly store: Pick<OnlineStore, 'applyBatch'>;
  /** Quarantine, late and oversize-archive objects. */
  readonly sideOutputs: SideOutputWriter;
  /** The raw archive (a Firehose delivery stream); none: no archive. */
  readonly rawArchive?: RecordStreamWriter | undefined;
  /** Reads the archive's typed spec columns from a record's body (compileArchiveColumns). @default - base columns only */
  readonly archiveColumns?: (body: unknown) => ArchiveColumnValues;
  /**
   * Whether each archive record carries `dt` and `hour` of its Kinesis arrival time (an Iceberg table partitions
   * on them). @default false - the S3 prefix Firehose writes carries them (Parquet)
   */
  readonly archivePartitionFields?: boolean;
  readonly prefixes: { readonly quarantine: string; readonly late: string; readonly rawOversize: string };
  readonly logger: HandlerLogger;
  readonly metrics: HandlerMetrics;
  /** @default Date.now */
  readonly now?: () => number;
}

export type FeaturesHandler = (
  event: KinesisStreamEvent,
  context?: Context,
) => Promise<KinesisStreamBatchResponse>;

/**
 * The handler over its dependencies. Per batch: apply the records to the online store (exactly once in
 * effect); write the invalid and future records to the quarantine and the late ones to the late output, one
 * object per shard and kind under a key the records decide (a retried batch replaces its objects); send every
 * record to the raw archive; answer with the records to retry (partial batch response).
 *
 * Records from a shard's `retryFrom` on are left for the retry: no side output, no archive, no metrics. When a
 * side output cannot be written, the whole batch is retried from its first record, so no side output is ever
 * lost (the store ignores what it already applied).
 */
export function createFeaturesHandler(deps: FeaturesHandlerDeps): FeaturesHandler {
  const now = deps.now ?? Date.now;
  return async (event, context) => {
    if (context) deps.logger.addContext(context);
    const records = event.Records.map(decodeKinesisRecord);
    if (records.length === 0) return { batchItemFailures: [] };
    try {
      return await processBatch(deps, now, records);
    } finally {
      deps.metrics.publishStoredMetrics();
    }
  };
}

async function processBatch(
  deps: FeaturesHandlerDeps,
  now: () => number,
  records: readonly InputRecord[],
): Promise<KinesisStreamBatchResponse> {
  const { logger, metrics } = deps;
  const batch = describeBatch(records);
  let result: ApplyResult;
  try {
    result = await deps.store.applyBatch(records);
  } catch (error) {
    metrics.addMetric('BatchRetries', MetricUnit.Count, 1);
    logger.error('the online store failed: the whole batch will come again', {
      ...batch,
      error: errorText(error),
    });
    throw error;
  }
  const writtenAt = now();

  const cut = new Map(result.retryFrom.map((record) => [record.shardId, record]));
  const done = records.filter((record) => isBefore(record, cut));
  let written: SideOutputSummary;
  try {
    written = await writeSideOutputs(deps, done, result.rejected);
  } catch (error) {
    const retryFrom = [...firstPerShard(records).values()];
    metrics.addMetric('BatchRetries', MetricUnit.Count, 1);
    metrics.addMetric('SideOutputErrors', MetricUnit.Count, 1);
    logger.error('a side output could not be written: the whole batch will come again', {
      ...batch,
      retryFrom: retryFrom.map((record) => record.sequenceNumber),
      error: errorText(error),
    });
    return failuresFrom(retryFrom);
  }

  const outcomes = {
    counted: result.counted.length,
    invalid: 0,
    future: 0,
    late: 0,
    duplicate: 0,
  };
  for (const rejection of result.rejected) outcomes[rejection.reason]++;
  // First, so the batch's last EMF document (published in the end) always holds the outcome counts: Powertools
  // publishes each full 100 values at once, and would warn of an empty store if they came last.
  const freshnessMs = emitEventFreshness(metrics, result.counted, writtenAt);
  metrics.addMetric('RecordsCounted', MetricUnit.Count, outcomes.counted);
  metrics.addMetric('RecordsInvalid', MetricUnit.Count, outcomes.invalid);
  metrics.addMetric('RecordsFuture', MetricUnit.Count, outcomes.future);
  metrics.addMetric('RecordsLate', MetricUnit.Count, outcomes.late);
  metrics.addMetric('RecordsDuplicate', MetricUnit.Count, outcomes.duplicate);
  if (result.retryFrom.length > 0) metrics.addMetric('BatchRetries', MetricUnit.Count, 1);

  const summary = {
    ...batch,
    ...outcomes,
    ...written,
    ...(freshnessMs === undefined ? {} : { freshnessMs }),
  };
  if (result.retryFrom.length === 0) logger.info('batch', summary);
  else {
    logger.warn('batch done in part: the rest will come again', {
      ...summary,
      retryFrom: result.retryFrom.map((record) => record.sequenceNumber),
      errors: result.errors.map(errorText),
    });
  }
  return failuresFrom(result.retryFrom);
}

/**
 * Per counted event, Kinesis arrival → the batch's store write completed, in ms: what a user waits before an
 * event shows in its features. One `EventFreshness` value per event, so CloudWatch's percentiles are over events,
 * not batches. EMF carries a metric's values as a plain array (no value/count form) and CloudWatch takes at most
 * 100 values of a metric per document: Powertools publishes a document each time a metric reaches 100 values,
 * so a batch of 10,000 events logs 100 lines of about 0.75 KB, about 7 bytes an event. Rounding the values into
 * value/count pairs would need PutMetricData, an API call per batch on the hot path. Returns the batch's oldest
 * (the largest value), for the summary line; none when nothing was counted.
 */
function emitEventFreshness(
  metrics: HandlerMetrics,
  counted: ApplyResult['counted'],
  writtenAt: number,
): number | undefined {
  let oldest: number | undefined;
  for (const event of counted) {
    const freshnessMs = Math.max(0, writtenAt - event.record.arrivalMs);
    metrics.addMetric('EventFreshness', MetricUnit.Milliseconds, freshnessMs);
    oldest = Math.max(oldest ?? 0, freshnessMs);
  }
  return oldest;
}

interface SideOutputSummary {
  /** Records set aside to the quarantine and late outputs. */
  readonly quarantined: number;
  readonly lateWritten: number;
  /** Records sent to the raw archive, and those too large for it (written to S3 instead). */
  readonly archived: number;
  readonly archiveOversize: number;
}

const encoder = new TextEncoder();

async function writeSideOutputs(
  deps: FeaturesHandlerDeps,
  done: readonly InputRecord[],
  rejected: readonly Rejection[],
): Promise<SideOutputSummary> {
  const { prefixes } = deps;
  const writes: Promise<unknown>[] = [];
  const toArchive: Uint8Array[] = [];
  let quarantined = 0;
  let lateWritten = 0;
  let archiveOversize = 0;
  const put = (prefix: string, range: Range, lines: readonly unknown[]) => {
    if (lines.length > 0)
      writes.push(deps.sideOutputs.put(sideOutputKey(prefix, range), jsonLinesText(lines)));
  };

  for (const [shardId, shardRecords] of groupByShard(done)) {
    const range = { first: shardRecords[0] as InputRecord, last: shardRecords.at(-1) as InputRecord };
    const shardRejections = rejected
      .filter((rejection) => rejection.record.shardId === shardId)
      .sort((a, b) => compareSequenceNumbers(a.record.sequenceNumber, b.record.sequenceNumber));
    const quarantine = shardRejections.filter((r) => r.reason === 'invalid' || r.reason === 'future');
    const late = shardRejections.filter((r) => r.reason === 'late');
    put(prefixes.quarantine, range, quarantine.map(rejectionLine));
    put(prefixes.late, range, late.map(rejectionLine));
    quarantined += quarantine.length;
    lateWritten += late.length;

    if (deps.rawArchive) {
      const oversize: unknown[] = [];
      for (const record of shardRecords) {
        const archived = rawArchiveLine(record, deps.archiveColumns);
        const line = deps.archivePartitionFields
          ? { ...archived, ...partitionValues(record.arrivalMs) }
          : archived;
        const bytes = encoder.encode(`${JSON.stringify(line)}\n`);
        if (bytes.byteLength <= FIREHOSE_LIMITS.maxRecordBytes) toArchive.push(bytes);
        else oversize.push(line);
      }
      put(prefixes.rawOversize, range, oversize);
      archiveOversize += oversize.length;
    }
  }
  if (deps.rawArchive && toArchive.length > 0) writes.push(deps.rawArchive.put(toArchive));

  const failed = (await Promise.allSettled(writes)).filter(
    (settled): settled is PromiseRejectedResult => settled.status === 'rejected',
  );
  if (failed.length === 1) throw (failed[0] as PromiseRejectedResult).reason;
  if (failed.length > 1) {
    throw new AggregateError(
      failed.map((f) => f.reason),
      `${failed.length} side-output writes failed: ${failed.map((f) => errorText(f.reason)).join('; ')}`,
    );
  }
  return { quarantined, lateWritten, archived: toArchive.length, archiveOversize };
}

type Range = { readonly first: InputRecord; readonly last: InputRecord };

/** Shard, first and last sequence number, record count: what the batch summary line names. */
function describeBatch(records: readonly InputRecord[]) {
  const shards = [...new Set(records.map((record) => record.shardId))];
  return {
    shardId: shards.length === 1 ? shards[0] : shards.join(','),
    firstSequenceNumber: records[0]?.sequenceNumber,
    lastSequenceNumber: records.at(-1)?.sequenceNumber,
    records: records.length,
  };
}

function isBefore(record: InputRecord, cut: ReadonlyMap<string, InputRecord>): boolean {
  const first = cut.get(record.shardId);
  return !first || compareSequenceNumbers(record.sequenceNumber, first.sequenceNumber) < 0;
}

function failuresFrom(records: readonly InputRecord[]): KinesisStreamBatchResponse {
  return { batchItemFailures: records.map((record) => ({ itemIdentifier: record.sequenceNumber })) };
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
