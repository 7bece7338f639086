/** Physical names CloudFormation generates, and the ARNs and attributes resources of each type have. */

import { createHash } from 'node:crypto';
import { getPath } from './util.js';

export const LOCAL_ACCOUNT_ID = '000000000000';
export const LOCAL_REGION = 'us-east-1';

/** How CloudFormation names a resource of a type, when its properties give no name. */
export const NAMES: Record<string, { property: string; maxLength: number; lowercase?: boolean }> = {
  'AWS::Kinesis::Stream': { property: 'Name', maxLength: 128 },
  'AWS::Kinesis::StreamConsumer': { property: 'ConsumerName', maxLength: 128 },
  'AWS::DynamoDB::Table': { property: 'TableName', maxLength: 255 },
  'AWS::S3::Bucket': { property: 'BucketName', maxLength: 63, lowercase: true },
  'AWS::SQS::Queue': { property: 'QueueName', maxLength: 80 },
  'AWS::SNS::Topic': { property: 'TopicName', maxLength: 256 },
  'AWS::Lambda::Function': { property: 'FunctionName', maxLength: 64 },
  'AWS::Logs::LogGroup': { property: 'LogGroupName', maxLength: 512 },
  'AWS::Logs::LogStream': { property: 'LogStreamName', maxLength: 512 },
  'AWS::IAM::Role': { property: 'RoleName', maxLength: 64 },
  'AWS::IAM::Policy': { property: 'PolicyName', maxLength: 128 },
  'AWS::IAM::ManagedPolicy': { property: 'ManagedPolicyName', maxLength: 128 },
  'AWS::KinesisFirehose::DeliveryStream': { property: 'DeliveryStreamName', maxLength: 64 },
  'AWS::Glue::Database': { property: 'DatabaseInput.Name', maxLength: 255, lowercase: true },
  'AWS::Glue::Table': { property: 'TableInput.Name', maxLength: 255, lowercase: true },
  'AWS::CloudWatch::Alarm': { property: 'AlarmName', maxLength: 255 },
  'AWS::CloudWatch::Dashboard': { property: 'DashboardName', maxLength: 255 },
  'AWS::ApiGatewayV2::Stage': { property: 'StageName', maxLength: 128 },
  'AWS::SSM::Parameter': { property: 'Name', maxLength: 2048 },
  'AWS::ECR::Repository': { property: 'RepositoryName', maxLength: 256, lowercase: true },
  'AWS::KMS::Alias': { property: 'AliasName', maxLength: 256 },
  'AWS::Events::Rule': { property: 'Name', maxLength: 64 },
  'AWS::Scheduler::Schedule': { property: 'Name', maxLength: 64 },
};

/**
 * The name CloudFormation would give: `<stack>-<logicalId>-<suffix>` cut to fit, with a 12-character suffix
 * derived from the stack and the logical id.
 */
export function generatedPhysicalName(
  stackName: string,
  logicalId: string,
  rule: { maxLength: number; lowercase?: boolean } = { maxLength: 128 },
): string {
  const digest = createHash('sha256').update(`${stackName}/${logicalId}`).digest();
  let suffix = '';
  for (let i = 0; suffix.length < 12; i++)
    suffix += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'[(digest[i] as number) % 36];
  let head = `${stackName}-${logicalId}`;
  if (rule.lowercase) {
    suffix = suffix.toLowerCase();
    head = head.toLowerCase().replace(/[^a-z0-9.-]/g, '-');
  }
  return `${head.slice(0, Math.max(1, rule.maxLength - suffix.length - 1))}-${suffix}`;
}

export function shortId(seed: string, length: number): string {
  const digest = createHash('sha256').update(seed).digest();
  let id = '';
  for (let i = 0; id.length < length; i++)
    id += 'abcdefghijklmnopqrstuvwxyz0123456789'[(digest[i] as number) % 36];
  return id;
}

