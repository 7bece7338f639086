/**
 * The alarm operations of the local CloudWatch: DescribeAlarms (AlarmNames, AlarmNamePrefix, StateValue,
 * ActionPrefix, MaxRecords/NextToken; metric alarms only) and SetAlarmState. Protocol-neutral, as api.ts.
 */

import { AwsApiError } from '../services/aws-errors.js';
import type { AlarmState } from './alarm-evaluation.js';
import type { AlarmQuery } from './alarm-queries.js';
import type { AlarmMetric, LocalAlarms } from './alarms.js';
import { type Input, invalid, list, num, requiredStr, str } from './input.js';

const STATES: readonly AlarmState[] = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];

export function alarmOperations(alarms: LocalAlarms): Record<string, (input: Input) => unknown> {
  return {
    DescribeAlarms(input) {
      const names = list(input, 'AlarmNames').map(String);
      const prefix = str(input, 'AlarmNamePrefix');
      if (names.length > 0 && prefix !== undefined)
        throw new AwsApiError(
          'InvalidParameterCombination',
          'AlarmNames and AlarmNamePrefix cannot be combined.',
        );
      const state = str(input, 'StateValue');
      if (state !== undefined && !(STATES as readonly string[]).includes(state))
        throw invalid(`The value ${state} for parameter StateValue is invalid: use ${STATES.join(', ')}.`);
      const actionPrefix = str(input, 'ActionPrefix');
      const types = list(input, 'AlarmTypes').map(String);
      const max = num(input, 'MaxRecords') ?? 50;
      if (!Number.isInteger(max) || max < 1 || max > 100)
        throw invalid(`The value ${max} for parameter MaxRecords is invalid: 1 to 100.`);
      const token = str(input, 'NextToken');
      const start = token === undefined ? 0 : Number(token);
      const matching =
        types.length > 0 && !types.includes('MetricAlarm')
          ? []
          : alarms.list().filter(({ definition: d, status }) => {
              if (names.length > 0 && !names.includes(d.name)) return false;
              if (prefix !== undefined && !d.name.startsWith(prefix)) return false;
              if (state !== undefined && status.state !== state) return false;
              if (actionPrefix !== undefined)
                return [...d.alarmActions, ...d.okActions, ...d.insufficientDataActions].some((a) =>
                  a.startsWith(actionPrefix),
                );
              return true;
            });
      if (!Number.isInteger(start) || start < 0 || start > matching.length)
        throw invalid(`The value ${token} for parameter NextToken is invalid.`);
      const page = matching.slice(start, start + max);
      return {
        MetricAlarms: page.map(({ definition: d, status }) => {
          return {
            AlarmName: d.name,
            AlarmArn: d.arn,
            ...(d.description === undefined ? {} : { AlarmDescription: d.description }),
            AlarmConfigurationUpdatedTimestamp: new Date(d.configuredAtMs),
            ActionsEnabled: d.actionsEnabled,
            OKActions: d.okActions,
            AlarmActions: d.alarmActions,
            InsufficientDataActions: d.insufficientDataActions,
            StateValue: status.state,
            StateReason: status.reason,
            ...(status.reasonData === undefined ? {} : { StateReasonData: status.reasonData }),
            StateUpdatedTimestamp: new Date(status.updatedAtMs),
            ...('metric' in d ? describedMetric(d.metric, d.rule.statistic, d.rule.periodSeconds) : {}),
            ...('metrics' in d ? { Metrics: d.metrics.map(describedQuery) } : {}),
            EvaluationPeriods: d.rule.evaluationPeriods,
            DatapointsToAlarm: d.rule.datapointsToAlarm,
            Threshold: d.rule.threshold,
            ComparisonOperator: d.rule.comparisonOperator,
            TreatMissingData: d.rule.treatMissingData,
            StateTransitionedTimestamp: new Date(status.transitionedAtMs),
          };
        }),
        CompositeAlarms: [],
        ...(start + max < matching.length ? { NextToken: String(start + max) } : {}),
      };
    },
    SetAlarmState(input) {
      const name = requiredStr(input, 'AlarmName');
      const state = requiredStr(input, 'StateValue');
      if (!(STATES as readonly string[]).includes(state))
        throw invalid(`The value ${state} for parameter StateValue is invalid: use ${STATES.join(', ')}.`);
      const reason = requiredStr(input, 'StateReason');
      const data = str(input, 'StateReasonData');
      if (!alarms.setState(name, state as AlarmState, reason, data))
        throw new AwsApiError('ResourceNotFound', `Alarm ${name} not found`, 404);
      return {};
    },
  };
}

/** A single-metric alarm's metric fields, as DescribeAlarms answers them. */
function describedMetric(m: AlarmMetric, statistic: string, period: number): Record<string, unknown> {
  const percentile = /^p/.test(statistic);
  return {
    MetricName: m.metricName,
    Namespace: m.namespace,
    ...(percentile ? { ExtendedStatistic: statistic } : { Statistic: statistic }),
    Dimensions: m.dimensions,
    Period: period,
    ...(m.unit === undefined ? {} : { Unit: m.unit }),
  };
}

/** A metric-math alarm's query, as DescribeAlarms answers it (no Period at the alarm's top level). */
function describedQuery(q: AlarmQuery): Record<string, unknown> {
  const common = { Id: q.id, ...(q.label === undefined ? {} : { Label: q.label }), ReturnData: q.returnData };
  if ('expression' in q)
    return {
      ...common,
      Expression: q.expression,
      ...(q.periodSeconds === undefined ? {} : { Period: q.periodSeconds }),
    };
  const m = q.metricStat;
  return {
    ...common,
    MetricStat: {
      Metric: { Namespace: m.namespace, MetricName: m.metricName, Dimensions: m.dimensions },
      Period: m.periodSeconds,
      Stat: m.stat,
      ...(m.unit === undefined ? {} : { Unit: m.unit }),
    },
  };
}
