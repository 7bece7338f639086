/**
 * An alarm's properties (as a template's AWS::CloudWatch::Alarm or a PutMetricAlarm request gives them: the same
 * names, values as numbers, booleans or the query protocol's strings) read strictly into an AlarmDefinition:
 * a static threshold on one metric (MetricName, Namespace, Dimensions, Statistic or ExtendedStatistic pNN,
 * Period, Unit) or on a metric-math expression (Metrics: MetricStat queries and expressions, alarm-queries.ts),
 * with EvaluationPeriods, DatapointsToAlarm, Threshold, ComparisonOperator, TreatMissingData and the actions.
 * One reader for both paths, so the deployer and the API refuse the same things with the same words.
 */

import {
  COMPARISON_OPERATORS,
  type ComparisonOperator,
  checkStatistic,
  TREAT_MISSING_DATA,
  type TreatMissingData,
} from './alarm-evaluation.js';
import { type AlarmQuery, checkAlarmQueries } from './alarm-queries.js';
import type { AlarmDefinition } from './alarms.js';
import type { Dimension } from './metric-store.js';

/** The properties an alarm definition is read from. */
export const ALARM_PROPERTIES = [
  'AlarmName',
  'AlarmDescription',
  'ActionsEnabled',
  'AlarmActions',
  'OKActions',
  'InsufficientDataActions',
  'ComparisonOperator',
  'Metrics',
  'DatapointsToAlarm',
  'Dimensions',
  'EvaluationPeriods',
  'ExtendedStatistic',
  'MetricName',
  'Namespace',
  'Period',
  'Statistic',
  'Threshold',
  'TreatMissingData',
  'Unit',
] as const;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** `true` and `'true'` (the query protocol's) are true. */
const truthy = (value: unknown): boolean => value === true || value === 'true';

export interface AlarmIdentity {
  readonly name: string;
  readonly arn: string;
  readonly region: string;
  readonly accountId: string;
  readonly configuredAtMs: number;
}

/** Reads an alarm's properties; throws an Error naming the property and the bad value. */
export function alarmDefinitionOf(p: Record<string, unknown>, identity: AlarmIdentity): AlarmDefinition {
  const math = p.Metrics !== undefined;
  const operator = String(p.ComparisonOperator ?? '');
  if (!Object.hasOwn(COMPARISON_OPERATORS, operator))
    throw new Error(
      `ComparisonOperator ${JSON.stringify(operator)} is not one of ${Object.keys(COMPARISON_OPERATORS).join(', ')} (anomaly-detection operators need Metrics)`,
    );
  const whole = (key: string, fallback?: number): number => {
    const value = p[key] ?? fallback;
    const n = Number(value);
    if (value === undefined || !Number.isInteger(n) || n < 1)
      throw new Error(`${key} must be a positive whole number (got ${JSON.stringify(value)})`);
    return n;
  };
  if (math) {
    const single = [
      'MetricName',
      'Namespace',
      'Dimensions',
      'Statistic',
      'ExtendedStatistic',
      'Period',
      'Unit',
    ];
    const both = single.filter((key) => p[key] !== undefined);
    if (both.length > 0)
      throw new Error(
        `a metric-math alarm (Metrics) takes no ${both.join(', ')}: they go in its MetricStat queries`,
      );
  } else if ((p.Statistic === undefined) === (p.ExtendedStatistic === undefined))
    throw new Error('give exactly one of Statistic and ExtendedStatistic');
  const queries = math ? alarmQueriesOf(p.Metrics) : undefined;
  const checked = queries === undefined ? undefined : checkAlarmQueries(queries);
  const statistic = math ? '' : checkStatistic(String(p.Statistic ?? p.ExtendedStatistic));
  const period = checked?.periodSeconds ?? whole('Period', 300);
  if (![10, 20, 30].includes(period) && period % 60 !== 0)
    throw new Error(`Period ${period} must be 10, 20, 30 or a multiple of 60 seconds`);
  const evaluationPeriods = whole('EvaluationPeriods');
  const datapointsToAlarm = whole('DatapointsToAlarm', evaluationPeriods);
  if (datapointsToAlarm > evaluationPeriods)
    throw new Error(
      `DatapointsToAlarm ${datapointsToAlarm} is more than EvaluationPeriods ${evaluationPeriods}`,
    );
  const threshold = Number(p.Threshold);
  if (p.Threshold === undefined || p.Threshold === '' || !Number.isFinite(threshold))
    throw new Error(`Threshold must be a number (got ${JSON.stringify(p.Threshold)})`);
  const treatMissingData = String(p.TreatMissingData ?? 'missing');
  if (!(TREAT_MISSING_DATA as readonly string[]).includes(treatMissingData))
    throw new Error(
      `TreatMissingData ${JSON.stringify(treatMissingData)} is not one of ${TREAT_MISSING_DATA.join(', ')}`,
    );
  if (!math && (typeof p.MetricName !== 'string' || typeof p.Namespace !== 'string'))
    throw new Error('a single-metric alarm needs MetricName and Namespace (or Metrics)');
  const actions = (key: string): string[] => (Array.isArray(p[key]) ? (p[key] as unknown[]).map(String) : []);
  return {
    ...identity,
    ...(typeof p.AlarmDescription === 'string' ? { description: p.AlarmDescription } : {}),
    ...(queries !== undefined
      ? { metrics: queries }
      : {
          metric: {
            namespace: String(p.Namespace),
            metricName: String(p.MetricName),
            dimensions: dimensionsOf(p.Dimensions, 'Dimensions'),
            ...(typeof p.Unit === 'string' ? { unit: p.Unit } : {}),
          },
        }),
    rule: {
      statistic,
      periodSeconds: period,
      evaluationPeriods,
      datapointsToAlarm,
      threshold,
      comparisonOperator: operator as ComparisonOperator,
      treatMissingData: treatMissingData as TreatMissingData,
    },
    actionsEnabled: p.ActionsEnabled !== false && p.ActionsEnabled !== 'false',
    alarmActions: actions('AlarmActions'),
    okActions: actions('OKActions'),
    insufficientDataActions: actions('InsufficientDataActions'),
  };
}

export function dimensionsOf(value: unknown, where: string): Dimension[] {
  return (Array.isArray(value) ? value : []).map((d, i) => {
    if (!isRecord(d) || d.Name === undefined || d.Value === undefined)
      throw new Error(`${where}[${i}] needs a Name and a Value (got ${JSON.stringify(d)})`);
    return { Name: String(d.Name), Value: String(d.Value) };
  });
}

/** Metrics (MetricDataQuery objects), read strictly: each wrong field named with its query. */
export function alarmQueriesOf(value: unknown, listName = 'Metrics'): AlarmQuery[] {
  if (!Array.isArray(value) || value.length === 0)
    throw new Error(`${listName} must be a non-empty list of queries`);
  return value.map((q, i): AlarmQuery => {
    if (!isRecord(q)) throw new Error(`${listName}[${i}] must be an object (got ${JSON.stringify(q)})`);
    const where = `${listName}[${i}]${typeof q.Id === 'string' ? ` (${q.Id})` : ''}`;
    if (typeof q.Id !== 'string') throw new Error(`${where} needs an Id`);
    if ((q.Expression === undefined) === (q.MetricStat === undefined))
      throw new Error(`${where} needs exactly one of Expression and MetricStat`);
    const common = {
      id: q.Id,
      ...(typeof q.Label === 'string' ? { label: q.Label } : {}),
      returnData: q.ReturnData === undefined ? true : truthy(q.ReturnData),
    };
    const period = (raw: unknown): number => {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 1)
        throw new Error(`${where}: Period must be a positive whole number (got ${JSON.stringify(raw)})`);
      return n;
    };
    if (q.Expression !== undefined) {
      if (typeof q.Expression !== 'string') throw new Error(`${where}: Expression must be a string`);
      return {
        ...common,
        expression: q.Expression,
        ...(q.Period === undefined ? {} : { periodSeconds: period(q.Period) }),
      };
    }
    const stat = q.MetricStat;
    if (!isRecord(stat) || !isRecord(stat.Metric))
      throw new Error(`${where}: MetricStat needs a Metric, a Period and a Stat`);
    const metric = stat.Metric;
    if (typeof metric.Namespace !== 'string' || typeof metric.MetricName !== 'string')
      throw new Error(`${where}: MetricStat.Metric needs a Namespace and a MetricName`);
    if (typeof stat.Stat !== 'string') throw new Error(`${where}: MetricStat needs a Stat`);
    return {
      ...common,
      metricStat: {
        namespace: metric.Namespace,
        metricName: metric.MetricName,
        dimensions: dimensionsOf(metric.Dimensions, `${where} MetricStat.Metric.Dimensions`),
        periodSeconds: period(stat.Period),
        stat: stat.Stat,
        ...(typeof stat.Unit === 'string' ? { unit: stat.Unit } : {}),
      },
    };
  });
}
