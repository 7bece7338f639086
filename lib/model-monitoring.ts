import type { RemovalPolicy } from 'aws-cdk-lib';
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { DEFAULT_SERVING_THRESHOLD } from '../adapters/model/live-quality.js';
import { MONITOR_DIMENSIONS, MONITOR_METRICS } from '../adapters/monitoring/report-metrics.js';
import type { Spec } from '../core/index.js';
import { FUNCTION_FILES } from '../lambdas/shared/spec.js';
import { allow, DEFAULT_MODEL_MONITORING } from './defaults.js';
import { Problems, throwIfProblems } from './errors.js';
import { SIDE_OUTPUT_PREFIXES } from './feature-computer.js';
import { allowKeyVia } from './key-grants.js';
import type { BuiltInModels } from './model-registry.js';
import { acknowledgeWildcardResources } from './nag.js';
import { FEATURE_LOG_PREFIX, RAW_ARCHIVE_PREFIX } from './offline-store.js';
import { graph } from './pipeline-metrics.js';
import { METRICS_NAMESPACE, StreamfeaturesFunction } from './streamfeatures-function.js';

/** Where delayed labels go in the offline bucket (README "Closing the loop"). */
export const LABELS_PREFIX = 'labels/';

/** The monitoring job's settings; each default is DEFAULT_MODEL_MONITORING's (lib/defaults.ts). */
export interface ModelMonitoringSettings {
  /** How often the job runs, minutes: also the alarms' period. @default 15 */
  readonly scheduleMinutes?: number;
  /** The window of label time the quality figures cover, minutes. @default 60 */
  readonly qualityWindowMinutes?: number;
  /** The window of serving time drift and stream quality cover, minutes. @default 60 */
  readonly servingWindowMinutes?: number;
  /**
   * How far before the quality window the feature log is read for the requests labels name, hours: a label
   * whose request is older counts as unmatched. Each run reads this much of the log. @default 168 (7 days)
   */
  readonly labelLookbackHours?: number;
  /** The score at or above which a request counts as flagged, for precision and recall. @default 0.5 */
  readonly servingThreshold?: number;
  /** Alarm when the champion's ROC AUC is below this. @default 0.7 */
  readonly aucFloor?: number;
  /** Alarm when mean score / positive rate is above this or below its inverse. @default 2 */
  readonly calibrationFactor?: number;
  /** Alarm when no label has been joined for this many runs (no data counts as none). @default 8 */
  readonly labelsMissingPeriods?: number;
  /** Alarm when a feature's PSI against training is above this. @default 0.25 */
  readonly psiThreshold?: number;
  /** Alarm when the window's records are below this share of the same window a week earlier. @default 0.5 */
  readonly volumeRatio?: number;
  /** Alarm when this share of the window's records (0 to 1) is quarantined. @default 0.01 */
  readonly quarantineShare?: number;
}

/** Every problem with the settings, each naming the bad value. */
export function modelMonitoringProblems(settings: ModelMonitoringSettings = {}): string[] {
  const problems = new Problems();
  const known = [...Object.keys(DEFAULT_MODEL_MONITORING), 'servingThreshold'];
  const whole = ['scheduleMinutes', 'qualityWindowMinutes', 'servingWindowMinutes', 'labelsMissingPeriods'];
  const shares = ['servingThreshold', 'aucFloor', 'volumeRatio', 'quarantineShare'];
  for (const [name, value] of Object.entries(settings)) {
    if (!known.includes(name)) {
      problems.add(`modelMonitoring.${name} is no setting (known: ${known.join(', ')})`);
    } else if (value !== undefined) {
      const ok =
        typeof value === 'number' &&
        Number.isFinite(value) &&
        (whole.includes(name) ? Number.isInteger(value) && value >= 1 : true) &&
        (shares.includes(name) ? value >= 0 && value <= 1 : value >= 0) &&
        (name === 'calibrationFactor' ? value > 1 : true) &&
        (name === 'scheduleMinutes' ? value <= 1440 : true);
      problems.check(
        ok,
        `modelMonitoring.${name} must be ${
          whole.includes(name)
            ? `a whole number from 1${name === 'scheduleMinutes' ? ' to 1440' : ''}`
            : shares.includes(name)
              ? 'from 0 to 1'
              : name === 'calibrationFactor'
                ? 'above 1'
                : 'at least 0'
        }`,
        value,
      );
    }
  }
  return problems.list;
}

