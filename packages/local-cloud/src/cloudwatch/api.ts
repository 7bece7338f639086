/**
 * CloudWatch metrics operations over a MetricStore, protocol-neutral: inputs read with input.ts; outputs use
 * Date for timestamps and Map for map members, which each protocol writes its own way.
 */

import { AwsApiError } from '../services/aws-errors.js';
import { type AlarmHost, alarmOperations } from './alarm-api.js';
import { type LocalAlarms, localAlarms } from './alarms.js';
import {
  type Input,
  invalid,
  list,
  missing,
  num,
  obj,
  requiredStr,
  requiredTime,
  str,
  time,
} from './input.js';
import { getMetricData } from './metric-data.js';
import type { Dimension, MetricStore, Sample } from './metric-store.js';
import { bucketsOf, PERCENTILE, percentile, STATISTICS, type Statistic, statistic } from './statistics.js';

export type CloudWatchOperation = (input: Input) => unknown;

const UNITS = new Set([
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
]);
const MAX_DATAPOINTS = 1_440;
const MAX_PUT_DATA = 1_000;

export function cloudWatchOperations(
  store: MetricStore,
  alarmHost: AlarmHost,
  alarms: LocalAlarms = localAlarms,
): Record<string, CloudWatchOperation> {
  return {
    ...alarmOperations(alarms, alarmHost),
    PutMetricData(input) {
      const namespace = requiredStr(input, 'Namespace');
      if (namespace.startsWith('AWS/'))
        throw invalid('The value AWS/ for parameter Namespace is invalid: it is reserved.');
      const data = list(input, 'MetricData');
      if (data.length === 0) throw missing('MetricData');
      if (data.length > MAX_PUT_DATA)
        throw invalid(`MetricData holds ${data.length} items: at most ${MAX_PUT_DATA}.`);
      const now = Date.now();
      const parsed = data.map((item, i) => datum(obj(item, `MetricData.member.${i + 1}`), now));
      for (const d of parsed) store.put(namespace, d.metricName, d.dimensions, d.sample);
      return {};
    },
    GetMetricStatistics(input) {
      const namespace = requiredStr(input, 'Namespace');
      const metricName = requiredStr(input, 'MetricName');
      const dimensions = dimensionsOf(input, 'Dimensions');
      const startMs = requiredTime(input, 'StartTime');
      const endMs = requiredTime(input, 'EndTime');
      const period = num(input, 'Period');
      if (period === undefined) throw missing('Period');
      if (![1, 5, 10, 30].includes(period) && !(period > 0 && period % 60 === 0)) {
        throw invalid(`The parameter Period must be 1, 5, 10, 30, or a multiple of 60 (got ${period}).`);
      }
      if (endMs <= startMs) throw invalid('The parameter StartTime must be less than the parameter EndTime.');
      const statistics = list(input, 'Statistics').map(String);
      const extended = list(input, 'ExtendedStatistics').map(String);
      if (statistics.length === 0 && extended.length === 0) {
        throw new AwsApiError(
          'InvalidParameterCombination',
          'Must specify either Statistics or ExtendedStatistics.',
        );
      }
      for (const s of statistics) {
        if (!(STATISTICS as readonly string[]).includes(s))
          throw invalid(`The parameter Statistics contains ${s}: use ${STATISTICS.join(', ')}.`);
      }
      for (const s of extended) {
        if (!PERCENTILE.test(s))
          throw invalid(
            `The parameter ExtendedStatistics contains ${s}: only percentiles (p0.0 to p100) are supported locally.`,
          );
      }
      const unit = str(input, 'Unit');
      const samples = (store.get(namespace, metricName, dimensions)?.samples ?? []).filter(
        (s) => unit === undefined || s.unit === unit,
      );
      const buckets = bucketsOf(samples, startMs, endMs, period * 1000);
      if (buckets.length > MAX_DATAPOINTS) {
        throw invalid(
          `The query asks for ${buckets.length} datapoints: at most ${MAX_DATAPOINTS}; use a longer Period.`,
        );
      }
      return {
        Label: metricName,
        Datapoints: buckets.map((bucket) => {
          const point: Record<string, unknown> = { Timestamp: new Date(bucket.start) };
          for (const s of statistics) point[s] = statistic(bucket.samples, s as Statistic);
          point.Unit = unit ?? bucket.samples[0]?.unit ?? 'None';
          if (extended.length > 0) {
            const values = new Map<string, number>();
            for (const name of extended) {
              const value = percentile(bucket.samples, name);
              if (value !== undefined) values.set(name, value);
            }
            point.ExtendedStatistics = values;
          }
          return point;
        }),
      };
    },
    ListMetrics(input) {
      const namespace = str(input, 'Namespace');
      const metricName = str(input, 'MetricName');
      const filters = list(input, 'Dimensions').map((d, i) => {
        const f = obj(d, `Dimensions.member.${i + 1}`);
        return { name: requiredStr(f, 'Name'), value: str(f, 'Value') };
      });
      const metrics = [...store.metrics.values()]
        .filter(
          (m) =>
            (namespace === undefined || m.namespace === namespace) &&
            (metricName === undefined || m.metricName === metricName) &&
            filters.every((f) =>
              m.dimensions.some((d) => d.Name === f.name && (f.value === undefined || d.Value === f.value)),
            ),
        )
        .map((m) => ({ Namespace: m.namespace, MetricName: m.metricName, Dimensions: m.dimensions }));
      const start = Number(str(input, 'NextToken') ?? 0);
      const page = metrics.slice(start, start + 500);
      return { Metrics: page, ...(start + 500 < metrics.length ? { NextToken: String(start + 500) } : {}) };
    },
    GetMetricData: (input) =>
      getMetricData(
        input,
        (namespace, metricName, dimensions) => store.get(namespace, metricName, dimensions)?.samples ?? [],
      ),
  };
}

