import { describe, expect, it } from 'vitest';
import { judgeDatapoints } from '../../src/cloudwatch/alarm-evaluation.js';
import { type AlarmQuery, checkAlarmQueries, mathDatapoints } from '../../src/cloudwatch/alarm-queries.js';
import { evaluateNode, type MathValue, parseExpression } from '../../src/cloudwatch/metric-math.js';
import type { Sample } from '../../src/cloudwatch/metric-store.js';

/** Periods 0..3 (their starts are 0, 60, 120, 180 s); a series is its values per period, null for none. */
const T = [0, 60_000, 120_000, 180_000];
const series = (...values: Array<number | null>) =>
  new Map(values.flatMap((v, i) => (v === null ? [] : [[T[i] as number, v] as [number, number]])));

function run(expression: string, vars: Record<string, Array<number | null>>): Array<number | null> | number {
  const metricQueries = Object.entries(vars).map(([id, values]) => ({ id, series: series(...values) }));
  const value: MathValue = evaluateNode(parseExpression(expression), {
    timestamps: T,
    lookup: (id) => {
      const found = metricQueries.find((q) => q.id === id);
      if (found === undefined) throw new Error(`no ${id}`);
      return { kind: 'series', series: found.series };
    },
    metricQueries,
  });
  if (value.kind === 'scalar') return value.value;
  if (value.kind === 'array') throw new Error('array');
  return T.map((t) => value.series.get(t) ?? null);
}

describe('metric math', () => {
  const e = [2, null, 0, 5];
  const n = [4, 10, 0, null];
  it.each([
    // Between two series, only the timestamps both have; a division by zero gives no value.
    ['e / n', { e, n }, [0.5, null, null, null]],
    ['e + 1', { e }, [3, null, 1, 6]],
    ['2 ^ 3 ^ 2', {}, 512],
    ['-e * 2 + 10', { e }, [6, null, 10, 0]],
    ['(1 + 2) * 3', {}, 9],
    ['FILL(e, 0)', { e }, [2, 0, 0, 5]],
    ['FILL(e, -1)', { e }, [2, -1, 0, 5]],
    ['FILL(e, REPEAT)', { e: [null, 3, null, 4] }, [null, 3, 3, 4]],
    ['FILL(e, LINEAR)', { e: [1, null, null, 4] }, [1, 2, 3, 4]],
    // The product's API error rate: with no requests 0, not a missing value.
    ['IF(FILL(n,0) > 0, 100*FILL(e,0)/n, 0)', { e, n }, [50, 0, 0, 0]],
    // The product's DynamoDB throttles.
    ['FILL(r,0)+FILL(w,0)', { r: [1, null, null, null], w: [null, 2, null, null] }, [1, 2, 0, 0]],
    // The product's calibration: the ratio above 1 or its inverse.
    ['IF(r >= 1, r, 1/r)', { r: [2, 0.5, null, 1] }, [2, 2, null, 1]],
    ['IF(e > 1, e)', { e }, [2, null, null, 5]],
    ['e > 1 AND e < 3', { e }, [1, null, 0, 0]],
    ['e == 0 || e >= 5', { e }, [0, null, 1, 1]],
    ['NOT e', { e }, [0, null, 1, 0]],
    ['e != 2', { e }, [0, null, 1, 1]],
    ['SUM(METRICS())', { e, n }, [6, 10, 0, 5]],
    ["MAX(METRICS('e'))", { e, n }, [2, null, 0, 5]],
    ['MIN(METRICS())', { e, n }, [2, 10, 0, 5]],
    ['AVG(METRICS())', { e, n }, [3, 10, 0, 5]],
    ['SUM(e)', { e }, 7],
    ['MAX(e)', { e }, 5],
    ['e - AVG(e)', { e: [1, 2, 3, null] }, [-1, 0, 1, null]],
    ['ABS(e - 3)', { e }, [1, null, 3, 2]],
    ['CEIL(e / 4)', { e }, [1, null, 0, 2]],
    ['FLOOR(e / 4)', { e }, [0, null, 0, 1]],
  ])('evaluates %s', (expression, vars, expected) => {
    expect(run(expression, vars as Record<string, Array<number | null>>)).toEqual(expected);
  });

  it.each([
    ['RATE(m1)', /function RATE is not supported by the local cloud \(it evaluates IF, FILL, METRICS/],
    ['ANOMALY_DETECTION_BAND(m1, 2)', /function ANOMALY_DETECTION_BAND is not supported/],
    ['m1 +', /"m1 \+": ends early/],
    ['m1 ) ', /unexpected \) after the end/],
    ['IF(m1)', /IF takes 2 to 3 arguments, not 1/],
    ['M1 + 1', /M1 is not a query id/],
    ['m1 # 2', /unexpected "#" at character 4/],
    ['', /is empty/],
  ])('refuses %s, saying why', (expression, message) => {
    expect(() => parseExpression(expression)).toThrow(message);
  });
});