export interface ModelMonitoringProps {
  readonly spec: Spec;
  /** The offline store's bucket and key: the feature log, labels and raw archive are read from it. */
  readonly offlineBucket: s3.IBucket;
  readonly offlineKey: kms.IKey;
  /** The side-output bucket (quarantine/, late/) and its key when SSE-KMS. */
  readonly sideOutputBucket: s3.IBucket;
  readonly sideOutputKey?: kms.IKey;
  /** The models deployed with the scoring function: their training distributions are what drift compares with. */
  readonly models: BuiltInModels;
  /**
   * The version the champion's log lines carry: the quality and drift alarms watch it.
   * @default - none: a SageMaker endpoint names its version only in its answers, so no alarm is bound to one
   */
  readonly championVersion?: string;
  /** The challenger's name in the log and how it is logged, for the dashboard. @default - none */
  readonly challenger?: { readonly version: string; readonly variant: 'challenger' | 'shadow' };
  /** Where the alarms go, and the dashboard the widgets join. */
  readonly topic: sns.ITopic;
  readonly dashboard: cloudwatch.Dashboard;
  /** Firehose's buffering interval: the windows end this plus a minute before each run. */
  readonly firehoseBufferSeconds: number;
  /** @default - DEFAULT_MODEL_MONITORING */
  readonly settings?: ModelMonitoringSettings;
  /** Powertools service name: the `service` dimension of the job's metrics. @default - `<stack name>-monitor` */
  readonly serviceName?: string;
  readonly logRetention?: logs.RetentionDays;
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The scheduled monitoring job: an EventBridge rule runs the monitor function, which reads the last window of the
 * feature log, the delayed labels, the raw archive and the side outputs and publishes the monitoring report as
 * metrics; alarms on model quality, labels, drift, volume and quarantine go to the alarm topic, and the dashboard
 * gets their graphs.
 */
export class ModelMonitoring extends Construct {
  public readonly handler: StreamfeaturesFunction;
  public readonly function: lambda.IFunction;
  public readonly rule: events.Rule;
  public readonly serviceName: string;
  /** Every alarm, by a stable name (drift alarms as `FeatureDrift-<feature>`). */
  public readonly alarms: Record<string, cloudwatch.Alarm> = {};
  private readonly action: SnsAction;
  private readonly period: Duration;

  constructor(scope: Construct, id: string, props: ModelMonitoringProps) {
    super(scope, id);
    throwIfProblems(this, modelMonitoringProblems(props.settings));
    const s: Required<ModelMonitoringSettings> = {
      ...DEFAULT_MODEL_MONITORING,
      servingThreshold: DEFAULT_SERVING_THRESHOLD,
      ...definedOnly(props.settings ?? {}),
    };
    this.period = Duration.minutes(s.scheduleMinutes);
    this.serviceName = props.serviceName ?? `${Stack.of(this).stackName}-monitor`;
    const minutes = (n: number) => String(n * 60_000);
    this.handler = new StreamfeaturesFunction(this, 'Handler', {
      bundle: 'monitor',
      spec: props.spec,
      files: { [FUNCTION_FILES.models]: props.models },
      serviceName: this.serviceName,
      wiring: {
        OFFLINE_BUCKET: props.offlineBucket.bucketName,
        FEATURE_LOG_PREFIX: `${FEATURE_LOG_PREFIX}/`,
        LABELS_PREFIX,
        RAW_ARCHIVE_PREFIX: `${RAW_ARCHIVE_PREFIX}/`,
        SIDE_OUTPUT_BUCKET: props.sideOutputBucket.bucketName,
        QUARANTINE_PREFIX: SIDE_OUTPUT_PREFIXES.quarantine,
        LATE_PREFIX: SIDE_OUTPUT_PREFIXES.late,
        QUALITY_WINDOW_MS: minutes(s.qualityWindowMinutes),
        SERVING_WINDOW_MS: minutes(s.servingWindowMinutes),
        LABEL_LOOKBACK_MS: minutes(s.labelLookbackHours * 60),
        WINDOW_LAG_MS: String((props.firehoseBufferSeconds + 60) * 1000),
        SERVING_THRESHOLD: String(s.servingThreshold),
      },
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      // A run reads up to a week of the feature log: more memory than the request path, and it must end before
      // the next run starts.
      functionProps: {
        memorySize: 1024,
        timeout: Duration.minutes(Math.min(5, s.scheduleMinutes)),
      },
    });
    this.function = this.handler.function;
    this.grantReads(props);

    this.rule = new events.Rule(this, 'Schedule', {
      description: `streamfeatures: run the monitoring job every ${s.scheduleMinutes} min`,
      schedule: events.Schedule.rate(this.period),
      targets: [new targets.LambdaFunction(this.function)],
    });

    this.action = new SnsAction(props.topic);
    this.alarmsAndWidgets(props, s);
  }

