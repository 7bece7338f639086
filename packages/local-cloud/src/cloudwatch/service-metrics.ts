/**
 * Metrics the AWS services publish themselves, in the `AWS/*` namespaces that PutMetricData refuses to clients
 * (`AWS/Lambda` `IteratorAge` from the event-source mappings...). The parts of the local cloud that play those
 * services put them here; a running cloud attaches its CloudWatch store (`attachServiceMetrics`), so
 * GetMetricStatistics, GetMetricData and ListMetrics answer them. With no cloud attached they go nowhere.
 */

import type { Dimension, MetricStore } from './metric-store.js';

const stores = new Set<MetricStore>();

/** Sends the service metrics of this process to `store` from now on; the returned function stops that. */
export function attachServiceMetrics(store: MetricStore): () => void {
  stores.add(store);
  return () => {
    stores.delete(store);
  };
}

/** One value of a service metric, to every attached store. */
export function putServiceMetric(
  namespace: string,
  metricName: string,
  dimensions: readonly Dimension[],
  value: number,
  unit: string,
  timestampMs: number = Date.now(),
): void {
  for (const store of stores) {
    store.put(namespace, metricName, dimensions, {
      timestamp: timestampMs,
      unit,
      sum: value,
      count: 1,
      min: value,
      max: value,
      values: [value],
    });
  }
}