const stat = (id: string, metricName: string, periodSeconds = 60): AlarmQuery => ({
  id,
  returnData: false,
  metricStat: { namespace: 'Test', metricName, dimensions: [], periodSeconds, stat: 'Sum' },
});
const expr = (id: string, expression: string): AlarmQuery => ({ id, returnData: true, expression });

describe('metric-math alarm queries', () => {
  it.each([
    [
      [stat('e', 'Errors'), { ...stat('n', 'Requests'), returnData: true }, expr('r', 'e/n')],
      /exactly one of Metrics must have ReturnData true \(n, r\)/,
    ],
    [[stat('e', 'Errors'), expr('r', 'e/x')], /expression "e\/x" refers to x, which is not an id of Metrics/],
    [[stat('e', 'Errors'), expr('r', 'e'), stat('e', 'Requests')], /Metrics id e is used twice/],
    [[stat('E1', 'Errors'), expr('r', 'E1')], /Metrics id "E1" must start with a lowercase letter/],
    [[stat('e', 'Errors'), stat('n', 'Requests', 300), expr('r', 'e/n')], /different periods \(60, 300 s\)/],
    [[{ ...expr('a', 'b'), returnData: false }, expr('b', 'a')], /in a cycle/],
    [[stat('e', 'Errors'), expr('r', 'DIFF(e)')], /function DIFF is not supported/],
  ])('refuses queries CloudWatch or the local cloud would not evaluate (%#)', (queries, message) => {
    expect(() => checkAlarmQueries(queries as AlarmQuery[])).toThrow(message);
  });

  it('computes the returned expression in each period of the window from the samples of its metrics', () => {
    const queries = [
      stat('e', 'Errors'),
      stat('n', 'Requests'),
      expr('rate', 'IF(FILL(n,0) > 0, 100*FILL(e,0)/n, 0)'),
    ];
    expect(checkAlarmQueries(queries)).toEqual({ returned: 'rate', periodSeconds: 60 });
    const sample = (minute: number, value: number): Sample => ({
      timestamp: minute * 60_000 + 5_000,
      unit: 'Count',
      sum: value,
      count: 1,
      min: value,
      max: value,
    });
    const samples: Record<string, Sample[]> = {
      Errors: [sample(9, 3), sample(10, 1)],
      Requests: [sample(8, 10), sample(9, 4), sample(10, 4), sample(10, 6)],
    };
    const starts = [10, 9, 8, 7].map((m) => m * 60_000);
    const datapoints = mathDatapoints(queries, 60, starts, (m) => samples[m.metricName] ?? []);
    expect(datapoints.map((d) => d.value)).toEqual([10, 75, 0, 0]);
    const rule = {
      evaluationPeriods: 4,
      datapointsToAlarm: 2,
      threshold: 5,
      comparisonOperator: 'GreaterThanThreshold' as const,
      treatMissingData: 'missing' as const,
    };
    const judged = judgeDatapoints(rule, datapoints, 'OK');
    expect(judged.state).toBe('ALARM');
    expect(judged.reason).toMatch(
      /^Threshold Crossed: 2 out of the last 4 datapoints \[10\.0 .*, 75\.0 .*\] were greater than the threshold \(5\.0\)/,
    );
  });

  it('refuses an alarm whose expression returns several time series', () => {
    const queries = [stat('e', 'Errors'), stat('n', 'Requests'), expr('all', 'METRICS()')];
    expect(() => mathDatapoints(queries, 60, [0], () => [])).toThrow(
      /Metrics all returns 2 time series: an alarm needs one/,
    );
  });
});