  /** Read only, and only the prefixes the job reads; the keys only through S3. */
  private grantReads(props: ModelMonitoringProps): void {
    const role = this.handler.role;
    const offline = [`${FEATURE_LOG_PREFIX}/`, LABELS_PREFIX, `${RAW_ARCHIVE_PREFIX}/`];
    const side = [SIDE_OUTPUT_PREFIXES.quarantine, SIDE_OUTPUT_PREFIXES.late];
    for (const [bucket, prefixes] of [
      [props.offlineBucket, offline],
      [props.sideOutputBucket, side],
    ] as const) {
      iam.Grant.addToPrincipal({
        grantee: role,
        actions: ['s3:ListBucket'],
        resourceArns: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': prefixes.map((prefix) => `${prefix}*`) } },
      });
      const objects = prefixes.map((prefix) => bucket.arnForObjects(`${prefix}*`));
      allow(role, ['s3:GetObject'], objects);
      acknowledgeWildcardResources(
        role,
        objects,
        'Firehose and the features function name their objects at delivery (date partitions, random suffixes) ' +
          'and labels are named by whoever delivers them: the read is limited to the prefixes the job reads.',
      );
    }
    allowKeyVia(role, props.offlineKey, ['kms:Decrypt'], 's3');
    if (props.sideOutputKey) allowKeyVia(role, props.sideOutputKey, ['kms:Decrypt'], 's3');
  }

