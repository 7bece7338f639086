/**
 * The alarm operations of the local CloudWatch, protocol-neutral as api.ts: DescribeAlarms (AlarmNames,
 * AlarmNamePrefix, StateValue, ActionPrefix, MaxRecords/NextToken; metric alarms only), DescribeAlarmsForMetric,
 * SetAlarmState, PutMetricAlarm (read as the deployer reads a template's alarm: alarm-definition.ts),
 * DeleteAlarms, EnableAlarmActions and DisableAlarmActions. An alarm put here is evaluated and notifies its SNS
 * actions as a deployed one does.
 */

import { AwsApiError } from '../services/aws-errors.js';
import { alarmDefinitionOf, dimensionsOf } from './alarm-definition.js';
import type { AlarmState } from './alarm-evaluation.js';
import type { AlarmQuery } from './alarm-queries.js';
import type { AlarmDefinition, AlarmMetric, AlarmStatus, LocalAlarms, PublishToTopic } from './alarms.js';
import { type Input, invalid, list, num, requiredStr, str } from './input.js';

const STATES: readonly AlarmState[] = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];

/** The owner the alarms put through the API have (a stack's alarms have `<stack>/<logical id>`). */
export const API_OWNER = 'PutMetricAlarm';

/** Whether an alarm of this owner was put through the API (of any CloudWatch service of the process). */
const putThroughApi = (owner: string) => owner === API_OWNER || owner.startsWith(`${API_OWNER} `);

/** CloudWatch's limit on the names of one DeleteAlarms, EnableAlarmActions or DisableAlarmActions. */
const MAX_NAMES = 100;

/** What alarms put through the API need from the cloud: where they are, how they notify and report. */
export interface AlarmHost {
  readonly region: string;
  readonly accountId: string;
  /** Publishes a notification to an SNS topic of the cloud. */
  readonly publish: PublishToTopic;
  /** Evaluation errors and actions not run (the alarm's name is in the line). */
  readonly onLog: (line: string) => void;
  /** The owner its alarms get, so that the service removes its own when it stops. @default API_OWNER */
  readonly owner?: string;
}

export function alarmOperations(
  alarms: LocalAlarms,
  host: AlarmHost,
): Record<string, (input: Input) => unknown> {
  const names = (input: Input): string[] => {
    const given = list(input, 'AlarmNames').map(String);
    if (given.length > MAX_NAMES)
      throw invalid(`AlarmNames holds ${given.length} names: at most ${MAX_NAMES}.`);
    return given;
  };
  const setActions = (input: Input, enabled: boolean) => {
    // As CloudWatch: names of no alarm are passed over.
    for (const name of names(input)) alarms.setActionsEnabled(name, enabled);
    return {};
  };
  return {
    PutMetricAlarm(input) {
      const name = requiredStr(input, 'AlarmName');
      if (name.length > 255)
        throw invalid(`AlarmName ${name.slice(0, 40)}... is longer than 255 characters.`);
      if (input.ThresholdMetricId !== undefined)
        throw invalid(
          `Alarm ${name}: anomaly-detection alarms (ThresholdMetricId) are not evaluated by the local cloud.`,
        );
      const owner = alarms.ownerOf(name);
      if (owner !== undefined && !putThroughApi(owner))
        throw invalid(
          `Alarm ${name} belongs to the stack resource ${owner}: change it in its template (the local cloud does not let the API replace a stack's alarm).`,
        );
      let definition: AlarmDefinition;
      try {
        definition = alarmDefinitionOf(input, {
          name,
          arn: `arn:aws:cloudwatch:${host.region}:${host.accountId}:alarm:${name}`,
          region: host.region,
          accountId: host.accountId,
          configuredAtMs: Date.now(),
        });
      } catch (error) {
        throw new AwsApiError('ValidationError', `Alarm ${name}: ${(error as Error).message}`);
      }
      alarms.put(definition, host.publish, host.onLog, owner ?? host.owner ?? API_OWNER);
      return {};
    },
    DeleteAlarms(input) {
      const given = names(input);
      const unknown = given.filter((name) => alarms.find(name) === undefined);
      // As CloudWatch: one unknown name and none is deleted.
      if (unknown.length > 0)
        throw new AwsApiError('ResourceNotFound', `Alarm(s) not found: ${unknown.join(', ')}`, 404);
      for (const name of given) alarms.remove(name);
      return {};
    },
    EnableAlarmActions: (input) => setActions(input, true),
    DisableAlarmActions: (input) => setActions(input, false),
    DescribeAlarmsForMetric(input) {
      const namespace = requiredStr(input, 'Namespace');
      const metricName = requiredStr(input, 'MetricName');
      let dimensions: ReturnType<typeof dimensionsOf>;
      try {
        dimensions = dimensionsOf(input.Dimensions, 'Dimensions');
      } catch (error) {
        throw invalid((error as Error).message);
      }
      const statistic = str(input, 'Statistic') ?? str(input, 'ExtendedStatistic');
      const period = num(input, 'Period');
      const unit = str(input, 'Unit');
      const key = (ds: readonly { Name: string; Value: string }[]) =>
        JSON.stringify([...ds].map((d) => [d.Name, d.Value]).sort());
      // As CloudWatch: single-metric alarms on exactly this metric; metric-math alarms are not listed.
      const matching = alarms.list().filter(({ definition: d }) => {
        if (!('metric' in d)) return false;
        const m = d.metric;
        return (
          m.namespace === namespace &&
          m.metricName === metricName &&
          key(m.dimensions) === key(dimensions) &&
          (statistic === undefined || d.rule.statistic === statistic) &&
          (period === undefined || d.rule.periodSeconds === period) &&
          (unit === undefined || m.unit === unit)
        );
      });
      return { MetricAlarms: matching.map(({ definition, status }) => describedAlarm(definition, status)) };
    },
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
        MetricAlarms: page.map(({ definition, status }) => describedAlarm(definition, status)),
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

/** An alarm as DescribeAlarms and DescribeAlarmsForMetric answer it. */
function describedAlarm(d: AlarmDefinition, status: AlarmStatus): Record<string, unknown> {
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