export function uuidOf(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export interface Local {
  readonly stackName: string;
  readonly region: string;
  readonly accountId: string;
  readonly cloudEndpoint: string;
}

/** ARN and attributes a resource of this type has, given its name (for skipped ones, and the base of created). */
export function synthesizedAttributes(
  type: string,
  logicalId: string,
  name: string,
  local: Local,
): { physicalId: string; attributes: Record<string, string> } {
  const { region: r, accountId: a } = local;
  const seed = `${local.stackName}/${logicalId}`;
  switch (type) {
    case 'AWS::IAM::Role':
      return {
        physicalId: name,
        attributes: {
          Arn: `arn:aws:iam::${a}:role/${name}`,
          RoleId: `AROA${shortId(seed, 17).toUpperCase()}`,
        },
      };
    case 'AWS::IAM::ManagedPolicy':
      return {
        physicalId: `arn:aws:iam::${a}:policy/${name}`,
        attributes: { PolicyArn: `arn:aws:iam::${a}:policy/${name}` },
      };
    case 'AWS::IAM::InstanceProfile':
      return { physicalId: name, attributes: { Arn: `arn:aws:iam::${a}:instance-profile/${name}` } };
    case 'AWS::KMS::Key': {
      const id = uuidOf(seed);
      return { physicalId: id, attributes: { Arn: `arn:aws:kms:${r}:${a}:key/${id}`, KeyId: id } };
    }
    case 'AWS::KMS::Alias':
      return { physicalId: name, attributes: {} };
    case 'AWS::ECR::Repository':
      return {
        physicalId: name,
        attributes: {
          Arn: `arn:aws:ecr:${r}:${a}:repository/${name}`,
          RepositoryUri: `${a}.dkr.ecr.${r}.amazonaws.com/${name}`,
        },
      };
    case 'AWS::SSM::Parameter':
      return { physicalId: name, attributes: { Type: 'String', Value: '' } };
    case 'AWS::Logs::LogGroup':
      return { physicalId: name, attributes: { Arn: `arn:aws:logs:${r}:${a}:log-group:${name}:*` } };
    case 'AWS::KinesisFirehose::DeliveryStream':
      return { physicalId: name, attributes: { Arn: `arn:aws:firehose:${r}:${a}:deliverystream/${name}` } };
    case 'AWS::Kinesis::Stream':
      return { physicalId: name, attributes: { Arn: `arn:aws:kinesis:${r}:${a}:stream/${name}` } };
    case 'AWS::DynamoDB::Table':
      return { physicalId: name, attributes: { Arn: `arn:aws:dynamodb:${r}:${a}:table/${name}` } };
    case 'AWS::S3::Bucket':
      return {
        physicalId: name,
        attributes: {
          Arn: `arn:aws:s3:::${name}`,
          DomainName: `${name}.s3.amazonaws.com`,
          RegionalDomainName: `${name}.s3.${r}.amazonaws.com`,
          DualStackDomainName: `${name}.s3.dualstack.${r}.amazonaws.com`,
          WebsiteURL: `http://${name}.s3-website-${r}.amazonaws.com`,
        },
      };
    case 'AWS::SQS::Queue': {
      const url = `${local.cloudEndpoint}/${a}/${name}`;
      return {
        physicalId: url,
        attributes: { Arn: `arn:aws:sqs:${r}:${a}:${name}`, QueueName: name, QueueUrl: url },
      };
    }
    case 'AWS::SNS::Topic': {
      const arn = `arn:aws:sns:${r}:${a}:${name}`;
      return { physicalId: arn, attributes: { TopicArn: arn, TopicName: name } };
    }
    case 'AWS::Lambda::Function':
      return { physicalId: name, attributes: { Arn: `arn:aws:lambda:${r}:${a}:function:${name}` } };
    case 'AWS::Lambda::EventSourceMapping': {
      const id = uuidOf(seed);
      return {
        physicalId: id,
        attributes: { Id: id, EventSourceMappingArn: `arn:aws:lambda:${r}:${a}:event-source-mapping:${id}` },
      };
    }
    case 'AWS::CloudWatch::Alarm':
      return { physicalId: name, attributes: { Arn: `arn:aws:cloudwatch:${r}:${a}:alarm:${name}` } };
    case 'AWS::Glue::Database':
      return { physicalId: name, attributes: {} };
    case 'AWS::ApiGatewayV2::Api': {
      const id = shortId(seed, 10);
      return {
        physicalId: id,
        attributes: { ApiId: id, ApiEndpoint: `https://${id}.execute-api.${r}.amazonaws.com` },
      };
    }
    case 'AWS::ApiGatewayV2::Integration':
    case 'AWS::ApiGatewayV2::Route':
    case 'AWS::ApiGatewayV2::Authorizer':
      return { physicalId: shortId(seed, 7), attributes: {} };
    case 'AWS::Kinesis::StreamConsumer':
      return { physicalId: name, attributes: { ConsumerName: name } };
    default: {
      if (NAMES[type] !== undefined) return { physicalId: name, attributes: {} };
      // CloudFormation's physical ids of unnamed things look like `<stack>-<logical>-<suffix>` too.
      const [, service = 'unknown', kind = 'resource'] = type.split('::');
      return {
        physicalId: name,
        attributes: { Arn: `arn:aws:${service.toLowerCase()}:${r}:${a}:${kind.toLowerCase()}/${name}` },
      };
    }
  }
}

/** A resource's physical name: the one its properties give, else the one CloudFormation would generate. */
export function physicalNameFor(
  stackName: string,
  type: string,
  logicalId: string,
  properties: Record<string, unknown>,
): string {
  const rule = NAMES[type];
  const given = rule === undefined ? undefined : getPath(properties, rule.property);
  if (typeof given === 'string' && given !== '') return given;
  let name = generatedPhysicalName(stackName, logicalId, rule ?? { maxLength: 128 });
  if (type === 'AWS::SQS::Queue' && properties.FifoQueue === true) name = `${name.slice(0, 75)}.fifo`;
  return name;
}
