/**
 * What a mapping's runner works with, read from the mapping's settings and the runner's options, each default
 * stated here (Lambda's: batch size 100, retries and record age unlimited; one poll a second per shard), and the
 * notes on what runs otherwise than on AWS; and a mapping's counters, all zero.
 */

import { clampInteger } from './errors.js';
import type { KinesisMappingOptions, KinesisMappingSettings, MappingCounters } from './types.js';

/** Kinesis allows 5 GetRecords calls a second per shard. */
export const MIN_GET_RECORDS_INTERVAL_MS = 200;

export interface RunnerSettings {
  readonly batchSize: number;
  readonly windowMs: number;
  /** -1: unlimited. */
  readonly maxRetries: number;
  /** -1: unlimited. */
  readonly maxAgeMs: number;
  readonly bisect: boolean;
  readonly partialResponses: boolean;
  readonly fanOut: boolean;
  readonly pollIntervalMs: number;
  readonly retryBaseDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly invokeIdentityArn: string;
  /** What the local runner does otherwise than Lambda, to log once at the start. */
  readonly warnings: readonly string[];
}

/** The runner's settings of a mapping on `streamArn` (its event source is the stream or a consumer of it). */
export function runnerSettings(
  settings: KinesisMappingSettings,
  options: KinesisMappingOptions,
  streamArn: string,
): RunnerSettings {
  const batchSize = clampInteger(settings.batchSize ?? 100, 1, 10_000);
  const windowMs = Math.max(0, (settings.maximumBatchingWindowInSeconds ?? 0) * 1000);
  const maxRetries = settings.maximumRetryAttempts ?? -1;
  const maxAgeMs =
    (settings.maximumRecordAgeInSeconds ?? -1) < 0 ? -1 : (settings.maximumRecordAgeInSeconds ?? 0) * 1000;
  const bisect = settings.bisectBatchOnFunctionError ?? false;
  const partialResponses = (settings.functionResponseTypes ?? []).includes('ReportBatchItemFailures');
  const fanOut = settings.eventSourceArn !== streamArn;
  // Lambda polls a shard once a second through standard iterators; an enhanced fan-out consumer has records
  // pushed to it instead (SubscribeToShard, ~70 ms propagation). Locally a consumer is read with standard
  // iterators, polled as often as Kinesis allows a shard's reads (5 a second), the nearest a poll gets to a push.
  const pollIntervalMs = options.pollIntervalMs ?? (fanOut ? MIN_GET_RECORDS_INTERVAL_MS : 1_000);
  const retryBaseDelayMs = options.retryBaseDelayMs ?? 500;
  const retryMaxDelayMs = options.retryMaxDelayMs ?? 10_000;
  const invokeIdentityArn =
    settings.invokeIdentityArn ?? `arn:aws:iam::000000000000:role/${settings.functionArn.split(':').at(-1)}`;

  const warnings = [...(settings.ignored ?? []).map((name) => `${name} is not applied by the local runner`)];
  if ((settings.parallelizationFactor ?? 1) !== 1) {
    warnings.push(
      `ParallelizationFactor ${settings.parallelizationFactor} runs as 1 (one batch per shard at a time)`,
    );
  }
  if (fanOut) {
    warnings.push(
      `the stream consumer is read with standard iterators every ${pollIntervalMs} ms (no enhanced fan-out push)`,
    );
  }
  return {
    batchSize,
    windowMs,
    maxRetries,
    maxAgeMs,
    bisect,
    partialResponses,
    fanOut,
    pollIntervalMs,
    retryBaseDelayMs,
    retryMaxDelayMs,
    invokeIdentityArn,
    warnings,
  };
}

/** A mapping's counters, all zero: one set per mapping, kept across its pollers' restarts. */
export function newMappingCounters(): MappingCounters {
  return {
    invocations: 0,
    records: 0,
    retries: 0,
    bisections: 0,
    functionErrors: 0,
    partialFailures: 0,
    failuresToDestination: 0,
    recordsToDestination: 0,
    recordsDropped: 0,
    destinationErrors: 0,
    pollErrors: 0,
  };
}
