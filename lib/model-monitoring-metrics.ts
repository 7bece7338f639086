/** The monitoring job's metrics as the alarms and the dashboard read them: its namespace, service and period. */
import type { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { MONITOR_DIMENSIONS, MONITOR_METRICS } from '../adapters/monitoring/report-metrics.js';
import { METRICS_NAMESPACE } from './streamfeatures-function.js';

/** A model version as the log names it, and how it was served. */
export interface ServedVariant {
  readonly version: string;
  readonly variant: string;
}

export class MonitorMetrics {
  constructor(
    private readonly serviceName: string,
    readonly period: Duration,
  ) {}

  metric(
    metricName: string,
    statistic: string,
    dimensions: Record<string, string> = {},
    label?: string,
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { service: this.serviceName, ...dimensions },
      statistic,
      period: this.period,
      ...(label ? { label } : {}),
    });
  }

  /** One line per served variant, labelled `<variant> <metric>`. */
  perVariant(variants: readonly ServedVariant[], name: string, statistic = 'Average'): cloudwatch.Metric[] {
    const d = MONITOR_DIMENSIONS;
    return variants.map(({ version, variant }) =>
      this.metric(name, statistic, { [d.modelVersion]: version, [d.variant]: variant }, `${variant} ${name}`),
    );
  }

  /** A feature's PSI against training as served to a version. */
  psiOf(version: string, feature: string, label?: string): cloudwatch.Metric {
    const d = MONITOR_DIMENSIONS;
    return this.metric(
      MONITOR_METRICS.featurePsi,
      'Maximum',
      { [d.modelVersion]: version, [d.feature]: feature },
      label,
    );
  }
}
