import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { METRICS_NAMESPACE } from './streamfeatures-function.js';

/** The metrics the alarms and the dashboard read, and the alarm shapes they use. */

export const FIVE_MINUTES = Duration.minutes(5);

/** A metric of the event-source mapping (AWS/Lambda, needs its MetricsConfig `EventCount`). */
export function esmMetric(eventSourceMappingId: string, metricName: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/Lambda',
    metricName,
    dimensionsMap: { EventSourceMappingUUID: eventSourceMappingId },
    statistic: 'Sum',
    period: FIVE_MINUTES,
  });
}

/** A metric of a Firehose delivery stream (AWS/Firehose, dimension DeliveryStreamName), over five minutes. */
export function firehoseMetric(
  deliveryStreamName: string,
  metricName: string,
  props: cloudwatch.MetricOptions = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/Firehose',
    metricName,
    dimensionsMap: { DeliveryStreamName: deliveryStreamName },
    period: FIVE_MINUTES,
    ...props,
  });
}

/**
 * A metric a handler emits with Powertools (EMF): namespace `streamfeatures`, dimension `service` (Powertools'
 * default dimension, the function's POWERTOOLS_SERVICE_NAME), plus any the handler adds.
 */
export function handlerMetric(
  serviceName: string,
  metricName: string,
  statistic = 'Sum',
  dimensions: Record<string, string> = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: serviceName, ...dimensions },
    statistic,
    period: FIVE_MINUTES,
  });
}

/** The features handler's record outcomes, and the quarantined and late shares of all records, in %. */
export function outcomeRates(serviceName: string) {
  const outcomes = {
    counted: handlerMetric(serviceName, 'RecordsCounted'),
    invalid: handlerMetric(serviceName, 'RecordsInvalid'),
    future: handlerMetric(serviceName, 'RecordsFuture'),
    late: handlerMetric(serviceName, 'RecordsLate'),
    duplicate: handlerMetric(serviceName, 'RecordsDuplicate'),
  };
  const total = 'FILL(counted,0)+FILL(invalid,0)+FILL(future,0)+FILL(late,0)+FILL(duplicate,0)';
  const rate = (label: string, numerator: string) =>
    new cloudwatch.MathExpression({
      label,
      expression: `IF((${total}) > 0, 100*(${numerator})/(${total}), 0)`,
      usingMetrics: outcomes,
      period: FIVE_MINUTES,
    });
  return {
    outcomes,
    quarantineRate: rate('quarantined %', 'FILL(invalid,0)+FILL(future,0)'),
    lateRate: rate('late %', 'FILL(late,0)'),
  };
}

/** Alarm options: above the threshold for `periods` periods in a row; no data (an idle stream) is fine. */
export function above(
  threshold: number,
  periods: number,
  alarmDescription: string,
): Omit<cloudwatch.AlarmProps, 'metric'> {
  return {
    alarmDescription,
    threshold,
    evaluationPeriods: periods,
    datapointsToAlarm: periods,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  };
}

export function graph(title: string, metrics: cloudwatch.IMetric[], stacked = false): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, left: metrics, stacked, width: 6 });
}
