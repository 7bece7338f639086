/**
 * Metrics the AWS services publish themselves, in the `AWS/*` namespaces that PutMetricData refuses to clients
 * (`AWS/Lambda` `IteratorAge` from the event-source mappings...). Each cloud's CloudWatch makes one
 * `ServiceMetrics` into its own store (`serviceMetricsInto`), and the cloud hands it to the parts that play those
 * services (functions, mappings, Firehose, HTTP APIs), so two clouds in one process keep their metrics apart.
 * A part run on its own, without a cloud, publishes to `NO_SERVICE_METRICS`: nowhere.
 *
 * The process's fallback alarms (`localAlarms`, for a deployment given no cloud's alarms) read the stores of the
 * clouds running in this process (`attachServiceMetrics`, `attachedSamples`).
 */

import type { Dimension, MetricStore, Sample } from './metric-store.js';

/** Where a cloud's parts publish the metrics AWS publishes for its services. */
export interface ServiceMetrics {
  /** One value of a service metric. */
  put(
    namespace: string,
    metricName: string,
    dimensions: readonly Dimension[],
    value: number,
    unit: string,
    timestampMs?: number,
  ): void;
}

/** Service metrics into one cloud's CloudWatch store. */
export function serviceMetricsInto(store: MetricStore): ServiceMetrics {
  return {
    put(namespace, metricName, dimensions, value, unit, timestampMs = Date.now()) {
      store.put(namespace, metricName, dimensions, {
        timestamp: timestampMs,
        unit,
        sum: value,
        count: 1,
        min: value,
        max: value,
        values: [value],
      });
    },
  };
}

/** Service metrics that go nowhere: a part run without a cloud. */
export const NO_SERVICE_METRICS: ServiceMetrics = { put() {} };

const stores = new Set<MetricStore>();

/** Lets the process's fallback alarms read `store` (a running cloud's) from now on; the returned function stops that. */
export function attachServiceMetrics(store: MetricStore): () => void {
  stores.add(store);
  return () => {
    stores.delete(store);
  };
}

/** The samples of a metric across the attached stores (what the process's fallback alarms evaluate). */
export function attachedSamples(
  namespace: string,
  metricName: string,
  dimensions: readonly Dimension[],
): Sample[] {
  return [...stores].flatMap((store) => store.get(namespace, metricName, dimensions)?.samples ?? []);
}
