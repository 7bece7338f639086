import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { throwIfProblems } from './errors.js';
import type { LambdaHttpApi } from './http-api.js';
import {
  DEFAULT_THRESHOLDS,
  type MonitoringProps,
  type MonitoringThresholds,
  monitoringProblems,
  type WatchedDelivery,
} from './monitoring-props.js';
import { newAlarmTopic } from './monitoring-topic.js';
import { DEFAULT_BUFFER_INTERVAL } from './offline-dataset.js';
import { above, esmMetric, FIVE_MINUTES, graph, handlerMetric, outcomeRates } from './pipeline-metrics.js';

export {
  DEFAULT_THRESHOLDS,
  type MonitoringProps,
  type MonitoringThresholds,
  monitoringProblems,
  type WatchedDelivery,
} from './monitoring-props.js';

/** The dashboard and the alarms, publishing to one SNS topic. */
export class Monitoring extends Construct {
  public readonly topic: sns.ITopic;
  public readonly dashboard: cloudwatch.Dashboard;
  /** Every alarm, by a stable name (used by the tests and the dashboard). */
  public readonly alarms: Record<string, cloudwatch.Alarm> = {};
  private readonly action: SnsAction;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    throwIfProblems(this, monitoringProblems(props));
    this.topic = props.existingTopicObj ?? newAlarmTopic(this, props.removalPolicy ?? RemovalPolicy.RETAIN);
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    this.action = new SnsAction(this.topic);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      // Dashboards are global to the account: the region in the name lets one stage deploy to several regions.
      dashboardName: `${Stack.of(this).stackName}-${Stack.of(this).region}`,
      defaultInterval: Duration.hours(3),
    });
    const t = { ...DEFAULT_THRESHOLDS, ...props.thresholds };
    this.pipelineAlarms(props, t);
    for (const [name, fn] of Object.entries(props.functions)) this.functionAlarms(name, fn);
    this.tableAlarms(props.table);
    for (const [name, api] of Object.entries(props.apis)) this.apiAlarms(name, api, t);
    for (const [name, dataset] of Object.entries(props.datasets)) {
      this.firehoseAlarms(name, dataset, props.firehoseBufferSeconds ?? DEFAULT_BUFFER_INTERVAL.toSeconds());
    }
    if (props.scoring) this.scoringAlarms(props.scoring);
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: Object.values(this.alarms), width: 24 }),
    );
  }

  /** An alarm on the topic (alarm and OK), kept in `alarms` under `name`: also for parts watched after the pipeline's. */
  alarm(name: string, metric: cloudwatch.IMetric, options: Omit<cloudwatch.AlarmProps, 'metric'>) {
    const alarm = new cloudwatch.Alarm(this, `${name}Alarm`, { metric, ...options });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms[name] = alarm;
    return alarm;
  }

  /** The features pipeline: iterator age, the event-source mapping, record outcomes, freshness. */
  private pipelineAlarms(props: MonitoringProps, t: Required<MonitoringThresholds>): void {
    const { function: fn, eventSourceMappingId: esmId, serviceName } = props.featureComputer;
    const iteratorAge = fn.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) });
    this.alarm(
      'IteratorAge',
      iteratorAge,
      above(
        t.iteratorAgeMinutes * 60_000,
        3,
        `The features Lambda is over ${t.iteratorAgeMinutes} min behind the stream.`,
      ),
    );
    const esm = (name: string) => esmMetric(esmId, name);
    this.alarm(
      'FailureDestinationArrivals',
      esm('OnFailureDestinationDeliveredEventCount'),
      above(
        0,
        1,
        'Records reached the on-failure destination: they changed no feature. Replay them from there.',
      ),
    );
    // No alarm on the mapping's DroppedEventCount: every record it drops goes to the on-failure destination
    // and is counted by the alarm above (or by DeliveryFailures below when it cannot get there); a second
    // alarm would page twice for one record. The dashboard still graphs it.
    this.alarm(
      'FailureDestinationDeliveryFailures',
      fn.metric('DestinationDeliveryFailures', { statistic: 'Sum', period: FIVE_MINUTES }),
      above(0, 1, 'Lambda could not deliver a failed batch to the on-failure destination.'),
    );
    this.alarm(
      'EsmFailedInvokes',
      esm('FailedInvokeEventCount'),
      above(0, 3, 'Batches keep failing (function errors or partial batch failures) for 15 minutes.'),
    );

    const { outcomes, quarantineRate, lateRate } = outcomeRates(serviceName);
    this.alarm(
      'QuarantineRate',
      quarantineRate,
      above(
        t.quarantinePercent,
        2,
        `Over ${t.quarantinePercent}% of records are invalid or future: check producers. The one quarantine ` +
          "alarm; the monitoring job's QuarantineRate metric, per Rule, says which rule.",
      ),
    );
    this.alarm(
      'LateRate',
      lateRate,
      above(t.latePercent, 2, `Over ${t.latePercent}% of records arrive late: they change no feature.`),
    );

    // Per event, what users wait for: every counted event's features are written in the same store write, so
    // one distribution covers every feature (no per-feature metric needed).
    const freshness = (statistic: string) => handlerMetric(serviceName, 'EventFreshness', statistic);
    this.alarm(
      'Freshness',
      freshness('p99'),
      above(
        t.freshnessSeconds * 1_000,
        3,
        `1% of events wait over ${t.freshnessSeconds} s from Kinesis arrival to their features written.`,
      ),
    );

    this.dashboard.addWidgets(
      graph('Iterator age (ms, max)', [iteratorAge]),
      graph('Event-source mapping (records)', [
        esm('PolledEventCount'),
        esm('InvokedEventCount'),
        esm('FailedInvokeEventCount'),
        esm('OnFailureDestinationDeliveredEventCount'),
        esm('DroppedEventCount'),
      ]),
      graph('Records by outcome', Object.values(outcomes), true),
      graph('Quarantine and late (%)', [quarantineRate, lateRate]),
    );
    this.dashboard.addWidgets(
      graph('Event freshness: arrival to features written (ms)', [
        freshness('p50').with({ label: 'p50' }),
        freshness('p99').with({ label: 'p99' }),
        freshness('Maximum').with({ label: 'max' }),
      ]),
      graph('Batch retries and side-output errors', [
        handlerMetric(serviceName, 'BatchRetries'),
        handlerMetric(serviceName, 'SideOutputErrors'),
      ]),
    );
  }

  /** The scoring model: failures the caller never sees (a fallback answered, a challenger failed, a log gap). */
  private scoringAlarms({ serviceName, challenger }: NonNullable<MonitoringProps['scoring']>): void {
    const metric = (name: string) => handlerMetric(serviceName, name);
    this.alarm(
      'ModelFallbacks',
      metric('ModelFallbacks'),
      above(0, 2, 'The scoring model has failed for 10 minutes: the fallback model is answering.'),
    );
    this.alarm(
      'FeatureLogErrors',
      metric('FeatureLogErrors'),
      above(0, 2, 'Scored requests have been missing from the feature log for 10 minutes.'),
    );
    const lines = [metric('ModelErrors'), metric('ModelFallbacks'), metric('FeatureLogErrors')];
    if (challenger) {
      this.alarm(
        'ChallengerErrors',
        metric('ChallengerErrors'),
        above(0, 2, 'The challenger model has failed for 10 minutes (its scores are missing from the log).'),
      );
      lines.push(metric('ChallengerErrors'), metric('ChallengerFallbacks'));
    }
    this.dashboard.addWidgets(
      graph('Scoring model: errors, fallbacks, log gaps', lines),
      graph('Scoring latency (ms, avg)', [
        handlerMetric(serviceName, 'FeatureReadLatency', 'Average'),
        handlerMetric(serviceName, 'ModelLatency', 'Average'),
        ...(challenger ? [handlerMetric(serviceName, 'ChallengerLatency', 'Average')] : []),
      ]),
    );
  }

  private functionAlarms(name: string, fn: lambda.IFunction): void {
    const errors = fn.metricErrors({ period: FIVE_MINUTES });
    const throttles = fn.metricThrottles({ period: FIVE_MINUTES });
    this.alarm(`${name}Errors`, errors, above(0, 2, `The ${name} Lambda has failed for 10 minutes.`));
    this.alarm(
      `${name}Throttles`,
      throttles,
      above(0, 2, `The ${name} Lambda has been throttled for 10 minutes.`),
    );
    this.dashboard.addWidgets(
      graph(`${name} Lambda: errors and throttles`, [errors, throttles]),
      graph(`${name} Lambda: duration (ms)`, [
        fn.metricDuration({ statistic: 'p50', period: FIVE_MINUTES }),
        fn.metricDuration({ statistic: 'p99', period: FIVE_MINUTES }),
      ]),
    );
  }

  private tableAlarms(table: dynamodb.ITable): void {
    const metric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/DynamoDB',
        metricName,
        dimensionsMap: { TableName: table.tableName },
        statistic: 'Sum',
        period: FIVE_MINUTES,
      });
    const throttles = new cloudwatch.MathExpression({
      label: 'throttle events',
      expression: 'FILL(r,0)+FILL(w,0)',
      usingMetrics: { r: metric('ReadThrottleEvents'), w: metric('WriteThrottleEvents') },
      period: FIVE_MINUTES,
    });
    this.alarm(
      'TableThrottles',
      throttles,
      above(0, 3, 'The online store has throttled reads or writes for 15 minutes (a hot key?).'),
    );
    this.dashboard.addWidgets(
      graph('Online store capacity (units)', [
        metric('ConsumedReadCapacityUnits'),
        metric('ConsumedWriteCapacityUnits'),
      ]),
      graph('Online store throttles', [throttles]),
    );
  }

  private apiAlarms(name: string, http: LambdaHttpApi, t: Required<MonitoringThresholds>): void {
    const p99 = http.api.metricLatency({ statistic: 'p99', period: FIVE_MINUTES });
    const errorRate = new cloudwatch.MathExpression({
      label: '5xx %',
      expression: 'IF(FILL(n,0) > 0, 100*FILL(e,0)/n, 0)',
      usingMetrics: {
        e: http.api.metricServerError({ statistic: 'Sum', period: FIVE_MINUTES }),
        n: http.api.metricCount({ statistic: 'Sum', period: FIVE_MINUTES }),
      },
      period: FIVE_MINUTES,
    });
    this.alarm(
      `${name}ApiLatencyP99`,
      p99,
      above(t.apiP99Ms, 3, `The ${name} API's p99 latency is over ${t.apiP99Ms} ms.`),
    );
    this.alarm(
      `${name}Api5xx`,
      errorRate,
      above(t.api5xxPercent, 2, `Over ${t.api5xxPercent}% of ${name} API requests fail with 5xx.`),
    );
    this.dashboard.addWidgets(
      graph(`${name} API: requests`, [http.api.metricCount({ statistic: 'Sum', period: FIVE_MINUTES })]),
      graph(`${name} API: latency (ms)`, [
        http.api.metricLatency({ statistic: 'p50', period: FIVE_MINUTES }),
        p99,
      ]),
      graph(`${name} API: 5xx %`, [errorRate]),
    );
  }

  private firehoseAlarms(name: string, delivery: WatchedDelivery, bufferSeconds: number): void {
    const failures = failedRecords(delivery);
    if (failures) {
      this.alarm(
        `${name}DeliveryFailures`,
        failures,
        above(0, 1, `Firehose could not deliver ${name} records: they are under errors/ in the bucket.`),
      );
    }
    const destination = delivery.format === 'iceberg' ? 'DeliveryToIceberg' : 'DeliveryToS3';
    const dataFreshness = delivery.metric(`${destination}.DataFreshness`, { statistic: 'Maximum' });
    this.alarm(
      `${name}DeliveryFreshness`,
      dataFreshness,
      above(
        bufferSeconds + 900,
        1,
        `Firehose has held ${name} records 15 minutes past its buffer: delivery is stuck.`,
      ),
    );
    if (destination === 'DeliveryToS3') {
      this.alarm(`${name}DeliveryToS3`, delivery.metric('DeliveryToS3.Success', { statistic: 'Minimum' }), {
        ...above(1, 2, `Firehose's deliveries of ${name} to S3 are failing.`),
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      });
    }
    this.dashboard.addWidgets(
      graph(`${name}: records in`, [delivery.metric('IncomingRecords', { statistic: 'Sum' })]),
      graph(`${name}: delivery freshness (s)`, [dataFreshness]),
      ...(failures ? [graph(`${name}: failed records`, [failures])] : []),
    );
  }
}

/**
 * The records a delivery stream set aside under errors/: failed Parquet conversions, failed Iceberg rows; none for
 * records written as sent (Firehose retries S3 itself, watched by DeliveryToS3.Success and the freshness alarm).
 */
function failedRecords(delivery: WatchedDelivery): cloudwatch.IMetric | undefined {
  if (delivery.format === 'jsonl') return undefined;
  if (delivery.format === 'iceberg')
    return delivery.metric('DeliveryToIceberg.FailedRowCount', { statistic: 'Sum' });
  return new cloudwatch.MathExpression({
    label: 'failed conversions',
    expression: 'FILL(c,0)',
    usingMetrics: { c: delivery.metric('FailedConversion.Records', { statistic: 'Sum' }) },
    period: FIVE_MINUTES,
  });
}
