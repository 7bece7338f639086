/**
 * Lambda's `IteratorAge` for a stream mapping, as AWS defines it: for each batch the mapping sends to the
 * function, the age of the last record of the batch at that moment (now minus the record's arrival in the
 * stream), in milliseconds. Published to `AWS/Lambda` with the dimension `FunctionName` (the dimension AWS's
 * Lambda function metrics carry for an unqualified function; the `EventSourceMappingUUID` dimension is AWS's
 * for the opt-in event-count metrics of a mapping, not for IteratorAge).
 */

import type { ServiceMetrics } from '../cloudwatch/service-metrics.js';
import type { KinesisEvent } from './kinesis-event.js';

/** The age (ms) of the batch's last record at `nowMs`; undefined for an empty batch. Never negative. */
export function iteratorAgeMs(event: KinesisEvent, nowMs: number): number | undefined {
  const last = event.Records.at(-1);
  if (last === undefined) return undefined;
  return Math.max(0, Math.round(nowMs - last.kinesis.approximateArrivalTimestamp * 1000));
}

/** Publishes the batch's IteratorAge for the function of `functionArn` (its name is the last ARN part). */
export function publishIteratorAge(
  metrics: ServiceMetrics,
  functionArn: string,
  event: KinesisEvent,
  nowMs: number = Date.now(),
): void {
  const age = iteratorAgeMs(event, nowMs);
  if (age === undefined) return;
  const functionName = /function:([^:]+)/.exec(functionArn)?.[1] ?? functionArn;
  metrics.put(
    'AWS/Lambda',
    'IteratorAge',
    [{ Name: 'FunctionName', Value: functionName }],
    age,
    'Milliseconds',
    nowMs,
  );
}
