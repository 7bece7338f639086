/**
 * What happens to a batch after an invocation: partial batch responses (ReportBatchItemFailures), bisection on
 * a function error, MaximumRetryAttempts with backoff, MaximumRecordAgeInSeconds; discarded records go to the
 * on-failure destination.
 */

import { randomUUID } from 'node:crypto';
import type { InvokeOutcome } from '../lambda-runtime.js';
import { errorText } from './errors.js';
import {
  type DiscardContext,
  discard as discardRecords,
  type StreamInvocationRecord,
} from './failure-destination.js';
import { eventOf, type KinesisEvent } from './kinesis-event.js';
import type { MappingCounters, Rec, ShardState } from './types.js';

/** The mapping's retry settings and what running a batch needs. */
export interface RetryPolicy {
  /** -1: no limit. */
  maxAgeMs: number;
  /** -1: until the records expire. */
  maxRetries: number;
  bisect: boolean;
  partialResponses: boolean;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  counters: MappingCounters;
  discard: DiscardContext;
  signal: AbortSignal;
  invoke(event: KinesisEvent): Promise<InvokeOutcome>;
  sleep(ms: number): Promise<void>;
  log(line: string): void;
}

/** Retries wait `base · 2^(attempt − 1)`, at most `max`. */
export function retryDelay(attempt: number, retryBaseDelayMs: number, retryMaxDelayMs: number): number {
  return Math.min(retryMaxDelayMs, retryBaseDelayMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * What a function's answer means for the batch: done, or the index of the first record to retry, or a
 * failure of the whole batch.
 */
export function judge(
  records: readonly Rec[],
  outcome: InvokeOutcome,
  partialResponses: boolean,
): 'done' | 'failed' | number {
  if (!outcome.ok) return 'failed';
  if (!partialResponses) return 'done';
  const payload = outcome.payload;
  if (payload === null || payload === undefined) return 'done';
  if (typeof payload !== 'object' || Array.isArray(payload)) return 'failed';
  const failures = (payload as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return 'done';
  if (!Array.isArray(failures)) return 'failed';
  if (failures.length === 0) return 'done';
  let lowest = Number.POSITIVE_INFINITY;
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '') return 'failed';
    const index = records.findIndex((r) => r.sequenceNumber === id);
    if (index < 0) return 'failed';
    lowest = Math.min(lowest, index);
  }
  return lowest;
}

/** An invocation that could not happen at all counts as a failed one (Lambda retries those too). */
export async function invokeSafely(
  invoke: (event: KinesisEvent) => Promise<InvokeOutcome>,
  records: readonly Rec[],
): Promise<InvokeOutcome> {
  try {
    return await invoke(eventOf(records));
  } catch (error) {
    return {
      ok: false,
      functionError: 'Unhandled',
      error: { errorType: 'ServiceException', errorMessage: errorText(error) },
      requestId: randomUUID(),
      durationMs: 0,
      coldStart: false,
      timedOut: false,
    };
  }
}

/** Runs one batch to its end: done, or discarded to the destination (in parts, when split). */
export async function processBatch(policy: RetryPolicy, shard: ShardState, batch: Rec[]): Promise<void> {
  const { maxAgeMs, maxRetries, bisect, counters, log, sleep } = policy;
  const discard = (
    s: ShardState,
    records: readonly Rec[],
    condition: StreamInvocationRecord['requestContext']['condition'],
    invokeCount: number,
    last: InvokeOutcome | undefined,
  ) => discardRecords(policy.discard, s, records, condition, invokeCount, last);
  // A stack of record runs still to deliver, the first in front; `attempts` counts retries against the quota.
  const pending: Array<{
    records: Rec[];
    attempts: number;
    invokes: number;
    retry: boolean;
    last?: InvokeOutcome;
  }> = [{ records: batch, attempts: 0, invokes: 0, retry: false }];
  while (pending.length > 0 && !policy.signal.aborted) {
    const item = pending[0] as (typeof pending)[number];
    if (maxAgeMs >= 0) {
      const cutoff = Date.now() - maxAgeMs;
      let expired = 0;
      while (expired < item.records.length && (item.records[expired] as Rec).arrivalMs < cutoff) expired++;
      if (expired > 0) {
        await discard(shard, item.records.slice(0, expired), 'RecordAgeExceeded', item.invokes, item.last);
        item.records = item.records.slice(expired);
        if (item.records.length === 0) {
          pending.shift();
          continue;
        }
      }
    }
    counters.invocations++;
    if (item.retry) counters.retries++;
    item.invokes++;
    const outcome = await invokeSafely(policy.invoke, item.records);
    item.last = outcome;
    const verdict = judge(item.records, outcome, policy.partialResponses);
    if (verdict === 'done') {
      counters.records += item.records.length;
      shard.checkpoint = (item.records.at(-1) as Rec).sequenceNumber;
      pending.shift();
      continue;
    }
    item.retry = true;
    if (typeof verdict === 'number') {
      counters.partialFailures++;
      if (verdict > 0) {
        counters.records += verdict;
        shard.checkpoint = (item.records[verdict - 1] as Rec).sequenceNumber;
        item.records = item.records.slice(verdict);
      }
    } else {
      if (!outcome.ok) {
        counters.functionErrors++;
        log(`${shard.shardId}: function error ${outcome.error.errorType}: ${outcome.error.errorMessage}`);
      } else {
        log(`${shard.shardId}: invalid partial batch response, the whole batch failed`);
      }
      if (bisect && item.records.length > 1) {
        counters.bisections++;
        const half = Math.ceil(item.records.length / 2);
        const halves = [item.records.slice(0, half), item.records.slice(half)].map((records) => ({
          records,
          attempts: item.attempts,
          invokes: item.invokes,
          retry: true,
          last: outcome,
        }));
        pending.splice(0, 1, ...halves);
        continue;
      }
    }
    item.attempts++;
    if (maxRetries >= 0 && item.attempts > maxRetries) {
      await discard(shard, item.records, 'RetryAttemptsExhausted', item.invokes, outcome);
      pending.shift();
      continue;
    }
    await sleep(retryDelay(item.attempts, policy.retryBaseDelayMs, policy.retryMaxDelayMs));
  }
}
