import { describe, expect, it } from 'vitest';
import { type AlarmRule, evaluateAlarm } from '../../src/cloudwatch/alarm-evaluation.js';
import type { Sample } from '../../src/cloudwatch/metric-store.js';

const PERIOD_MS = 60_000;
/** Now is 30 s into minute 11: the last complete period is minute 10. */
const NOW = 11 * PERIOD_MS + 30_000;

function sample(minute: number, ...values: number[]): Sample {
  return {
    timestamp: minute * PERIOD_MS + 1_000,
    unit: 'Milliseconds',
    sum: values.reduce((a, b) => a + b, 0),
    count: values.length,
    min: Math.min(...values),
    max: Math.max(...values),
    values,
  };
}

const rule = (overrides: Partial<AlarmRule> = {}): AlarmRule => ({
  statistic: 'Maximum',
  periodSeconds: 60,
  evaluationPeriods: 3,
  datapointsToAlarm: 2,
  threshold: 100,
  comparisonOperator: 'GreaterThanThreshold',
  treatMissingData: 'missing',
  ...overrides,
});

describe('alarm evaluation', () => {
  it('goes to ALARM when DatapointsToAlarm of the last EvaluationPeriods periods breach, naming them', () => {
    const result = evaluateAlarm(rule(), [sample(8, 150), sample(9, 50), sample(10, 120)], NOW, 'OK');
    expect(result.state).toBe('ALARM');
    expect(result.reason).toBe(
      'Threshold Crossed: 2 out of the last 3 datapoints [120.0 (01/01/70 00:10:00), 50.0 (01/01/70 00:09:00), ' +
        '150.0 (01/01/70 00:08:00)] were greater than the threshold (100.0) (minimum 2 datapoints for OK -> ALARM transition).',
    );
  });

  it('stays OK when fewer breach, and leaves out periods before the window', () => {
    const result = evaluateAlarm(
      rule(),
      [sample(6, 900), sample(7, 900), sample(9, 150), sample(10, 50)],
      NOW,
      'ALARM',
    );
    expect(result.state).toBe('OK');
    expect(result.datapoints.map((d) => d.value)).toEqual([50, 150, undefined]);
  });

  it('compares with each operator, at the threshold itself', () => {
    const at = [sample(9, 100), sample(10, 100)];
    const state = (comparisonOperator: AlarmRule['comparisonOperator']) =>
      evaluateAlarm(rule({ comparisonOperator }), at, NOW, 'OK').state;
    expect(state('GreaterThanOrEqualToThreshold')).toBe('ALARM');
    expect(state('GreaterThanThreshold')).toBe('OK');
    expect(state('LessThanOrEqualToThreshold')).toBe('ALARM');
    expect(state('LessThanThreshold')).toBe('OK');
  });

  it('reads a percentile (ExtendedStatistic) where the average would not breach', () => {
    const values = [...Array.from({ length: 19 }, () => 10), 1_000];
    const p99 = evaluateAlarm(
      rule({ statistic: 'p99', evaluationPeriods: 1, datapointsToAlarm: 1 }),
      [sample(10, ...values)],
      NOW,
      'OK',
    );
    expect(p99.state).toBe('ALARM');
    expect(p99.datapoints[0]?.value).toBe(1_000);
    const average = evaluateAlarm(
      rule({ statistic: 'Average', evaluationPeriods: 1, datapointsToAlarm: 1 }),
      [sample(10, ...values)],
      NOW,
      'OK',
    );
    expect(average.state).toBe('OK');
    expect(average.datapoints[0]?.value).toBe(59.5);
  });

  it('treats missing data as TreatMissingData says', () => {
    const lone = [sample(10, 150)];
    const state = (
      treatMissingData: AlarmRule['treatMissingData'],
      samples: Sample[],
      current = 'OK' as const,
    ) => evaluateAlarm(rule({ treatMissingData }), samples, NOW, current).state;
    expect(state('missing', [])).toBe('INSUFFICIENT_DATA');
    expect(state('missing', lone)).toBe('OK');
    expect(state('breaching', lone)).toBe('ALARM');
    expect(state('breaching', [])).toBe('ALARM');
    expect(state('notBreaching', [])).toBe('OK');
    expect(evaluateAlarm(rule({ treatMissingData: 'notBreaching' }), [], NOW, 'OK').reason).toBe(
      'Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [NonBreaching].',
    );
    expect(evaluateAlarm(rule({ treatMissingData: 'ignore' }), [], NOW, 'ALARM').state).toBe('ALARM');
    expect(
      evaluateAlarm(rule({ treatMissingData: 'ignore' }), [sample(9, 500), sample(10, 500)], NOW, 'OK').state,
    ).toBe('ALARM');
  });
});
