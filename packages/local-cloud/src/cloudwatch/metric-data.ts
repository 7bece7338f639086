/**
 * GetMetricData (protocol-neutral, as api.ts): MetricStat queries and metric-math expressions over them,
 * evaluated with the alarms' math (alarm-queries.ts, metric-math.ts: the same functions, refused by name the
 * same way). Periods are aligned to StartTime, as GetMetricStatistics aligns them; a MetricStat's values are of
 * [StartTime, EndTime). FILL(x, REPEAT|LINEAR) looks before StartTime (and LINEAR after EndTime) for the values
 * around a gap. Values dropped for not being finite numbers (a division by zero) are told in the result's
 * Messages as CloudWatch tells them (`ArithmeticError`).
 */

import { AwsApiError } from '../services/aws-errors.js';
import { alarmQueriesOf } from './alarm-definition.js';
import { type AlarmQuery, checkQueryGraph, evaluateQueries, isExpression } from './alarm-queries.js';
import { type Input, invalid, list, missing, num, requiredTime, str } from './input.js';
import type { MathValue } from './metric-math.js';
import type { Dimension, Sample } from './metric-store.js';

/** CloudWatch's limits: queries in one request, datapoints in one answer. */
const MAX_QUERIES = 500;
const MAX_DATAPOINTS = 100_800;

const ARITHMETIC_ERROR = {
  Code: 'ArithmeticError',
  Value: 'One or more data-points have been dropped due to non-numeric values (NaN, -Infinite, +Infinite)',
};

export function getMetricData(
  input: Input,
  samplesOf: (namespace: string, metricName: string, dimensions: readonly Dimension[]) => readonly Sample[],
): unknown {
  const startMs = requiredTime(input, 'StartTime');
  const endMs = requiredTime(input, 'EndTime');
  if (endMs <= startMs) throw invalid('The parameter StartTime must be less than the parameter EndTime.');
  const scanBy = str(input, 'ScanBy') ?? 'TimestampDescending';
  if (scanBy !== 'TimestampDescending' && scanBy !== 'TimestampAscending')
    throw invalid(
      `The value ${scanBy} for parameter ScanBy is invalid: TimestampDescending or TimestampAscending.`,
    );
  const maxDatapoints = num(input, 'MaxDatapoints') ?? MAX_DATAPOINTS;
  const raw = list(input, 'MetricDataQueries');
  if (raw.length === 0) throw missing('MetricDataQueries');
  if (raw.length > MAX_QUERIES)
    throw invalid(`MetricDataQueries holds ${raw.length} queries: at most ${MAX_QUERIES}.`);
  let queries: AlarmQuery[];
  let statPeriodSeconds: number | undefined;
  try {
    queries = alarmQueriesOf(raw, 'MetricDataQueries');
    ({ statPeriodSeconds } = checkQueryGraph(queries));
  } catch (error) {
    throw new AwsApiError('ValidationError', (error as Error).message);
  }
  const results: Array<Record<string, unknown>> = [];
  let datapoints = 0;
  // Without expressions each MetricStat keeps its own period; with them they share one (checkQueryGraph).
  for (const q of queries) {
    if (!q.returnData) continue;
    const periodSeconds = isExpression(q)
      ? (q.periodSeconds ?? statPeriodSeconds)
      : q.metricStat.periodSeconds;
    if (periodSeconds === undefined)
      throw new AwsApiError(
        'ValidationError',
        `MetricDataQueries ${q.id}: an expression without MetricStat queries needs a Period.`,
      );
    const periodMs = periodSeconds * 1000;
    const count = Math.ceil((endMs - startMs) / periodMs);
    if (count > maxDatapoints)
      throw invalid(
        `The query ${q.id} asks for ${count} datapoints: at most ${maxDatapoints}; use a longer Period.`,
      );
    const timestamps = Array.from({ length: count }, (_, i) => startMs + i * periodMs);
    const lastEnd = startMs + count * periodMs;
    let dropped = false;
    const lookup = evaluateQueries(
      queries,
      periodSeconds,
      timestamps,
      (m) =>
        // The last period stops at EndTime, as GetMetricStatistics'; what lies beyond it is for LINEAR only.
        samplesOf(m.namespace, m.metricName, m.dimensions).filter(
          (s) => s.timestamp < endMs || s.timestamp >= lastEnd,
        ),
      () => {
        dropped = true;
      },
    );
    let value: MathValue;
    try {
      value = lookup(q.id);
    } catch (error) {
      throw new AwsApiError('ValidationError', `MetricDataQueries ${q.id}: ${(error as Error).message}`);
    }
    const series =
      value.kind === 'array'
        ? value.items
        : value.kind === 'series'
          ? [value.series]
          : [new Map(Number.isFinite(value.value) ? timestamps.map((t) => [t, value.value] as const) : [])];
    const label = q.label ?? (isExpression(q) ? q.id : q.metricStat.metricName);
    series.forEach((s, k) => {
      const points = timestamps.flatMap((t) => (s.has(t) ? [{ t, v: s.get(t) as number }] : []));
      if (scanBy === 'TimestampDescending') points.reverse();
      datapoints += points.length;
      results.push({
        Id: q.id,
        Label: series.length > 1 ? `${label} ${k + 1}` : label,
        Timestamps: points.map((p) => new Date(p.t)),
        Values: points.map((p) => p.v),
        StatusCode: 'Complete',
        Messages: dropped ? [ARITHMETIC_ERROR] : [],
      });
    });
  }
  if (datapoints > maxDatapoints)
    throw invalid(
      `The answer holds ${datapoints} datapoints: at most ${maxDatapoints}; use a longer Period.`,
    );
  return { MetricDataResults: results, Messages: [] };
}