  private metric(
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

  private alarm(
    name: string,
    metric: cloudwatch.IMetric,
    options: {
      threshold: number;
      periods: number;
      comparison: cloudwatch.ComparisonOperator;
      missing: cloudwatch.TreatMissingData;
      description: string;
    },
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, `${name}Alarm`, {
      metric,
      threshold: options.threshold,
      evaluationPeriods: options.periods,
      datapointsToAlarm: options.periods,
      comparisonOperator: options.comparison,
      treatMissingData: options.missing,
      alarmDescription: options.description,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms[name] = alarm;
    return alarm;
  }

  private alarmsAndWidgets(props: ModelMonitoringProps, s: Required<ModelMonitoringSettings>): void {
    const m = MONITOR_METRICS;
    const d = MONITOR_DIMENSIONS;
    const { GREATER_THAN_THRESHOLD: above, LESS_THAN_THRESHOLD: below } = cloudwatch.ComparisonOperator;
    const { NOT_BREACHING: quiet, BREACHING: breaching } = cloudwatch.TreatMissingData;
    const champion = props.championVersion;
    const variants: { version: string; variant: string }[] =
      champion === undefined ? [] : [{ version: champion, variant: 'champion' }];
    if (props.challenger)
      variants.push({ version: props.challenger.version, variant: props.challenger.variant });
    const perVariant = (name: string, statistic = 'Average') =>
      variants.map(({ version, variant }) =>
        this.metric(
          name,
          statistic,
          { [d.modelVersion]: version, [d.variant]: variant },
          `${variant} ${name}`,
        ),
      );
    const training =
      champion === undefined
        ? undefined
        : props.models.documents.find((doc) => doc.version === champion)?.featureDistributions;
    const driftFeatures = Object.keys(training ?? {}).sort();
    const psiOf = (version: string, feature: string, label?: string) =>
      this.metric(m.featurePsi, 'Maximum', { [d.modelVersion]: version, [d.feature]: feature }, label);
    if (champion !== undefined) {
      const championDims = { [d.modelVersion]: champion, [d.variant]: 'champion' };
      this.championAlarms(champion, championDims, driftFeatures, psiOf, s);
    }
    this.alarm('LabelsStopped', this.metric(m.labelsJoined, 'Maximum'), {
      threshold: 1,
      periods: s.labelsMissingPeriods,
      comparison: below,
      // A job that does not run publishes nothing: that is no label either.
      missing: breaching,
      description:
        `No delayed label has joined a logged prediction for ${s.labelsMissingPeriods} runs: labels stopped ` +
        `arriving under s3://<OfflineBucket>/${LABELS_PREFIX}, or the job stopped.`,
    });
    this.alarm('VolumeVsLastWeek', this.metric(m.eventsVsLastWeek, 'Minimum'), {
      threshold: s.volumeRatio,
      periods: 2,
      comparison: below,
      missing: quiet,
      description: `Under ${s.volumeRatio * 100}% of last week's records arrived in the same window: producers?`,
    });
    this.alarm('StreamQuarantineShare', this.metric(m.quarantineRate, 'Maximum'), {
      threshold: s.quarantineShare,
      periods: 2,
      comparison: above,
      missing: quiet,
      description: `Over ${s.quarantineShare * 100}% of the window's records were quarantined (by rule: the Rule dimension).`,
    });
    this.alarm('MonitorJobErrors', this.function.metricErrors({ period: this.period }), {
      threshold: 0,
      periods: 1,
      comparison: above,
      missing: quiet,
      description: 'A monitoring run failed: its metrics are missing (the function log names the object).',
    });

    const auc = (line: cloudwatch.Metric) =>
      line.with({ label: line.label?.replace(m.rocAuc, 'ROC AUC').replace(m.prAuc, 'PR AUC') });
    props.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Model quality: ROC AUC and PR AUC (last window of labels)',
        left: [...perVariant(m.rocAuc), ...perVariant(m.prAuc)].map(auc),
        leftAnnotations: [{ value: s.aucFloor, label: 'AUC floor' }],
        width: 6,
      }),
      graph('Calibration: mean score / positive rate', perVariant(m.calibrationRatio)),
      graph(`Precision and recall at ${s.servingThreshold}`, [
        ...perVariant(m.precision),
        ...perVariant(m.recall),
      ]),
      graph('Labels joined per window', [
        this.metric(m.labelsJoined, 'Maximum', {}, 'labels joined'),
        this.metric(m.labelsSetAside, 'Maximum', {}, 'label lines set aside (whole prefix)'),
      ]),
    );
    props.dashboard.addWidgets(
      graph('Label coverage (share)', perVariant(m.labelCoverage)),
      graph('Label delay (ms)', [...perVariant(m.labelDelayP50), ...perVariant(m.labelDelayP99)]),
      new cloudwatch.GraphWidget({
        title: `Feature drift vs training (PSI), ${champion}`,
        left: driftFeatures.map((feature) => psiOf(champion as string, feature, feature)),
        leftAnnotations: [{ value: s.psiThreshold, label: 'major shift' }],
        width: 6,
      }),
      graph('Stream: volume vs last week, quarantine and late shares', [
        this.metric(m.eventsVsLastWeek, 'Minimum', {}, 'records / a week earlier'),
        this.metric(m.quarantineRate, 'Maximum', {}, 'quarantined share'),
        this.metric(m.lateRate, 'Maximum', {}, 'late share'),
      ]),
    );
    props.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Model and data monitoring alarms',
        alarms: Object.values(this.alarms),
        width: 24,
      }),
    );
  }

  /** Alarms bound to the champion's version: AUC floor, calibration, and drift per feature it was trained on. */
  private championAlarms(
    champion: string,
    championDims: Record<string, string>,
    driftFeatures: readonly string[],
    psiOf: (version: string, feature: string) => cloudwatch.Metric,
    s: Required<ModelMonitoringSettings>,
  ): void {
    const m = MONITOR_METRICS;
    const { GREATER_THAN_THRESHOLD: above, LESS_THAN_THRESHOLD: below } = cloudwatch.ComparisonOperator;
    const quiet = cloudwatch.TreatMissingData.NOT_BREACHING;
    this.alarm('ModelAuc', this.metric(m.rocAuc, 'Minimum', championDims), {
      threshold: s.aucFloor,
      periods: 2,
      comparison: below,
      missing: quiet,
      description:
        `The champion ${champion}'s ROC AUC on the last window's labels is below ${s.aucFloor} for two runs. ` +
        'No labels means no AUC: the LabelsStopped alarm covers that.',
    });
    this.alarm(
      'ModelCalibration',
      new cloudwatch.MathExpression({
        label: 'calibration off by (x)',
        // The ratio above 1, or its inverse below: one threshold for over- and under-predicting.
        expression: 'IF(r >= 1, r, 1/r)',
        usingMetrics: { r: this.metric(m.calibrationRatio, 'Average', championDims) },
        period: this.period,
      }),
      {
        threshold: s.calibrationFactor,
        periods: 2,
        comparison: above,
        missing: quiet,
        description: `The champion's mean score is off the observed positive rate by over ${s.calibrationFactor}x.`,
      },
    );
    // One alarm per feature: its name says which feature moved, a metric-math alarm takes at most 10 metrics
    // (the fraud model reads 15), and each alarm costs as one metric would in any case.
    for (const feature of driftFeatures) {
      this.alarm(`FeatureDrift-${feature}`, psiOf(champion, feature), {
        threshold: s.psiThreshold,
        periods: 2,
        comparison: above,
        missing: quiet,
        description: `${feature} served to ${champion} has drifted from training: PSI above ${s.psiThreshold}.`,
      });
    }
  }
}

function definedOnly<T extends object>(settings: T): Partial<T> {
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as Partial<T>;
}
