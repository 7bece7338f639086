import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { Spec } from '../core/index.js';
import { DEFAULT_FRESHNESS_P99_SECONDS, newDataKey } from './defaults.js';
import { ignoredWith, Problems, throwIfProblems } from './errors.js';
import type { FeatureComputer } from './feature-computer.js';
import type { LambdaHttpApi } from './http-api.js';
import { DEFAULT_BUFFER_INTERVAL, type OfflineDataset } from './offline-dataset.js';
import { above, esmMetric, FIVE_MINUTES, graph, handlerMetric, outcomeRates } from './pipeline-metrics.js';

/** Alarm thresholds. */
export interface MonitoringThresholds {
  /** IteratorAge maximum of the features Lambda. @default 3 */
  readonly iteratorAgeMinutes?: number;
  /** p99 of EventFreshness, per event: Kinesis arrival → its features written. @default 30 */
  readonly freshnessSeconds?: number;
  /** (invalid + future) / all records. @default 1 */
  readonly quarantinePercent?: number;
  /** late / all records. @default 5 */
  readonly latePercent?: number;
  /** p99 latency of each API. @default 1000 */
  readonly apiP99Ms?: number;
  /** Share of API requests answered 5xx. @default 1 */
  readonly api5xxPercent?: number;
}

/** The alarm thresholds unless told otherwise. */
export const DEFAULT_THRESHOLDS: Required<MonitoringThresholds> = {
  iteratorAgeMinutes: 3,
  freshnessSeconds: DEFAULT_FRESHNESS_P99_SECONDS,
  quarantinePercent: 1,
  latePercent: 5,
  apiP99Ms: 1_000,
  api5xxPercent: 1,
};

/** Every problem with the props, each naming the bad value; none when they are fine. */
export function monitoringProblems(
  props: Pick<MonitoringProps, 'thresholds' | 'existingTopicObj' | 'removalPolicy' | 'alarmEmail'>,
): string[] {
  const problems = new Problems();
  const percent = ['quarantinePercent', 'latePercent', 'api5xxPercent'];
  for (const [name, value] of Object.entries(props.thresholds ?? {})) {
    if (!(name in DEFAULT_THRESHOLDS)) {
      problems.add(
        `thresholds.${name} is no threshold (known: ${Object.keys(DEFAULT_THRESHOLDS).join(', ')})`,
      );
    } else if (value !== undefined) {
      problems.check(
        typeof value === 'number' && value > 0 && (!percent.includes(name) || value <= 100),
        `thresholds.${name} must be above 0${percent.includes(name) ? ' and at most 100' : ''}`,
        value,
      );
    }
  }
  if (props.alarmEmail !== undefined) {
    problems.check(
      /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(props.alarmEmail),
      'alarmEmail must be an email address',
      props.alarmEmail,
    );
  }
  if (props.existingTopicObj) problems.add(...ignoredWith('existingTopicObj', props, ['removalPolicy']));
  return problems.list;
}

