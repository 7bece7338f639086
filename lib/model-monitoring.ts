import type { RemovalPolicy } from 'aws-cdk-lib';
import { Duration, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { Spec } from '../core/index.js';
import { FUNCTION_FILES } from '../lambdas/shared/spec.js';
import { allow } from './defaults.js';
import { throwIfProblems } from './errors.js';
import { SIDE_OUTPUT_PREFIXES } from './feature-computer.js';
import { allowKeyVia } from './key-grants.js';
import { monitoringAlarms } from './model-monitoring-alarms.js';
import { addMonitoringWidgets } from './model-monitoring-dashboard.js';
import { MonitorMetrics, type ServedVariant } from './model-monitoring-metrics.js';
import {
  LABELS_PREFIX,
  type ModelMonitoringSettings,
  modelMonitoringProblems,
  resolvedSettings,
} from './model-monitoring-settings.js';
import type { BuiltInModels } from './model-registry.js';
import { acknowledgeWildcardResources } from './nag.js';
import { FEATURE_LOG_PREFIX, RAW_ARCHIVE_PREFIX } from './offline-store.js';
import { StreamfeaturesFunction } from './streamfeatures-function.js';

export { LABELS_PREFIX, type ModelMonitoringSettings, modelMonitoringProblems };

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
   * @default - `settings.championVersion`; else none: a SageMaker endpoint names its version only in its
   * answers, so no champion alarm is bound to one
   */
  readonly championVersion?: string;
  /** The challenger's name in the log and how it is logged, for the dashboard. @default - none */
  readonly challenger?: { readonly version: string; readonly variant: 'challenger' | 'shadow' };
  /** Where the alarms go, and the dashboard the widgets join. */
  readonly topic: sns.ITopic;
  readonly dashboard: cloudwatch.Dashboard;
  /** Firehose's buffering interval: the windows end this plus a minute before each run. */
  readonly firehoseBufferSeconds: number;
  /**
   * How the offline store holds the feature log and raw archive: `dt=/hour=` prefixes, or Iceberg tables whose
   * `metadata/` and `data/` the job reads (it finds the window's files through the manifests).
   * @default 'parquet'
   */
  readonly offlineFormat?: 'parquet' | 'iceberg';
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
 * metrics; alarms on model quality, labels, drift, volume and its own errors go to the alarm topic
 * (model-monitoring-alarms.ts), and the dashboard gets their graphs (model-monitoring-dashboard.ts).
 */
export class ModelMonitoring extends Construct {
  public readonly handler: StreamfeaturesFunction;
  public readonly function: lambda.IFunction;
  public readonly rule: events.Rule;
  public readonly serviceName: string;
  /** Every alarm, by a stable name (drift alarms as `FeatureDrift-<feature>`). */
  public readonly alarms: Record<string, cloudwatch.Alarm>;

  constructor(scope: Construct, id: string, props: ModelMonitoringProps) {
    super(scope, id);
    throwIfProblems(this, [
      ...modelMonitoringProblems(props.settings),
      ...championProblems(props.championVersion, props.settings?.championVersion),
    ]);
    const s = resolvedSettings(props.settings);
    const period = Duration.minutes(s.scheduleMinutes);
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
      schedule: events.Schedule.rate(period),
      targets: [new targets.LambdaFunction(this.function)],
    });

    const metrics = new MonitorMetrics(this.serviceName, period);
    const champion = props.championVersion ?? props.settings?.championVersion;
    const variants: ServedVariant[] =
      champion === undefined ? [] : [{ version: champion, variant: 'champion' }];
    if (props.challenger)
      variants.push({ version: props.challenger.version, variant: props.challenger.variant });
    const training =
      champion === undefined
        ? undefined
        : props.models.documents.find((doc) => doc.version === champion)?.featureDistributions;
    const driftFeatures = Object.keys(training ?? {}).sort();
    this.alarms = monitoringAlarms(this, {
      metrics,
      topic: props.topic,
      jobErrors: this.function.metricErrors({ period }),
      champion,
      driftFeatures,
      settings: s,
    });
    addMonitoringWidgets(props.dashboard, {
      metrics,
      variants,
      champion,
      driftFeatures,
      settings: s,
      alarms: Object.values(this.alarms),
    });
  }

  /** Read only, and only the prefixes the job reads; the keys only through S3. */
  private grantReads(props: ModelMonitoringProps): void {
    const role = this.handler.role;
    // Of an Iceberg table, its metadata/ (metadata files, manifest lists, manifests) and data/, nothing else.
    const table = (prefix: string) =>
      props.offlineFormat === 'iceberg' ? [`${prefix}/metadata/`, `${prefix}/data/`] : [`${prefix}/`];
    const offline = [...table(FEATURE_LOG_PREFIX), LABELS_PREFIX, ...table(RAW_ARCHIVE_PREFIX)];
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
}

/** The champion's version is the embedded model's, or a SageMaker model's as the settings name it: not both. */
function championProblems(embedded: string | undefined, named: string | undefined): string[] {
  if (embedded === undefined || named === undefined || named === embedded) return [];
  return [
    `modelMonitoring.championVersion names a SageMaker champion's version, but the champion is the embedded ` +
      `model ${embedded} (got ${JSON.stringify(named)}): leave it out`,
  ];
}
