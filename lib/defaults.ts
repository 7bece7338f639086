import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/**
 * Whether a deploy has a backfill planned: unless it does, the spec guard refuses a spec change that leaves
 * features empty until a backfill (lib/spec-guard.ts).
 */
export const DEFAULT_BACKFILL_PLANNED = false;

/**
 * The per-event freshness alarm's threshold: the p99 of EventFreshness (Kinesis arrival → features written), in
 * seconds. A healthy pipeline's p99 is a few seconds (the 1 s poll, the 1 s batching window, the batch's work), so
 * this alarms on a backlog that users feel long before the IteratorAge alarm's 3 minutes.
 */
export const DEFAULT_FRESHNESS_P99_SECONDS = 30;

/** What a deployment stage changes: data stores are kept and guarded in `prod`, disposable in `dev`. */
export interface StageDefaults {
  /** Removal policy of stores holding state (table, stream, queues, their keys, log groups). */
  readonly removalPolicy: RemovalPolicy;
  /** DynamoDB deletion protection. */
  readonly deletionProtection: boolean;
  /**
   * How long CloudWatch Logs keep the stack's logs: a year in prod (AWS Control Tower's CT.CLOUDWATCH.PR.2), two
   * weeks in dev, where a year of logs is cost without a reader.
   */
  readonly logRetention: RetentionDays;
}

export function stageDefaults(stage: 'dev' | 'prod'): StageDefaults {
  return stage === 'prod'
    ? {
        removalPolicy: RemovalPolicy.RETAIN,
        deletionProtection: true,
        logRetention: RetentionDays.ONE_YEAR,
      }
    : {
        removalPolicy: RemovalPolicy.DESTROY,
        deletionProtection: false,
        logRetention: RetentionDays.TWO_WEEKS,
      };
}

/**
 * A customer-managed key with yearly rotation, for one store. Its policy denies `kms:CreateGrant` to everyone
 * unless an AWS service asks for the grant (AWS Control Tower's CT.KMS.PR.3): a grant is a second, policy-less way
 * to use a key, so no person or role may hand one out. The services of this app that create grants do so as AWS
 * services and keep working: DynamoDB grants itself the table key when the table is created or restored, and
 * Firehose the delivery stream's key when server-side encryption starts (`kms:GrantIsForAWSResource` is true for
 * both). The others use no grant: Kinesis encrypts and decrypts with the caller's own permissions (the features
 * role's `kms:Decrypt`, which the event-source mapping's reads and enhanced fan-out use), as do S3 with a bucket
 * key, SQS, SNS and CloudWatch Logs.
 */
export function newDataKey(
  scope: Construct,
  id: string,
  description: string,
  removalPolicy: RemovalPolicy = RemovalPolicy.RETAIN,
): kms.Key {
  const key = new kms.Key(scope, id, {
    description,
    enableKeyRotation: true,
    removalPolicy,
    pendingWindow: keyDeletionWindow(removalPolicy),
  });
  key.addToResourcePolicy(denyGrantsExceptForAwsServices());
  return key;
}

/** How long a deleted key waits before it is gone: the shortest KMS allows for disposable keys, else 30 days. */
export function keyDeletionWindow(removalPolicy: RemovalPolicy): Duration {
  return Duration.days(removalPolicy === RemovalPolicy.DESTROY ? 7 : 30);
}

/**
 * The key-policy statement AWS documents for CT.KMS.PR.3: deny `kms:CreateGrant` unless the grant is for an AWS
 * resource or the caller is an AWS service (`BoolIfExists`: a request without the key is denied too).
 */
export function denyGrantsExceptForAwsServices(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'DenyGrantsExceptForAwsServices',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['kms:CreateGrant'],
    resources: ['*'],
    conditions: {
      BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
    },
  });
}

/**
 * Adds one statement to a principal's policy: the explicit actions on the named resources, nothing more. CDK's
 * `grant*` helpers add wildcard actions (`s3:Abort*`, `kms:GenerateDataKey*`, `kms:ReEncrypt*`), which this
 * app avoids on data resources.
 */
export function allow(grantee: iam.IGrantable, actions: string[], resourceArns: string[]): iam.Grant {
  return iam.Grant.addToPrincipal({ grantee, actions, resourceArns });
}

/**
 * Merges a construct's defaults with the caller's overrides, in the one place a construct does it. A key the
 * caller sets to `undefined` does not erase the default.
 */
export function withOverrides<T extends object>(defaults: T, overrides: Partial<T> | undefined): T {
  const merged: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [key, value] of Object.entries(overrides ?? {})) if (value !== undefined) merged[key] = value;
  return merged as T;
}

/** Glue names: lower case letters, digits and `_`. */
export function glueName(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

/**
 * The monitoring job's settings unless told otherwise (lib/model-monitoring.ts ModelMonitoringSettings): every
 * 15 minutes, the last hour of label time for quality and of serving for drift and the stream, the feature log read
 * a week back for the requests late labels name. Alarms: ROC AUC below 0.7 (the shipped fraud model's holdout AUC
 * is 0.922), calibration off by over 2x either way, no label joined for 8 runs (2 hours), PSI above 0.25 (the usual
 * "major shift"), under half last week's volume, over 1% of records quarantined. The serving threshold is
 * adapters/model/live-quality.ts DEFAULT_SERVING_THRESHOLD, stated there.
 */
export const DEFAULT_MODEL_MONITORING = {
  scheduleMinutes: 15,
  qualityWindowMinutes: 60,
  servingWindowMinutes: 60,
  labelLookbackHours: 7 * 24,
  aucFloor: 0.7,
  calibrationFactor: 2,
  labelsMissingPeriods: 8,
  psiThreshold: 0.25,
  volumeRatio: 0.5,
} as const;

/**
 * The labels delivery stream's buffering size (lib/label-delivery.ts) unless told otherwise: 5 MiB of labels (about
 * 40,000), Firehose's own default for a plain S3 destination. Its interval is the offline store's
 * (DEFAULT_BUFFER_INTERVAL, 300 s): the monitoring job runs every 15 minutes over an hour of label time, so a label
 * waits at most one buffer before a run can read it.
 */
export const DEFAULT_LABEL_BUFFER_SIZE = Size.mebibytes(5);
