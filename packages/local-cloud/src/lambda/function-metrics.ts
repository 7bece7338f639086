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
 *   cloud, as AWS's account-level metric.
 *
 * Each goes to the `ServiceMetrics` of the function's cloud.
 */

import type { ServiceMetrics } from '../cloudwatch/service-metrics.js';
import type { InvokeOutcome } from './types.js';

const NAMESPACE = 'AWS/Lambda';

/** Invocations running in all functions of a cloud (AWS's account-level ConcurrentExecutions), by its metrics. */
const runningInCloud = new WeakMap<ServiceMetrics, number>();

export function publishInvocationMetrics(
  metrics: ServiceMetrics,
  functionName: string,
  outcome: InvokeOutcome,
  nowMs: number = Date.now(),
): void {
  const dimensions = [{ Name: 'FunctionName', Value: functionName }];
  metrics.put(NAMESPACE, 'Invocations', dimensions, 1, 'Count', nowMs);
  metrics.put(NAMESPACE, 'Errors', dimensions, outcome.ok ? 0 : 1, 'Count', nowMs);
  metrics.put(NAMESPACE, 'Throttles', dimensions, 0, 'Count', nowMs);
  metrics.put(NAMESPACE, 'Duration', dimensions, outcome.durationMs, 'Milliseconds', nowMs);
}

/**
 * An invocation of `functionName` starts running, with `runningInFunction` of its invocations running (itself
 * included); call the returned function when it ends.
 */
export function startedExecution(
  metrics: ServiceMetrics,
  functionName: string,
  runningInFunction: number,
): () => void {
  const running = (runningInCloud.get(metrics) ?? 0) + 1;
  runningInCloud.set(metrics, running);
  const nowMs = Date.now();
  metrics.put(
    NAMESPACE,
    'ConcurrentExecutions',
    [{ Name: 'FunctionName', Value: functionName }],
    runningInFunction,
    'Count',
    nowMs,
  );
  metrics.put(NAMESPACE, 'ConcurrentExecutions', [], running, 'Count', nowMs);
  let ended = false;
  return () => {
    if (!ended) runningInCloud.set(metrics, (runningInCloud.get(metrics) ?? 1) - 1);
    ended = true;
  };
}
