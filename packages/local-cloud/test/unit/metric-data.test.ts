import { describe, expect, it } from 'vitest';
import { mathDatapoints } from '../../src/cloudwatch/alarm-queries.js';
import { getMetricData } from '../../src/cloudwatch/metric-data.js';
import type { Sample } from '../../src/cloudwatch/metric-store.js';

const MINUTE = 60_000;
const sample = (minute: number, value: number): Sample => ({
  timestamp: minute * MINUTE + 5_000,
  unit: 'Count',
  sum: value,
  count: 1,
  min: value,
  max: value,
  values: [value],
});

/** Errors and Requests of namespace App, by minute. */
const SAMPLES: Record<string, Sample[]> = {
  Errors: [sample(2, 1), sample(5, 3)],
  Requests: [sample(2, 10), sample(4, 0), sample(5, 6), sample(9, 20)],
};
const samplesOf = (_namespace: string, metricName: string) => SAMPLES[metricName] ?? [];

const stat = (id: string, metricName: string, returnData = false, period = 60) => ({
  Id: id,
  ReturnData: returnData,
  MetricStat: { Metric: { Namespace: 'App', MetricName: metricName }, Period: period, Stat: 'Sum' },
});

type Result = { Id: string; Label: string; Timestamps: Date[]; Values: number[]; Messages: unknown[] };
function query(queries: unknown[], fromMinute: number, toMinute: number): Result[] {
  const answer = getMetricData(
    {
      StartTime: new Date(fromMinute * MINUTE),
      EndTime: new Date(toMinute * MINUTE),
      ScanBy: 'TimestampAscending',
      MetricDataQueries: queries,
    },
    samplesOf,
  ) as { MetricDataResults: Result[] };
  return answer.MetricDataResults;
}
const minutes = (r: Result) => r.Timestamps.map((t) => t.getTime() / MINUTE);

describe('GetMetricData with metric math', () => {
  it('answers an expression per period, and each MetricStat with ReturnData', () => {
    const [requests, rate] = query(
      [stat('e', 'Errors'), stat('n', 'Requests', true), { Id: 'rate', Expression: '100 * FILL(e, 0) / n' }],
      2,
      6,
    );
    expect(requests?.Values).toEqual([10, 0, 6]);
    expect(rate).toMatchObject({ Id: 'rate', Label: 'rate', Values: [10, 50] });
    expect(minutes(rate as Result)).toEqual([2, 5]);
    // 100 * 0 / 0 at minute 4 is dropped, and the result says so as CloudWatch does.
    expect(rate?.Messages).toEqual([
      {
        Code: 'ArithmeticError',
        Value:
          'One or more data-points have been dropped due to non-numeric values (NaN, -Infinite, +Infinite)',
      },
    ]);
  });

  it('fills with REPEAT from the last value before StartTime', () => {
    const [filled] = query([stat('e', 'Errors'), { Id: 'r', Expression: 'FILL(e, REPEAT)' }], 3, 7);
    // Errors has 1 at minute 2 (before the window) and 3 at minute 5.
    expect(filled?.Values).toEqual([1, 1, 3, 3]);
  });

  it('fills with LINEAR between values before StartTime and after EndTime', () => {
    const [filled] = query([stat('n', 'Requests'), { Id: 'l', Expression: 'FILL(n, LINEAR)' }], 6, 8);
    // Requests: 6 at minute 5, 20 at minute 9; minutes 6 and 7 lie on that line.
    expect(filled?.Values).toEqual([9.5, 13]);
  });

  it('leaves a gap with no value before it missing with REPEAT', () => {
    const [filled] = query([stat('e', 'Errors'), { Id: 'r', Expression: 'FILL(e, REPEAT)' }], 0, 3);
    expect(minutes(filled as Result)).toEqual([2]);
  });

  it('aggregates a series to a scalar over the window only', () => {
    const [total] = query([stat('n', 'Requests'), { Id: 't', Expression: 'SUM(n)' }], 4, 6);
    // 0 + 6 in the window (not the 10 before nor the 20 after), at each period of it.
    expect(total?.Values).toEqual([6, 6]);
  });

  it('answers an array of time series as one result each', () => {
    const results = query(
      [stat('e', 'Errors'), stat('n', 'Requests'), { Id: 'all', Expression: 'METRICS()' }],
      5,
      6,
    );
    expect(results.map((r) => [r.Id, r.Values])).toEqual([
      ['all', [3]],
      ['all', [6]],
    ]);
  });

  it.each([
    [
      [stat('e', 'Errors'), { Id: 'r', Expression: 'RATE(e)' }],
      /function RATE is not supported by the local cloud/,
    ],
    [[stat('e', 'Errors'), { Id: 'r', Expression: 'e +' }], /expression "e \+": ends early/],
    [[stat('e', 'Errors'), { Id: 'r', Expression: 'x * 2' }], /refers to x, which is not an id/],
    [
      [stat('e', 'Errors'), stat('n', 'Requests', false, 300), { Id: 'r', Expression: 'e/n' }],
      /different periods/,
    ],
    [[{ Id: 'r', Expression: 'e', MetricStat: {} }], /needs exactly one of Expression and MetricStat/],
  ])('refuses what it cannot evaluate with a ValidationError naming it (%#)', (queries, message) => {
    let thrown: unknown;
    try {
      query(queries, 0, 10);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'ValidationError', message: expect.stringMatching(message) });
  });
});

describe('alarm metric math', () => {
  it('repeats a value from before the evaluation window', () => {
    const queries = [
      {
        id: 'e',
        returnData: false,
        metricStat: {
          namespace: 'App',
          metricName: 'Errors',
          dimensions: [],
          periodSeconds: 60,
          stat: 'Sum',
        },
      },
      { id: 'r', returnData: true, expression: 'FILL(e, REPEAT)' },
    ];
    const starts = [4, 3].map((m) => m * MINUTE);
    const datapoints = mathDatapoints(queries, 60, starts, () => SAMPLES.Errors ?? []);
    expect(datapoints.map((d) => d.value)).toEqual([1, 1]);
  });
});
