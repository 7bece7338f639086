/**
 * Deploys a synthesized CloudFormation template (cdk.out) onto the local cloud, as CloudFormation would:
 * resources in the order of their dependencies (Ref, Fn::GetAtt, Fn::Sub, DependsOn; independent ones side
 * by side), intrinsics resolved to local names and ARNs (account 000000000000, us-east-1), physical names
 * generated as CloudFormation does when the template gives none (`<stack>-<logicalId>-<suffix>`, cut to the
 * service's length, lower case for buckets; the suffix is derived from stack and logical id, so a redeploy
 * onto the same cloud finds the same names).
 *
 * Created on the cloud: Kinesis streams (on demand or ShardCount; waited ACTIVE; retention) and stream
 * consumers, DynamoDB tables (keys, billing, indexes, streams; TTL by UpdateTimeToLive), S3 buckets, SQS queues
 * (attributes), SNS topics (when the cloud serves SNS). Run here: Lambda functions with Node.js runtimes (the
 * bundle of the asset folder, src/lambda-runtime.ts) and their Kinesis event-source mappings
 * (src/event-source-mapping.ts). Properties a local resource does not apply (encryption, lifecycle,
 * point-in-time recovery, tracing...) are listed in its `notes`.
 *
 * The stack engine (src/deploy/stack.ts) also updates a stack to a new template (only the resources whose
 * resolved properties changed) and deletes it; the local CloudFormation (src/cloudformation/) runs every
 * deployment through it, `deployTemplate` included. Function code comes from the cdk.out asset folder when there
 * is one, else from the zip at Code.S3Bucket/S3Key in the cloud's S3 (what `cdk deploy` published).
 *
 * The types of src/deploy/recorded-types.ts (IAM, KMS, CloudWatch, Logs, policies, ECR...) are recorded
 * (`skipped`), with a name and the usual attributes (Arn...) synthesized so that references to them still resolve;
 * a type neither created nor recorded fails, naming it. A hook for a type creates it instead: `hooks['AWS::KinesisFirehose::DeliveryStream']` gets the logical id,
 * the resolved properties and a context (the generated physical name, the cloud endpoint, the functions
 * running so far) and answers the physical id and attributes.
 *
 * A function's environment variable that references a skipped resource (say RAW_ARCHIVE_STREAM naming a
 * Firehose stream nothing serves) is left out of its environment by default, with a warning, since every
 * call the function made to it would fail; `skippedReferences: 'keep'` keeps it.
 *
 * Intrinsics: Ref (resources, parameters, AWS::Region, AccountId, Partition, URLSuffix, StackName, StackId,
 * NoValue, NotificationARNs), Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split, Fn::GetAZs, Fn::If,
 * Fn::Equals, Fn::And, Fn::Or, Fn::Not, Condition, Fn::FindInMap, Fn::Base64, Fn::Length, Fn::ToJsonString.
 * Not: Fn::ImportValue, Fn::Cidr, transforms. Rules are checked by the CloudFormation service (Fn::Contains).
 */

export { cdkOutStack, deployTemplate } from './deploy/deploy.js';
export { generatedPhysicalName, LOCAL_ACCOUNT_ID, LOCAL_REGION } from './deploy/naming.js';
export type {
  DeployedResource,
  Deployment,
  DeployTemplateOptions,
  HookContext,
  HookResult,
  ResourceHook,
} from './deploy/types.js';