export interface MonitoringProps {
  readonly spec: Spec;
  readonly featureComputer: FeatureComputer;
  readonly table: dynamodb.ITable;
  /** Every Lambda to watch for errors and throttles, by name. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** Every HTTP API to watch for latency and 5xx, by name. */
  readonly apis: Readonly<Record<string, LambdaHttpApi>>;
  /** Every Firehose dataset to watch for delivery failures, by name. */
  readonly datasets: Readonly<Record<string, OfflineDataset>>;
  /**
   * Alarm thresholds.
   * @default - the defaults of MonitoringThresholds
   */
  readonly thresholds?: MonitoringThresholds;
  /**
   * Firehose buffering interval in seconds: delivery freshness alarms at this plus 15 minutes.
   * @default - the datasets' default (DEFAULT_BUFFER_INTERVAL, 300)
   */
  readonly firehoseBufferSeconds?: number;
  /**
   * The scoring Lambda's Powertools service name, and whether a challenger runs beside its model: alarms on model
   * failures (the fallback answering), challenger failures and feature-log gaps.
   * @default - no scoring-model alarms
   */
  readonly scoring?: { readonly serviceName: string; readonly challenger: boolean };
  /**
   * Subscribe this address to the alarm topic.
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Bring your own alarm topic (`alarmEmail` still subscribes to it); `removalPolicy`, which configures a new
   * topic's key, is then refused.
   * @default - a new topic, KMS-encrypted, TLS only
   */
  readonly existingTopicObj?: sns.ITopic;
  /**
   * Removal policy of a new topic's key.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

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
    this.topic = props.existingTopicObj ?? this.newTopic(props.removalPolicy ?? RemovalPolicy.RETAIN);
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

  private newTopic(removalPolicy: RemovalPolicy): sns.Topic {
    const key = newDataKey(this, 'TopicKey', 'streamfeatures: alarm topic', removalPolicy);
    // CloudWatch publishes alarms to the encrypted topic: it needs the key (AWS's documented key policy), and
    // only for this account's alarms (the confused-deputy conditions AWS recommends).
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: this.ownAlarmsOnly(),
      }),
    );
    const topic = new sns.Topic(this, 'Topic', {
      masterKey: key,
      enforceSSL: true,
      displayName: 'streamfeatures alarms',
    });
    // enforceSSL gives the topic a policy of its own, which replaces SNS's default policy (the one that lets the
    // account's services publish): without this statement every alarm action fails, "not authorized to perform
    // SNS:Publish", and no alarm reaches anyone.
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: this.ownAlarmsOnly(),
      }),
    );
    return topic;
  }

  /** Conditions that limit a grant to CloudWatch to the alarms of this stack's account and region. */
  private ownAlarmsOnly(): Record<string, Record<string, string>> {
    const { account, region, partition } = Stack.of(this);
    return {
      StringEquals: { 'aws:SourceAccount': account },
      ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` },
    };
  }

  private alarm(name: string, metric: cloudwatch.IMetric, options: Omit<cloudwatch.AlarmProps, 'metric'>) {
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

  private firehoseAlarms(name: string, dataset: OfflineDataset, bufferSeconds: number): void {
    const parquet = dataset.format === 'parquet';
    const failures = parquet
      ? new cloudwatch.MathExpression({
          label: 'failed conversions',
          expression: 'FILL(c,0)',
          usingMetrics: { c: dataset.metric('FailedConversion.Records', { statistic: 'Sum' }) },
          period: FIVE_MINUTES,
        })
      : dataset.metric('DeliveryToIceberg.FailedRowCount', { statistic: 'Sum' });
    this.alarm(
      `${name}DeliveryFailures`,
      failures,
      above(0, 1, `Firehose could not deliver ${name} records: they are under errors/ in the bucket.`),
    );
    const destination = parquet ? 'DeliveryToS3' : 'DeliveryToIceberg';
    const dataFreshness = dataset.metric(`${destination}.DataFreshness`, { statistic: 'Maximum' });
    this.alarm(
      `${name}DeliveryFreshness`,
      dataFreshness,
      above(
        bufferSeconds + 900,
        1,
        `Firehose has held ${name} records 15 minutes past its buffer: delivery is stuck.`,
      ),
    );
    if (parquet) {
      this.alarm(`${name}DeliveryToS3`, dataset.metric('DeliveryToS3.Success', { statistic: 'Minimum' }), {
        ...above(1, 2, `Firehose's deliveries of ${name} to S3 are failing.`),
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      });
    }
    this.dashboard.addWidgets(
      graph(`${name}: records in`, [dataset.metric('IncomingRecords', { statistic: 'Sum' })]),
      graph(`${name}: delivery freshness (s)`, [dataFreshness]),
      graph(`${name}: failed records`, [failures]),
    );
  }
}
