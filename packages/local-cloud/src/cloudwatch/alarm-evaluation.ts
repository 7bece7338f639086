/**
 * How CloudWatch evaluates a static-threshold alarm on one metric (pure): the statistic of each of the last
 * `EvaluationPeriods` complete periods (aligned to multiples of `Period` since the epoch; the one in progress is
 * left out, so every period is judged once all of its data is in, whenever in it a sample arrived), each datapoint breaching
 * or not by `ComparisonOperator` and `Threshold`, then:
 *
 * - ALARM when at least `DatapointsToAlarm` (default `EvaluationPeriods`) of them breach;
 * - missing periods, by `TreatMissingData`: `missing` (the default) leaves them out (all missing:
 *   INSUFFICIENT_DATA), `breaching` and `notBreaching` count them as such, `ignore` keeps the current state
 *   when all are missing and otherwise leaves them out;
 * - otherwise OK.
 *
 * Differences: CloudWatch looks further back than the window when `missing` data leaves too few datapoints;
 * `EvaluateLowSampleCountPercentile` is not applied (percentiles are computed from any sample count).
 */

import type { Sample } from './metric-store.js';
import { PERCENTILE, percentile, STATISTICS, type Statistic, statistic } from './statistics.js';

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export const COMPARISON_OPERATORS = {
  GreaterThanOrEqualToThreshold: {
    words: 'greater than or equal to',
    breaches: (v: number, t: number) => v >= t,
  },
  GreaterThanThreshold: { words: 'greater than', breaches: (v: number, t: number) => v > t },
  LessThanThreshold: { words: 'less than', breaches: (v: number, t: number) => v < t },
  LessThanOrEqualToThreshold: { words: 'less than or equal to', breaches: (v: number, t: number) => v <= t },
} as const;
export type ComparisonOperator = keyof typeof COMPARISON_OPERATORS;

export const TREAT_MISSING_DATA = ['missing', 'breaching', 'notBreaching', 'ignore'] as const;
export type TreatMissingData = (typeof TREAT_MISSING_DATA)[number];

export interface AlarmRule {
  /** `Maximum`..., or a percentile `p99` (ExtendedStatistic). */
  readonly statistic: string;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly threshold: number;
  readonly comparisonOperator: ComparisonOperator;
  readonly treatMissingData: TreatMissingData;
}

export interface Evaluation {
  readonly state: AlarmState;
  readonly reason: string;
  /** The datapoints evaluated, newest first (undefined: no data in that period). */
  readonly datapoints: ReadonlyArray<{ readonly start: number; readonly value: number | undefined }>;
}

/** A statistic name CloudWatch alarms take; throws naming it otherwise. */
export function checkStatistic(name: string): string {
  if ((STATISTICS as readonly string[]).includes(name) || PERCENTILE.test(name)) return name;
  throw new Error(
    `statistic ${JSON.stringify(name)} is not one of ${STATISTICS.join(', ')} or a percentile pNN`,
  );
}

function datapointValue(samples: readonly Sample[], name: string): number | undefined {
  if (samples.length === 0) return undefined;
  if ((STATISTICS as readonly string[]).includes(name)) return statistic(samples, name as Statistic);
  return percentile(samples, name);
}

/** CloudWatch's number format in state reasons: `5.0`, `0.25`. */
function shown(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

/** `06/12/26 17:00:00`, as CloudWatch dates the datapoints of a state reason (UTC). */
function stamp(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCFullYear() % 100)} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

/** The starts of the last `evaluationPeriods` complete periods at `nowMs`, newest first. */
export function windowStarts(periodSeconds: number, evaluationPeriods: number, nowMs: number): number[] {
  const periodMs = periodSeconds * 1000;
  const newest = Math.floor(nowMs / periodMs) * periodMs - periodMs;
  return Array.from({ length: evaluationPeriods }, (_, i) => newest - i * periodMs);
}

export function evaluateAlarm(
  rule: AlarmRule,
  samples: readonly Sample[],
  nowMs: number,
  current: AlarmState,
): Evaluation {
  const periodMs = rule.periodSeconds * 1000;
  const datapoints = windowStarts(rule.periodSeconds, rule.evaluationPeriods, nowMs).map((start) => {
    const inPeriod = samples.filter((s) => s.timestamp >= start && s.timestamp < start + periodMs);
    return { start, value: datapointValue(inPeriod, rule.statistic) };
  });
  return judgeDatapoints(rule, datapoints, current);
}

/** The state the datapoints of the window (newest first; undefined: missing) put the alarm in, and why. */
export function judgeDatapoints(
  rule: Omit<AlarmRule, 'statistic' | 'periodSeconds'>,
  datapoints: ReadonlyArray<{ readonly start: number; readonly value: number | undefined }>,
  current: AlarmState,
): Evaluation {
  const operator = COMPARISON_OPERATORS[rule.comparisonOperator];
  const present = datapoints.filter((d) => d.value !== undefined) as Array<{ start: number; value: number }>;
  const missing = datapoints.length - present.length;
  let breaching = present.filter((d) => operator.breaches(d.value, rule.threshold)).length;
  if (rule.treatMissingData === 'breaching') breaching += missing;
  const listed = present.map((d) => `${shown(d.value)} (${stamp(d.start)})`).join(', ');
  const out = `${present.length} out of the last ${rule.evaluationPeriods} datapoints [${listed}]`;
  const threshold = `the threshold (${shown(rule.threshold)})`;
  if (present.length === 0 && (rule.treatMissingData === 'missing' || rule.treatMissingData === 'ignore')) {
    if (rule.treatMissingData === 'ignore')
      return { state: current, reason: 'no datapoints: state kept (ignore)', datapoints };
    return {
      state: 'INSUFFICIENT_DATA',
      reason: `Insufficient Data: ${rule.evaluationPeriods} datapoints were unknown.`,
      datapoints,
    };
  }
  if (present.length === 0) {
    // All missing, counted as breaching or not: CloudWatch's own words for it.
    const n = rule.evaluationPeriods;
    const treated = rule.treatMissingData === 'breaching' ? 'Breaching' : 'NonBreaching';
    return {
      state: breaching >= rule.datapointsToAlarm ? 'ALARM' : 'OK',
      reason:
        `Threshold Crossed: no datapoints were received for ${n} period${n === 1 ? '' : 's'} and ${n} missing ` +
        `datapoint${n === 1 ? ' was' : 's were'} treated as [${treated}].`,
      datapoints,
    };
  }
  if (breaching >= rule.datapointsToAlarm) {
    return {
      state: 'ALARM',
      reason:
        `Threshold Crossed: ${breaching} out of the last ${rule.evaluationPeriods} datapoints` +
        `${present.length > 0 ? ` [${listed}]` : ''} ${breaching === 1 ? 'was' : 'were'} ${operator.words} ${threshold}` +
        ` (minimum ${rule.datapointsToAlarm} datapoint${rule.datapointsToAlarm === 1 ? '' : 's'} for OK -> ALARM transition).`,
      datapoints,
    };
  }
  return {
    state: 'OK',
    reason: `Threshold Crossed: ${out} ${present.length === 1 ? 'was' : 'were'} not ${operator.words} ${threshold}.`,
    datapoints,
  };
}
