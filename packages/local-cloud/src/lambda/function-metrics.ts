/**
 * The metrics AWS Lambda publishes, to `AWS/Lambda` with the dimension `FunctionName`, so the alarms a stack puts
 * on `fn.metricErrors()`, `fn.metricThrottles()` or `fn.metricDuration()` see data on the local cloud as on AWS:
 *
 * - per invocation: `Invocations` (1), `Errors` (1 for a function error or a timeout, else 0, so Sum /
 *   Invocations is the error rate), `Duration` (milliseconds, init excluded) and `Throttles` (always 0: the local
 *   runtime queues an invocation beyond its concurrency limit instead of refusing it, and enforces no reserved
 *   concurrency; published so that a throttle alarm judges 0 as AWS's would, not missing data);
 * - when an invocation starts running: `ConcurrentExecutions`, the function's invocations running then (itself
 *   included; `Maximum` per period is the peak), and the same without dimension for all functions of the
 *   process, as AWS's account-level metric.
 */

import { putServiceMetric } from '../cloudwatch/service-metrics.js';
import type { InvokeOutcome } from './types.js';

const NAMESPACE = 'AWS/Lambda';

/** Invocations running in all functions of this process (AWS's account-level ConcurrentExecutions). */
let runningInProcess = 0;

export function publishInvocationMetrics(
  functionName: string,
  outcome: InvokeOutcome,
  nowMs: number = Date.now(),
): void {
  const dimensions = [{ Name: 'FunctionName', Value: functionName }];
  putServiceMetric(NAMESPACE, 'Invocations', dimensions, 1, 'Count', nowMs);
  putServiceMetric(NAMESPACE, 'Errors', dimensions, outcome.ok ? 0 : 1, 'Count', nowMs);
  putServiceMetric(NAMESPACE, 'Throttles', dimensions, 0, 'Count', nowMs);
  putServiceMetric(NAMESPACE, 'Duration', dimensions, outcome.durationMs, 'Milliseconds', nowMs);
}

/**
 * An invocation of `functionName` starts running, with `runningInFunction` of its invocations running (itself
 * included); call the returned function when it ends.
 */
export function startedExecution(functionName: string, runningInFunction: number): () => void {
  runningInProcess++;
  const nowMs = Date.now();
  putServiceMetric(
    NAMESPACE,
    'ConcurrentExecutions',
    [{ Name: 'FunctionName', Value: functionName }],
    runningInFunction,
    'Count',
    nowMs,
  );
  putServiceMetric(NAMESPACE, 'ConcurrentExecutions', [], runningInProcess, 'Count', nowMs);
  let ended = false;
  return () => {
    if (!ended) runningInProcess--;
    ended = true;
  };
}
