/**
 * The labels-stream function: a batch of Kinesis records, one delayed label each (the monitor's line format,
 * core/monitoring/delayed-labels.ts), checked with the same rules as `POST /labels` (./label-check.ts). The good
 * ones go, one JSON line each, to the Firehose delivery stream that writes them under the offline bucket's
 * `labels/stream/`; the others are set aside in the side-output bucket with their reason, one object per shard
 * and batch under a key the records decide (a retried batch replaces its object). Nothing is dropped.
 *
 * The quarantine is written before anything is delivered; when either write fails, the whole batch is reported
 * failed from its first record per shard (partial batch response), so the mapping retries it, bisecting, and in
 * the end sends it to the on-failure destination. Firehose is at least once: a batch retried after a delivery that
 * took some of its labels delivers those again (the monitor's label join counts a repeat as a duplicate).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { RecordStreamWriter } from '../../adapters/firehose/record-stream-writer.js';
import {
  jsonLinesText,
  payloadOf,
  rejectionLine,
  sideOutputKey,
} from '../../adapters/side-outputs/layout.js';
import type { SideOutputWriter } from '../../adapters/side-outputs/side-output-writer.js';
import type { CompiledSpec, InputRecord, Rejection } from '../../core/index.js';
import { decodeKinesisRecord, firstPerShard, groupByShard } from '../shared/kinesis-records.js';
import type { HandlerLogger, HandlerMetrics } from '../shared/observability.js';
import { checkedLabel, parsedJson } from './label-check.js';

export interface LabelsStreamHandlerDeps {
  readonly spec: CompiledSpec;
  /** Delivers every record or throws. */
  readonly delivery: RecordStreamWriter;
  /** Where records that are not labels are set aside. */
  readonly sideOutputs: SideOutputWriter;
  /** Their key prefix in the side-output bucket. */
  readonly quarantinePrefix: string;
  readonly logger: HandlerLogger;
  readonly metrics: HandlerMetrics;
}

export type LabelsStreamHandler = (
  event: KinesisStreamEvent,
  context?: Context,
) => Promise<KinesisStreamBatchResponse>;

/** A batch's records sorted: the labels to deliver, in order, and the records set aside with their reason. */
export interface SortedLabels {
  readonly labels: Uint8Array[];
  readonly quarantined: Rejection[];
}

/**
 * Each record read as one label: its payload must be one JSON object (UTF-8) that passes the labels' rules.
 * A record that is not is set aside as `invalid`, rule `not-json` or `label`, with a message naming the bad value.
 */
export function sortLabels(spec: CompiledSpec, records: readonly InputRecord[]): SortedLabels {
  const labels: Uint8Array[] = [];
  const quarantined: Rejection[] = [];
  for (const record of records) {
    const payload = payloadOf(record.data);
    const json = payload.base64
      ? { problem: 'not JSON (the payload is not UTF-8 text)' }
      : parsedJson(payload.text);
    if ('problem' in json) {
      quarantined.push({ record, reason: 'invalid', rule: 'not-json', message: json.problem });
      continue;
    }
    const checked = checkedLabel(spec, json.value);
    if ('reason' in checked) {
      quarantined.push({ record, reason: 'invalid', rule: 'label', message: checked.reason });
    } else labels.push(checked.record);
  }
  return { labels, quarantined };
}

export function createLabelsStreamHandler(deps: LabelsStreamHandlerDeps): LabelsStreamHandler {
  return async (event, context) => {
    if (context) deps.logger.addContext(context);
    const records = event.Records.map(decodeKinesisRecord);
    if (records.length === 0) return { batchItemFailures: [] };
    try {
      return await processBatch(deps, records);
    } finally {
      deps.metrics.publishStoredMetrics();
    }
  };
}

async function processBatch(
  deps: LabelsStreamHandlerDeps,
  records: readonly InputRecord[],
): Promise<KinesisStreamBatchResponse> {
  const { logger, metrics } = deps;
  const { labels, quarantined } = sortLabels(deps.spec, records);
  const batch = { records: records.length, labels: labels.length, quarantined: quarantined.length };
  try {
    await writeQuarantine(deps, records, quarantined);
    const put = await deps.delivery.put(labels);
    if (put.retriedEntries > 0) metrics.addMetric('LabelRetries', MetricUnit.Count, put.retriedEntries);
  } catch (error) {
    const retryFrom = [...firstPerShard(records).values()];
    metrics.addMetric('LabelErrors', MetricUnit.Count, 1);
    logger.error('labels not delivered or not set aside: the whole batch will come again', {
      ...batch,
      retryFrom: retryFrom.map((record) => record.sequenceNumber),
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
    return { batchItemFailures: retryFrom.map((record) => ({ itemIdentifier: record.sequenceNumber })) };
  }
  metrics.addMetric('LabelsAccepted', MetricUnit.Count, labels.length);
  metrics.addMetric('LabelsQuarantined', MetricUnit.Count, quarantined.length);
  if (quarantined.length > 0) {
    logger.warn('labels set aside', {
      ...batch,
      reasons: quarantined.slice(0, 10).map((r) => `${r.record.sequenceNumber}: ${r.message}`),
    });
  } else logger.info('batch', batch);
  return { batchItemFailures: [] };
}

/** One object per shard with its set-aside records, keyed by the shard's first and last record of the batch. */
async function writeQuarantine(
  deps: LabelsStreamHandlerDeps,
  records: readonly InputRecord[],
  quarantined: readonly Rejection[],
): Promise<void> {
  if (quarantined.length === 0) return;
  const writes: Promise<void>[] = [];
  for (const [shardId, shardRecords] of groupByShard(records)) {
    const lines = quarantined.filter((r) => r.record.shardId === shardId).map(rejectionLine);
    if (lines.length === 0) continue;
    const range = { first: shardRecords[0] as InputRecord, last: shardRecords.at(-1) as InputRecord };
    writes.push(deps.sideOutputs.put(sideOutputKey(deps.quarantinePrefix, range), jsonLinesText(lines)));
  }
  await Promise.all(writes);
}
