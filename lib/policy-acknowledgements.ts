import { Aspects, type IAspect, Validations } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';

/**
 * The AWS Control Tower proactive controls (checked by `@cdklabs/cdk-validator-cfnguard`) this app acknowledges
 * somewhere, each with the name of the cfn-guard rule the plugin reports it under. Everything else is fixed, not
 * acknowledged; docs/deploy.md lists each acknowledgement with its reason.
 */
export const CONTROL_TOWER_RULES = {
  'CT.CLOUDWATCH.PR.2': 'cloudwatch_log_group_retention_period_check',
  'CT.LAMBDA.PR.2': 'lambda_function_public_access_prohibited_check',
  'CT.LAMBDA.PR.3': 'lambda_inside_vpc_check',
  'CT.S3.PR.2': 's3_bucket_logging_enabled_check',
  'CT.S3.PR.4': 's3_event_notifications_enabled_check',
  'CT.S3.PR.9': 's3_bucket_object_lock_enabled_check',
  'CT.S3.PR.10': 's3_bucket_default_encryption_kms_check',
  'CT.S3.PR.11': 's3_bucket_versioning_enabled_check',
  'CT.SQS.PR.1': 'sqs_dlq_check',
} as const;

export type ControlTowerRule = keyof typeof CONTROL_TOWER_RULES;

/** The plugin's name, the namespace of its rule ids in `Validations.acknowledge`. */
const CFN_GUARD_PLUGIN = 'cdk-validator-cfnguard';

/**
 * Acknowledges one Control Tower control for this construct and the resources under it (only those), with the
 * reason; the same control on any other resource still fails the synth.
 */
export function acknowledgeControl(scope: IConstruct, control: ControlTowerRule, reason: string): void {
  Validations.of(scope).acknowledge({
    id: `${CFN_GUARD_PLUGIN}::${CONTROL_TOWER_RULES[control]}`,
    reason: `${control}: ${reason}`,
  });
}

/** Reasons shared by several resources. */
export const REASONS = {
  noVpc:
    'The functions call only AWS APIs (Kinesis, DynamoDB, Firehose, S3, SQS, SageMaker runtime) over TLS with ' +
    'IAM-signed requests and serve no network port; a VPC would add NAT gateways or an interface endpoint per ' +
    'service and zone, and cold-start latency, for no isolation these calls lack.',
  noObjectEvents:
    'Nothing consumes object events: the writers (Firehose, the features function) are watched through their own ' +
    'metrics and alarms, and CloudTrail data events are the audit trail where one is wanted.',
  noObjectLock:
    'Data here must stay deletable: lifecycle rules expire it, and raw events may hold personal data that an ' +
    'erasure request removes. Versioning with a noncurrent-version window is the recovery path instead.',
} as const;

/**
 * Acknowledges CT.CLOUDWATCH.PR.2 (retention of at least a year) for each log group under `scope` kept shorter
 * than a year, naming its retention in the reason. For the dev stage only: prod keeps logs a year.
 */
export function acknowledgeShortLogRetention(scope: IConstruct, reason: string): void {
  Aspects.of(scope).add(new ShortLogRetentionAcknowledgement(reason));
}

class ShortLogRetentionAcknowledgement implements IAspect {
  constructor(private readonly reason: string) {}

  visit(node: IConstruct): void {
    if (!(node instanceof logs.CfnLogGroup)) return;
    const days = node.retentionInDays;
    // Unset means "never expire", which the control accepts; a token is left to the check.
    if (typeof days !== 'number' || days >= 365) return;
    acknowledgeControl(node, 'CT.CLOUDWATCH.PR.2', `kept ${days} days: ${this.reason}`);
  }
}
