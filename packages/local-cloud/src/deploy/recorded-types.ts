/**
 * Resource types the local cloud records without creating anything: each gets its name, ARN and usual attributes
 * (src/deploy/naming.ts) so references to it resolve, and its stack events say it was recorded and why. (Some
 * created types record part of their kind the same way: metric-math alarms, resources/cloudwatch-alarm.ts.) Any
 * type neither created (src/deploy/creators.ts, or a hook) nor listed here fails, naming the type: a stack is
 * never half deployed in silence.
 */

const IAM = 'IAM is not enforced by the local cloud';
const KMS = 'data is not encrypted by the local cloud';
const POLICY = 'resource policies are not enforced by the local cloud';
const HOOKED = 'served only when the deployment runs with the local cloud hooks (src/deploy-hooks.ts)';

export const RECORDED_TYPES: Readonly<Record<string, string>> = {
  'AWS::IAM::Role': IAM,
  'AWS::IAM::Policy': IAM,
  'AWS::IAM::ManagedPolicy': IAM,
  'AWS::IAM::InstanceProfile': IAM,
  'AWS::KMS::Key': KMS,
  'AWS::KMS::Alias': KMS,
  'AWS::S3::BucketPolicy': POLICY,
  'AWS::SNS::TopicPolicy': POLICY,
  'AWS::SQS::QueuePolicy': POLICY,
  'AWS::Lambda::Permission': POLICY,
  'AWS::CloudWatch::Dashboard': 'dashboards are not served by the local cloud',
  'AWS::Logs::LogGroup': 'function logs are kept by the Lambda runtime, not in log groups',
  'AWS::Logs::LogStream': 'function logs are kept by the Lambda runtime, not in log groups',
  'AWS::ECR::Repository': 'no container registry runs locally (container image functions do not run)',
  'AWS::CDK::Metadata': 'CDK bookkeeping',
  'AWS::Glue::Database': HOOKED,
  'AWS::Glue::Table': HOOKED,
  'AWS::Glue::TableOptimizer':
    'the local Glue catalog runs no table optimizers: Iceberg tables are not compacted, no snapshot expires',
  'AWS::KinesisFirehose::DeliveryStream': HOOKED,
  'AWS::ApiGatewayV2::Api': HOOKED,
  'AWS::ApiGatewayV2::Integration': HOOKED,
  'AWS::ApiGatewayV2::Route': HOOKED,
  'AWS::ApiGatewayV2::Stage': HOOKED,
  'AWS::SSM::Parameter': 'no SSM Parameter Store is attached to this deployment',
};

/** Why a type is recorded rather than created, or undefined when it is not on the list. */
export function recordedReason(type: string): string | undefined {
  return RECORDED_TYPES[type];
}
