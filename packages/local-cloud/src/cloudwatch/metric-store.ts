/**
 * The local CloudWatch metrics' data: per metric (namespace, name, dimension set), the samples put, in memory.
 * A metric keeps at most `maxSamplesPerMetric` samples (default 10,000), the oldest dropped first.
 */

export interface Dimension {
  Name: string;
  Value: string;
}

/** One PutMetricData datum or EMF value: raw values (for percentiles) or a statistic set. */
export interface Sample {
  timestamp: number;
  unit: string;
  sum: number;
  count: number;
  min: number;
  max: number;
  /** The raw values, when they were given one by one (StatisticValues gives none). */
  values?: number[];
}

export interface Metric {
  namespace: string;
  metricName: string;
  dimensions: Dimension[];
  samples: Sample[];
}

export const DEFAULT_MAX_SAMPLES_PER_METRIC = 10_000;

export function metricKey(namespace: string, metricName: string, dimensions: readonly Dimension[]): string {
  const dims = [...dimensions].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  return JSON.stringify([namespace, metricName, dims.map((d) => [d.Name, d.Value])]);
}

export class MetricStore {
  readonly metrics = new Map<string, Metric>();

  constructor(private readonly maxSamplesPerMetric = DEFAULT_MAX_SAMPLES_PER_METRIC) {}

  put(namespace: string, metricName: string, dimensions: readonly Dimension[], sample: Sample): void {
    const key = metricKey(namespace, metricName, dimensions);
    let metric = this.metrics.get(key);
    if (metric === undefined) {
      metric = { namespace, metricName, dimensions: [...dimensions], samples: [] };
      this.metrics.set(key, metric);
    }
    metric.samples.push(sample);
    if (metric.samples.length > this.maxSamplesPerMetric) metric.samples.shift();
  }

  get(namespace: string, metricName: string, dimensions: readonly Dimension[]): Metric | undefined {
    return this.metrics.get(metricKey(namespace, metricName, dimensions));
  }
}
