/**
 * The metrics AWS Lambda publishes for every invocation, to `AWS/Lambda` with the dimension `FunctionName`:
 * `Invocations` (1), `Errors` (1 for a function error or a timeout, else 0, so Sum / Invocations is the error
 * rate) and `Duration` (milliseconds, init excluded). So the alarms a stack puts on `fn.metricErrors()` or
 * `fn.metricDuration()` see data on the local cloud as on AWS. `Throttles` is not published: the local runtime
 * queues an invocation beyond the concurrency limit instead of refusing it.
 */

import { putServiceMetric } from '../cloudwatch/service-metrics.js';
import type { InvokeOutcome } from './types.js';

export function publishInvocationMetrics(
  functionName: string,
  outcome: InvokeOutcome,
  nowMs: number = Date.now(),
): void {
  const dimensions = [{ Name: 'FunctionName', Value: functionName }];
  putServiceMetric('AWS/Lambda', 'Invocations', dimensions, 1, 'Count', nowMs);
  putServiceMetric('AWS/Lambda', 'Errors', dimensions, outcome.ok ? 0 : 1, 'Count', nowMs);
  putServiceMetric('AWS/Lambda', 'Duration', dimensions, outcome.durationMs, 'Milliseconds', nowMs);
}
