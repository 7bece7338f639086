/**
 * The CloudWatch alarms of the local cloud, kept in this process: what the deployer creates for
 * AWS::CloudWatch::Alarm and PutMetricAlarm puts (alarm-definition.ts reads both), what DescribeAlarms answers and
 * SetAlarmState sets.
 * Each alarm is evaluated (alarm-evaluation.ts) on the metrics of its cloud (its CloudWatch's store; the
 * process's `localAlarms` reads every attached store, service-metrics.ts `attachedSamples`) when created and then just after each period ends (at most every 60 s); a change
 * of state publishes the notification CloudWatch sends to the SNS topics of the new state's actions
 * (AlarmActions, OKActions, InsufficientDataActions) while ActionsEnabled.
 *
 * `STREAMFEATURES_LOCAL_ALARM_SCALE=N` (local only, 1 to 3600, read when an alarm is put) judges alarms on
 * periods N times shorter (a 300 s period lasts 5 s with 60; at least 1 s), so that alarms over 5-minute periods
 * fire in seconds in demos and tests; the alarm still shows its own Period. The default, 1, is AWS's timing.
 */

import {
  type AlarmRule,
  type AlarmState,
  type Evaluation,
  evaluateAlarm,
  judgeDatapoints,
  windowStarts,
} from './alarm-evaluation.js';
import { type AlarmQuery, mathDatapoints } from './alarm-queries.js';
import type { Dimension, MetricStore, Sample } from './metric-store.js';
import { attachedSamples } from './service-metrics.js';

/** The one metric of a single-metric alarm. */
export interface AlarmMetric {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: readonly Dimension[];
  readonly unit?: string;
}

/** A single-metric alarm has `metric`; a metric-math alarm `metrics` (its rule's statistic is then unused). */
export type AlarmSubject = { readonly metric: AlarmMetric } | { readonly metrics: readonly AlarmQuery[] };

export type AlarmDefinition = AlarmSubject & {
  readonly name: string;
  readonly arn: string;
  readonly description?: string;
  readonly rule: AlarmRule;
  readonly actionsEnabled: boolean;
  readonly alarmActions: readonly string[];
  readonly okActions: readonly string[];
  readonly insufficientDataActions: readonly string[];
  readonly region: string;
  readonly accountId: string;
  readonly configuredAtMs: number;
};

export interface AlarmStatus {
  readonly state: AlarmState;
  readonly reason: string;
  readonly reasonData?: string;
  readonly updatedAtMs: number;
  readonly transitionedAtMs: number;
}

/** Publishes an alarm's notification to an SNS topic; rejects with the reason it could not. */
export type PublishToTopic = (topicArn: string, subject: string, message: string) => Promise<void>;

export const ALARM_SCALE_VARIABLE = 'STREAMFEATURES_LOCAL_ALARM_SCALE';

/** The speed-up of alarm periods from the environment: 1 unless set; a bad value throws naming it. */
export function alarmScale(environment: NodeJS.ProcessEnv = process.env): number {
  const text = environment[ALARM_SCALE_VARIABLE];
  if (text === undefined || text === '') return 1;
  const scale = Number(text);
  if (!Number.isFinite(scale) || scale < 1 || scale > 3600)
    throw new Error(`${ALARM_SCALE_VARIABLE}=${JSON.stringify(text)} is not a number from 1 to 3600`);
  return scale;
}

interface Entry {
  definition: AlarmDefinition;
  /** The period the alarm is judged on, in seconds: its Period, unless scaled down (ALARM_SCALE_VARIABLE). */
  judgedPeriodSeconds: number;
  status: AlarmStatus;
  publish: PublishToTopic;
  onError: (message: string) => void;
  timer: NodeJS.Timeout | undefined;
  /** Who put it (a stack's resource), to refuse another with the same name. */
  owner: string;
}

/** How long after a period's end it is judged: a sample put just before the boundary is in by then. */
const EVALUATION_GRACE_MS = 1_000;

const REGION_NAMES: Readonly<Record<string, string>> = {
  'us-east-1': 'US East (N. Virginia)',
  'us-east-2': 'US East (Ohio)',
  'us-west-1': 'US West (N. California)',
  'us-west-2': 'US West (Oregon)',
  'eu-west-1': 'EU (Ireland)',
  'eu-central-1': 'EU (Frankfurt)',
};

/** The samples of a metric, where a set of alarms reads them. */
export type SamplesOf = (namespace: string, metricName: string, dimensions: readonly Dimension[]) => Sample[];

/** The samples of one cloud's CloudWatch store. */
export function samplesOfStore(store: MetricStore): SamplesOf {
  return (namespace, metricName, dimensions) => store.get(namespace, metricName, dimensions)?.samples ?? [];
}