function dimensionsOf(input: Input, name: string): Dimension[] {
  const dims = list(input, name).map((d, i) => {
    const dim = obj(d, `${name}.member.${i + 1}`);
    return { Name: requiredStr(dim, 'Name'), Value: requiredStr(dim, 'Value') };
  });
  if (dims.length > 30) throw invalid(`${name} holds ${dims.length} dimensions: at most 30.`);
  return dims;
}

function datum(item: Input, now: number): { metricName: string; dimensions: Dimension[]; sample: Sample } {
  const metricName = requiredStr(item, 'MetricName');
  const dimensions = dimensionsOf(item, 'Dimensions');
  const unit = str(item, 'Unit') ?? 'None';
  if (!UNITS.has(unit)) throw invalid(`The value ${unit} for parameter MetricData.member.Unit is invalid.`);
  const timestamp = time(item, 'Timestamp') ?? now;
  const value = num(item, 'Value');
  const member = (v: unknown, name: string): number => {
    const n = num({ [name]: v }, name);
    if (n === undefined) throw missing(name);
    return n;
  };
  const values = list(item, 'Values').map((v, i) => member(v, `Values.member.${i + 1}`));
  const counts = list(item, 'Counts').map((v, i) => member(v, `Counts.member.${i + 1}`));
  const set = item.StatisticValues === undefined ? undefined : obj(item.StatisticValues, 'StatisticValues');
  const given = [value !== undefined, values.length > 0, set !== undefined].filter(Boolean).length;
  if (given !== 1) {
    throw new AwsApiError(
      'InvalidParameterCombination',
      `MetricData ${metricName}: give exactly one of Value, Values or StatisticValues.`,
    );
  }
  if (set !== undefined) {
    const field = (n: string) => {
      const v = num(set, n);
      if (v === undefined) throw missing(`StatisticValues.${n}`);
      return v;
    };
    return {
      metricName,
      dimensions,
      sample: {
        timestamp,
        unit,
        sum: field('Sum'),
        count: field('SampleCount'),
        min: field('Minimum'),
        max: field('Maximum'),
      },
    };
  }
  const raw = value === undefined ? values : [value];
  if (counts.length > 0 && counts.length !== raw.length) {
    throw invalid(`MetricData ${metricName}: Counts holds ${counts.length} items, Values ${raw.length}.`);
  }
  const expanded = raw.flatMap((v, i) => Array.from({ length: Math.min(counts[i] ?? 1, 10_000) }, () => v));
  return {
    metricName,
    dimensions,
    sample: {
      timestamp,
      unit,
      sum: expanded.reduce((a, b) => a + b, 0),
      count: expanded.length,
      min: Math.min(...expanded),
      max: Math.max(...expanded),
      values: expanded,
    },
  };
}
