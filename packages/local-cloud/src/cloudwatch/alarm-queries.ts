/**
 * The `Metrics` of a metric-math alarm, and GetMetricData's queries (pure): MetricStat queries and expressions over
 * them (metric-math.ts). `checkQueryGraph` refuses, naming the query, what both refuse (a query that is both or
 * neither, ids out of form or repeated, references to unknown ids or cycles, a function the local cloud does not
 * evaluate, MetricStats of different periods under expressions); `checkAlarmQueries` adds the alarms' rules (exactly
 * one ReturnData, at most 10 metrics, one period); `evaluateQueries` computes every query over a range, and
 * `mathDatapoints` the returned query's value in each period of an alarm's evaluation window.
 */

import {
  evaluateNode,
  type MathValue,
  type ParsedExpression,
  parseExpression,
  referencedIds,
  type Series,
} from './metric-math.js';
import type { Dimension, Sample } from './metric-store.js';
import { PERCENTILE, percentile, STATISTICS, type Statistic, statistic } from './statistics.js';

export interface MetricStatQuery {
  readonly id: string;
  readonly label?: string;
  readonly returnData: boolean;
  readonly metricStat: {
    readonly namespace: string;
    readonly metricName: string;
    readonly dimensions: readonly Dimension[];
    readonly periodSeconds: number;
    readonly stat: string;
    readonly unit?: string;
  };
}

export interface ExpressionQuery {
  readonly id: string;
  readonly label?: string;
  readonly returnData: boolean;
  readonly expression: string;
  readonly periodSeconds?: number;
}

export type AlarmQuery = MetricStatQuery | ExpressionQuery;

/** CloudWatch's limit on the metrics of one alarm. */
const MAX_METRICS = 10;

export const isExpression = (q: AlarmQuery): q is ExpressionQuery => 'expression' in q;

/**
 * Checks what alarms and GetMetricData both refuse: ids out of form or repeated, a query that is both or
 * neither, an unknown Stat, references to unknown ids or cycles, an expression that does not parse or calls a
 * function the local cloud does not evaluate, MetricStats of different periods. Answers the MetricStats' period
 * (undefined without MetricStats). Throws naming the query.
 */
export function checkQueryGraph(queries: readonly AlarmQuery[]): { statPeriodSeconds: number | undefined } {
  const ids = new Set<string>();
  for (const q of queries) {
    if (!/^[a-z][A-Za-z0-9_]*$/.test(q.id))
      throw new Error(
        `Metrics id ${JSON.stringify(q.id)} must start with a lowercase letter (letters, digits, _)`,
      );
    if (ids.has(q.id)) throw new Error(`Metrics id ${q.id} is used twice`);
    ids.add(q.id);
  }
  const stats = queries.filter((q): q is MetricStatQuery => !isExpression(q));
  for (const q of stats) {
    const stat = q.metricStat.stat;
    if (!(STATISTICS as readonly string[]).includes(stat) && !PERCENTILE.test(stat))
      throw new Error(
        `Metrics ${q.id}: Stat ${JSON.stringify(stat)} is not one of ${STATISTICS.join(', ')} or pNN`,
      );
  }
  const periods = [...new Set(stats.map((q) => q.metricStat.periodSeconds))];
  if (periods.length > 1 && queries.some(isExpression))
    throw new Error(
      `the MetricStat queries have different periods (${periods.join(', ')} s): the local cloud evaluates expressions over one period`,
    );
  const parsed = new Map<string, ParsedExpression>();
  for (const q of queries.filter(isExpression)) {
    parsed.set(q.id, parseExpression(q.expression));
    for (const ref of referencedIds(parsed.get(q.id) as ParsedExpression))
      if (!ids.has(ref))
        throw new Error(
          `Metrics ${q.id}: expression ${JSON.stringify(q.expression)} refers to ${ref}, which is not an id of Metrics`,
        );
  }
  const visiting = new Set<string>();
  const visit = (id: string) => {
    const tree = parsed.get(id);
    if (tree === undefined) return;
    if (visiting.has(id)) throw new Error(`Metrics ${id}: the expressions refer to each other in a cycle`);
    visiting.add(id);
    for (const ref of referencedIds(tree)) visit(ref);
    visiting.delete(id);
  };
  for (const id of parsed.keys()) visit(id);
  return { statPeriodSeconds: periods[0] };
}