export class LocalAlarms {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly samplesOf: SamplesOf = attachedSamples) {}

  /**
   * Adds (or replaces) an alarm, in INSUFFICIENT_DATA, and evaluates it now and every period. Throws when an
   * alarm of that name was put by another `owner` (a stack's resource).
   */
  put(
    definition: AlarmDefinition,
    publish: PublishToTopic,
    onError: (message: string) => void = () => {},
    owner = '',
  ): void {
    const existing = this.entries.get(definition.name);
    if (existing !== undefined && existing.owner !== owner)
      throw new Error(`alarm ${definition.name} already exists (${existing.owner})`);
    const judgedPeriodSeconds = Math.max(1, definition.rule.periodSeconds / alarmScale());
    this.remove(definition.name);
    const now = Date.now();
    const entry: Entry = {
      definition,
      judgedPeriodSeconds,
      status: {
        state: 'INSUFFICIENT_DATA',
        reason: 'Unchecked: Initial alarm creation',
        updatedAtMs: now,
        transitionedAtMs: now,
      },
      publish,
      onError,
      timer: undefined,
      owner,
    };
    this.entries.set(definition.name, entry);
    const everyMs = Math.min(judgedPeriodSeconds, 60) * 1000;
    const graceMs = Math.min(EVALUATION_GRACE_MS, everyMs / 4);
    const tick = () => {
      if (this.entries.get(definition.name) !== entry) return;
      this.evaluate(entry, Date.now());
      // Just after each boundary, when the period that ended is complete: each period is judged with all its data.
      entry.timer = setTimeout(tick, everyMs - (Date.now() % everyMs) + graceMs);
      entry.timer.unref();
    };
    tick();
  }

  remove(name: string): void {
    const entry = this.entries.get(name);
    if (entry?.timer !== undefined) clearTimeout(entry.timer);
    this.entries.delete(name);
  }

  /** Enable/DisableAlarmActions: the alarm's ActionsEnabled, its state kept. False when there is no such alarm. */
  setActionsEnabled(name: string, enabled: boolean): boolean {
    const entry = this.entries.get(name);
    if (entry === undefined) return false;
    entry.definition = { ...entry.definition, actionsEnabled: enabled };
    return true;
  }

  /** Removes the alarms `owner` put (a CloudWatch service that stops takes the alarms put through it along). */
  removeOwnedBy(owner: string): void {
    for (const [name, entry] of this.entries) if (entry.owner === owner) this.remove(name);
  }

  /** Who put the alarm (a stack's resource, or the API), undefined when there is none of that name. */
  ownerOf(name: string): string | undefined {
    return this.entries.get(name)?.owner;
  }

  find(name: string): { definition: AlarmDefinition; status: AlarmStatus } | undefined {
    const entry = this.entries.get(name);
    return entry === undefined ? undefined : { definition: entry.definition, status: entry.status };
  }

  list(): Array<{ definition: AlarmDefinition; status: AlarmStatus }> {
    return [...this.entries.values()]
      .map((e) => ({ definition: e.definition, status: e.status }))
      .sort((a, b) =>
        a.definition.name < b.definition.name ? -1 : a.definition.name > b.definition.name ? 1 : 0,
      );
  }

  /** SetAlarmState: the state until the next evaluation, with its actions. False when there is no such alarm. */
  setState(name: string, state: AlarmState, reason: string, reasonData?: string): boolean {
    const entry = this.entries.get(name);
    if (entry === undefined) return false;
    this.transition(entry, state, reason, Date.now(), reasonData);
    return true;
  }

  /** Evaluates every alarm at `nowMs` (tests, and after metrics arrive when one cannot wait a period). */
  evaluateAll(nowMs: number = Date.now()): void {
    for (const entry of this.entries.values()) this.evaluate(entry, nowMs);
  }

  private evaluate(entry: Entry, nowMs: number): void {
    const { definition } = entry;
    let result: Evaluation;
    try {
      result = evaluationOf(this.samplesOf, definition, entry.judgedPeriodSeconds, nowMs, entry.status.state);
    } catch (error) {
      entry.onError(`alarm ${definition.name}: ${(error as Error).message}`);
      return;
    }
    const reasonData = JSON.stringify({
      version: '1.0',
      queryDate: new Date(nowMs).toISOString().replace('Z', '+0000'),
      ...('metric' in definition ? { statistic: definition.rule.statistic } : {}),
      period: definition.rule.periodSeconds,
      recentDatapoints: result.datapoints.flatMap((d) => (d.value === undefined ? [] : [d.value])).reverse(),
      threshold: definition.rule.threshold,
      evaluatedDatapoints: result.datapoints.map((d) => ({
        timestamp: new Date(d.start).toISOString().replace('Z', '+0000'),
        ...(d.value === undefined ? {} : { value: d.value }),
      })),
    });
    if (result.state === entry.status.state) return;
    this.transition(entry, result.state, result.reason, nowMs, reasonData);
  }

  private transition(
    entry: Entry,
    state: AlarmState,
    reason: string,
    nowMs: number,
    reasonData?: string,
  ): void {
    const old = entry.status.state;
    entry.status = {
      state,
      reason,
      ...(reasonData === undefined ? {} : { reasonData }),
      updatedAtMs: nowMs,
      transitionedAtMs: old === state ? entry.status.transitionedAtMs : nowMs,
    };
    if (old === state || !entry.definition.actionsEnabled) return;
    const d = entry.definition;
    const actions =
      state === 'ALARM' ? d.alarmActions : state === 'OK' ? d.okActions : d.insufficientDataActions;
    if (actions.length === 0) return;
    const region = REGION_NAMES[d.region] ?? d.region;
    const subject = `${state}: "${d.name}" in ${region}`.slice(0, 100);
    const message = JSON.stringify(notification(d, old, entry.status, region));
    for (const action of actions) {
      if (!/^arn:aws[\w-]*:sns:/.test(action)) {
        entry.onError(`alarm ${d.name}: action ${action} is not run locally (SNS topics are)`);
        continue;
      }
      void entry.publish(action, subject, message).catch((error: unknown) => {
        entry.onError(
          `alarm ${d.name}: publishing to ${action} failed: ${(error as Error).message ?? String(error)}`,
        );
      });
    }
  }
}

