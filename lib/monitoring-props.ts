/** The Monitoring construct's props: alarm thresholds with their defaults, and the checks that name a bad value. */
import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Spec } from '../core/index.js';
import { DEFAULT_FRESHNESS_P99_SECONDS } from './defaults.js';
import { ignoredWith, Problems } from './errors.js';
import type { FeatureComputer } from './feature-computer.js';
import type { LambdaHttpApi } from './http-api.js';
import type { OfflineFormat } from './offline-dataset.js';

/**
 * A Firehose delivery stream the alarms watch (OfflineDataset, LabelDelivery): what it writes decides which failure
 * metric it has (`parquet`: failed conversions; `iceberg`: failed rows; `jsonl`, records as sent: none but S3's).
 */
export interface WatchedDelivery {
  readonly format: OfflineFormat | 'jsonl';
  metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

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
  /** Every Firehose delivery stream to watch for delivery failures, by name. */
  readonly datasets: Readonly<Record<string, WatchedDelivery>>;
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
