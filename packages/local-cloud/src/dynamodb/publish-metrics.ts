/** Puts the DynamoDB metrics of one call (call-metrics.ts) into a cloud's CloudWatch metric store. */

import type { MetricStore } from '../cloudwatch/metric-store.js';
import { callMetrics, DYNAMODB_NAMESPACE, type DynamoDbCall } from './call-metrics.js';

export function putCallMetrics(store: MetricStore, call: DynamoDbCall, nowMs: number = Date.now()): void {
  for (const point of callMetrics(call)) {
    store.put(DYNAMODB_NAMESPACE, point.metricName, point.dimensions, {
      timestamp: nowMs,
      unit: point.unit,
      sum: point.value,
      count: 1,
      min: point.value,
      max: point.value,
      values: [point.value],
    });
  }
}
