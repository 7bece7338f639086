/**
 * The `AWS/Firehose` metrics the local Firehose publishes as the service does (dimension DeliveryStreamName),
 * into the cloud's CloudWatch (../cloudwatch/service-metrics.ts): so far those of the Iceberg destination, which
 * the product's Iceberg alarms read.
 */

import type { ServiceMetrics } from '../cloudwatch/service-metrics.js';

const NAMESPACE = 'AWS/Firehose';

/** One Iceberg delivery attempt: its success (1 or 0), the age of its oldest record, the rows that failed. */
export function publishIcebergDelivery(
  metrics: ServiceMetrics,
  streamName: string,
  attempt: { success: boolean; oldestArrivalMs: number; failedRows: number },
  nowMs: number = Date.now(),
): void {
  const dimensions = [{ Name: 'DeliveryStreamName', Value: streamName }];
  metrics.put(NAMESPACE, 'DeliveryToIceberg.Success', dimensions, attempt.success ? 1 : 0, 'Count', nowMs);
  metrics.put(
    NAMESPACE,
    'DeliveryToIceberg.DataFreshness',
    dimensions,
    Math.max(0, Math.round((nowMs - attempt.oldestArrivalMs) / 1000)),
    'Seconds',
    nowMs,
  );
  metrics.put(NAMESPACE, 'DeliveryToIceberg.FailedRowCount', dimensions, attempt.failedRows, 'Count', nowMs);
}
