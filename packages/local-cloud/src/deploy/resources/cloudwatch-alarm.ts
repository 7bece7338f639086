/**
 * CloudWatch alarms (AWS::CloudWatch::Alarm): a static threshold on one metric (MetricName, Namespace,
 * Dimensions, Statistic or ExtendedStatistic pNN, Period, EvaluationPeriods, DatapointsToAlarm, Threshold,
 * ComparisonOperator, TreatMissingData, Unit) is evaluated by the local cloud (src/cloudwatch/alarms.ts) on
 * its metrics, and its SNS actions get CloudWatch's notification on each change of state. Metric-math alarms
 * (Metrics), anomaly-detection bands (ThresholdMetricId) are recorded, not evaluated, with the reason.
 */

import {
  COMPARISON_OPERATORS,
  type ComparisonOperator,
  checkStatistic,
  TREAT_MISSING_DATA,
  type TreatMissingData,
} from '../../cloudwatch/alarm-evaluation.js';
import { localAlarms } from '../../cloudwatch/alarms.js';
import { snsQuery } from '../../event-source-mapping.js';
import { synthesizedAttributes } from '../naming.js';
import { isRecord, notApplied } from '../util.js';
import type { Created, CreatorContext } from './context.js';

export async function createCloudWatchAlarm(
  ctx: CreatorContext,
  logicalId: string,
  p: Record<string, unknown>,
): Promise<Created> {
  const { local } = ctx;
  const name = ctx.nameFor('AWS::CloudWatch::Alarm', logicalId, p);
  const base = synthesizedAttributes('AWS::CloudWatch::Alarm', logicalId, name, local);
  if (p.Metrics !== undefined || p.ThresholdMetricId !== undefined)
    return {
      ...base,
      skipped:
        'metric-math and anomaly-detection alarms (Metrics, ThresholdMetricId) are not evaluated by the local cloud',
    };
  const operator = String(p.ComparisonOperator ?? '');
  if (!Object.hasOwn(COMPARISON_OPERATORS, operator))
    throw new Error(
      `ComparisonOperator ${JSON.stringify(operator)} is not one of ${Object.keys(COMPARISON_OPERATORS).join(', ')} (anomaly-detection operators need Metrics)`,
    );
  if ((p.Statistic === undefined) === (p.ExtendedStatistic === undefined))
    throw new Error('give exactly one of Statistic and ExtendedStatistic');
  const statistic = checkStatistic(String(p.Statistic ?? p.ExtendedStatistic));
  const whole = (key: string, fallback?: number): number => {
    const value = p[key] ?? fallback;
    const n = Number(value);
    if (value === undefined || !Number.isInteger(n) || n < 1)
      throw new Error(`${key} must be a positive whole number (got ${JSON.stringify(value)})`);
    return n;
  };
  const period = whole('Period', 300);
  if (![10, 20, 30].includes(period) && period % 60 !== 0)
    throw new Error(`Period ${period} must be 10, 20, 30 or a multiple of 60 seconds`);
  const evaluationPeriods = whole('EvaluationPeriods');
  const datapointsToAlarm = whole('DatapointsToAlarm', evaluationPeriods);
  if (datapointsToAlarm > evaluationPeriods)
    throw new Error(
      `DatapointsToAlarm ${datapointsToAlarm} is more than EvaluationPeriods ${evaluationPeriods}`,
    );
  const threshold = Number(p.Threshold);
  if (p.Threshold === undefined || !Number.isFinite(threshold))
    throw new Error(`Threshold must be a number (got ${JSON.stringify(p.Threshold)})`);
  const treatMissingData = String(p.TreatMissingData ?? 'missing');
  if (!(TREAT_MISSING_DATA as readonly string[]).includes(treatMissingData))
    throw new Error(
      `TreatMissingData ${JSON.stringify(treatMissingData)} is not one of ${TREAT_MISSING_DATA.join(', ')}`,
    );
  if (typeof p.MetricName !== 'string' || typeof p.Namespace !== 'string')
    throw new Error('a single-metric alarm needs MetricName and Namespace');
  const dimensions = (Array.isArray(p.Dimensions) ? p.Dimensions : []).map((d, i) => {
    if (!isRecord(d) || d.Name === undefined || d.Value === undefined)
      throw new Error(`Dimensions[${i}] needs a Name and a Value (got ${JSON.stringify(d)})`);
    return { Name: String(d.Name), Value: String(d.Value) };
  });
  const actions = (key: string): string[] => (Array.isArray(p[key]) ? (p[key] as unknown[]).map(String) : []);

  localAlarms.put(
    {
      name,
      arn: base.attributes.Arn as string,
      ...(typeof p.AlarmDescription === 'string' ? { description: p.AlarmDescription } : {}),
      namespace: p.Namespace,
      metricName: p.MetricName,
      dimensions,
      ...(typeof p.Unit === 'string' ? { unit: p.Unit } : {}),
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
      region: local.region,
      accountId: local.accountId,
      configuredAtMs: Date.now(),
    },
    async (topicArn, subject, message) => {
      await snsQuery(local.cloudEndpoint, local.region, {
        Action: 'Publish',
        TopicArn: topicArn,
        Subject: subject,
        Message: message,
      });
    },
    (line) => ctx.options.onLog?.(logicalId, line),
    `${local.stackName}/${logicalId}`,
  );
  const forget = async () => localAlarms.remove(name);
  return {
    ...base,
    notes: notApplied(p, [
      'AlarmName',
      'AlarmDescription',
      'ActionsEnabled',
      'AlarmActions',
      'OKActions',
      'InsufficientDataActions',
      'ComparisonOperator',
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
    ]),
    stop: forget,
    remove: forget,
  };
}