/** Checks an alarm's queries; answers the returned query's id and the alarm's period. Throws naming what is wrong. */
export function checkAlarmQueries(queries: readonly AlarmQuery[]): {
  returned: string;
  periodSeconds: number;
} {
  const returned = queries.filter((q) => q.returnData);
  const stats = queries.filter((q): q is MetricStatQuery => !isExpression(q));
  if (stats.length > MAX_METRICS)
    throw new Error(
      `Metrics holds ${stats.length} MetricStat queries: an alarm takes at most ${MAX_METRICS}`,
    );
  const periods = [...new Set(stats.map((q) => q.metricStat.periodSeconds))];
  if (periods.length > 1)
    throw new Error(
      `the MetricStat queries have different periods (${periods.join(', ')} s): the local cloud evaluates one period per alarm`,
    );
  const { statPeriodSeconds } = checkQueryGraph(queries);
  if (returned.length !== 1)
    throw new Error(
      `exactly one of Metrics must have ReturnData true (${returned.length === 0 ? 'none has' : returned.map((q) => q.id).join(', ')})`,
    );
  const top = returned[0] as AlarmQuery;
  const periodSeconds =
    (isExpression(top) ? top.periodSeconds : top.metricStat.periodSeconds) ?? statPeriodSeconds;
  if (periodSeconds === undefined)
    throw new Error(`Metrics ${top.id}: an expression without MetricStat queries needs a Period`);
  if (![10, 20, 30].includes(periodSeconds) && periodSeconds % 60 !== 0)
    throw new Error(`Period ${periodSeconds} must be 10, 20, 30 or a multiple of 60 seconds`);
  return { returned: top.id, periodSeconds };
}

function statOf(samples: readonly Sample[], stat: string): number | undefined {
  if (samples.length === 0) return undefined;
  if ((STATISTICS as readonly string[]).includes(stat)) return statistic(samples, stat as Statistic);
  return percentile(samples, stat);
}

/**
 * The value of every query over the range `timestamps` (period starts, oldest first), by id. A MetricStat's
 * series holds each period of its samples, aligned with the range, also before and after the range (FILL's
 * REPEAT and LINEAR look there); the caller keeps the range's timestamps of what it answers.
 */
export function evaluateQueries(
  queries: readonly AlarmQuery[],
  periodSeconds: number,
  timestamps: readonly number[],
  samplesOf: (stat: MetricStatQuery['metricStat']) => readonly Sample[],
  onDropped?: () => void,
): (id: string) => MathValue {
  const periodMs = periodSeconds * 1000;
  const origin = timestamps[0] ?? 0;
  const values = new Map<string, MathValue>();
  const metricQueries: Array<{ id: string; label?: string; series: Series }> = [];
  for (const q of queries) {
    if (isExpression(q)) continue;
    const byPeriod = new Map<number, Sample[]>();
    for (const s of samplesOf(q.metricStat)) {
      if (q.metricStat.unit !== undefined && s.unit !== q.metricStat.unit) continue;
      const start = origin + Math.floor((s.timestamp - origin) / periodMs) * periodMs;
      const list = byPeriod.get(start);
      if (list === undefined) byPeriod.set(start, [s]);
      else list.push(s);
    }
    const series = new Map<number, number>();
    for (const [start, samples] of byPeriod) {
      const value = statOf(samples, q.metricStat.stat);
      if (value !== undefined) series.set(start, value);
    }
    values.set(q.id, { kind: 'series', series });
    metricQueries.push({ id: q.id, ...(q.label === undefined ? {} : { label: q.label }), series });
  }
  const byId = new Map(queries.map((q) => [q.id, q]));
  const lookup = (id: string): MathValue => {
    const known = values.get(id);
    if (known !== undefined) return known;
    const q = byId.get(id) as ExpressionQuery;
    const value = evaluateNode(parseExpression(q.expression), {
      timestamps,
      lookup,
      metricQueries,
      ...(onDropped === undefined ? {} : { onDropped }),
    });
    values.set(id, value);
    return value;
  };
  return lookup;
}

/**
 * The returned query's value in each period of the window (`starts`, newest first; undefined: no value), the
 * MetricStats computed from `samplesOf` per period. Throws when the result is an array of time series.
 */
export function mathDatapoints(
  queries: readonly AlarmQuery[],
  periodSeconds: number,
  starts: readonly number[],
  samplesOf: (stat: MetricStatQuery['metricStat']) => readonly Sample[],
): Array<{ start: number; value: number | undefined }> {
  const timestamps = [...starts].sort((a, b) => a - b);
  const lookup = evaluateQueries(queries, periodSeconds, timestamps, samplesOf);
  const top = queries.find((q) => q.returnData) as AlarmQuery;
  const result = lookup(top.id);
  if (result.kind === 'array')
    throw new Error(`Metrics ${top.id} returns ${result.items.length} time series: an alarm needs one`);
  return starts.map((start) => ({
    start,
    value:
      result.kind === 'scalar'
        ? Number.isFinite(result.value)
          ? result.value
          : undefined
        : result.series.get(start),
  }));
}