function evaluationOf(
  samplesOf: SamplesOf,
  definition: AlarmDefinition,
  periodSeconds: number,
  nowMs: number,
  current: AlarmState,
): Evaluation {
  const rule = { ...definition.rule, periodSeconds };
  if ('metric' in definition) {
    const { namespace, metricName, dimensions, unit } = definition.metric;
    const samples = samplesOf(namespace, metricName, dimensions).filter(
      (s) => unit === undefined || s.unit === unit,
    );
    return evaluateAlarm(rule, samples, nowMs, current);
  }
  const starts = windowStarts(rule.periodSeconds, rule.evaluationPeriods, nowMs);
  const datapoints = mathDatapoints(definition.metrics, rule.periodSeconds, starts, (m) =>
    samplesOf(m.namespace, m.metricName, m.dimensions),
  );
  return judgeDatapoints(rule, datapoints, current);
}

/** `2026-12-06T17:00:00.000+0000`, as CloudWatch dates its notifications. */
function notificationTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** The JSON message CloudWatch publishes to SNS on a state change. */
export function notification(
  d: AlarmDefinition,
  oldState: AlarmState,
  status: AlarmStatus,
  regionName: string,
): Record<string, unknown> {
  return {
    AlarmName: d.name,
    AlarmDescription: d.description ?? null,
    AWSAccountId: d.accountId,
    AlarmConfigurationUpdatedTimestamp: notificationTime(d.configuredAtMs),
    NewStateValue: status.state,
    NewStateReason: status.reason,
    StateChangeTime: notificationTime(status.updatedAtMs),
    Region: regionName,
    AlarmArn: d.arn,
    OldStateValue: oldState,
    OKActions: d.okActions,
    AlarmActions: d.alarmActions,
    InsufficientDataActions: d.insufficientDataActions,
    Trigger: {
      ...('metric' in d
        ? metricTrigger(d.metric, d.rule.statistic)
        : { Metrics: d.metrics.map(queryTrigger) }),
      Period: d.rule.periodSeconds,
      EvaluationPeriods: d.rule.evaluationPeriods,
      DatapointsToAlarm: d.rule.datapointsToAlarm,
      ComparisonOperator: d.rule.comparisonOperator,
      Threshold: d.rule.threshold,
      TreatMissingData: d.rule.treatMissingData,
      EvaluateLowSampleCountPercentile: '',
    },
  };
}

function metricTrigger(m: AlarmMetric, statistic: string): Record<string, unknown> {
  const percentile = /^p/.test(statistic);
  return {
    MetricName: m.metricName,
    Namespace: m.namespace,
    StatisticType: percentile ? 'ExtendedStatistic' : 'Statistic',
    ...(percentile ? { ExtendedStatistic: statistic } : { Statistic: statistic.toUpperCase() }),
    Unit: m.unit ?? null,
    Dimensions: m.dimensions.map((x) => ({ value: x.Value, name: x.Name })),
  };
}

/** A query of a metric-math alarm as CloudWatch's notification shows it (camel-case keys, as AWS sends). */
function queryTrigger(q: AlarmQuery): Record<string, unknown> {
  const common = { id: q.id, ...(q.label === undefined ? {} : { label: q.label }), returnData: q.returnData };
  if ('expression' in q) return { expression: q.expression, ...common };
  const m = q.metricStat;
  return {
    ...common,
    metricStat: {
      metric: {
        dimensions: m.dimensions.map((x) => ({ value: x.Value, name: x.Name })),
        metricName: m.metricName,
        namespace: m.namespace,
      },
      period: m.periodSeconds,
      stat: m.stat,
      ...(m.unit === undefined ? {} : { unit: m.unit }),
    },
  };
}

/**
 * The alarms of this process, on the metrics of every attached store: where the deployer puts alarms when it is
 * given no cloud's (`EngineOptions.alarms`). Each local cloud's CloudWatch has alarms of its own.
 */
export const localAlarms = new LocalAlarms();
