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
 * bundle of the asset folder, local/lambda-runtime.ts) and their Kinesis event-source mappings
 * (local/event-source-mapping.ts). Properties a local resource does not apply (encryption, lifecycle,
 * point-in-time recovery, tracing...) are listed in its `notes`.
 *
 * Every other resource (IAM, KMS, CloudWatch, Glue, Firehose, API Gateway, Logs, Lambda permissions...) is
 * `skipped`, with a name and the usual attributes (Arn...) synthesized so that references to it still resolve,
 * unless a hook for its type creates it: `hooks['AWS::KinesisFirehose::DeliveryStream']` gets the logical id,
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
 * Not: Fn::ImportValue, Fn::Cidr, transforms, Rules (the template's Rules are not evaluated).
 */

import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException as DynamoResourceInUse,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateStreamCommand,
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  IncreaseStreamRetentionPeriodCommand,
  KinesisClient,
  ResourceInUseException as KinesisResourceInUse,
  RegisterStreamConsumerCommand,
} from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  type FailureDestination,
  type KinesisEventSourceMapping,
  kinesisStreamOfArn,
  type StartingPosition,
  s3FailureDestination,
  snsFailureDestination,
  snsQuery,
  sqsFailureDestination,
  startKinesisEventSourceMapping,
} from './event-source-mapping.js';
import { createLambdaFunction, type LocalLambdaFunction } from './lambda-runtime.js';

export const LOCAL_ACCOUNT_ID = '000000000000';
export const LOCAL_REGION = 'us-east-1';

export interface HookContext {
  readonly type: string;
  readonly stackName: string;
  readonly region: string;
  readonly accountId: string;
  readonly cloudEndpoint: string;
  /** The name CloudFormation would generate, for a resource whose properties name none. */
  readonly physicalName: string;
  /** A function running in this deployment, by name, ARN or logical id. */
  functionNamed(nameOrArn: string): LocalLambdaFunction | undefined;
}

export interface HookResult {
  /** What Ref answers. */
  physicalId: string;
  /** What Fn::GetAtt answers, by attribute name. */
  attributes?: Record<string, string>;
  /** Called by `Deployment.stop()`, in reverse order of creation. */
  stop?: () => Promise<void>;
}

export type ResourceHook = (
  logicalId: string,
  resolvedProperties: Record<string, unknown>,
  context: HookContext,
) => Promise<HookResult>;

export interface DeployTemplateOptions {
  /** The local cloud's endpoint (`startLocalCloud().endpoint`), or LocalStack's. */
  cloudEndpoint: string;
  /** @default 'cdk.out' */
  cdkOut?: string;
  stackName: string;
  /** Values of the template's Parameters (else their Default). */
  parameters?: Record<string, string>;
  /** Creators for resource types this module skips, keyed by type. */
  hooks?: Partial<Record<string, ResourceHook>>;
  /**
   * Variables added to every function's environment, after its own: e.g. `AWS_ENDPOINT_URL_FIREHOSE` when a
   * hooked emulator listens apart from the cloud's endpoint.
   */
  functionEnvironment?: Record<string, string>;
  /** Environment variables referencing skipped resources. @default 'omit' */
  skippedReferences?: 'omit' | 'keep';
  /** Settings of the event-source mappings' runners (poll period, retry backoff). */
  mappingOptions?: { pollIntervalMs?: number; retryBaseDelayMs?: number; retryMaxDelayMs?: number };
  /** Log lines of the functions (source: the logical id) and notes of the mappings (source: their id). */
  onLog?: (source: string, line: string) => void;
}

export interface DeployedResource {
  type: string;
  /** What Ref answers ('' for a resource whose Condition is false). */
  physicalId: string;
  status: 'created' | 'skipped';
  /** Why it was skipped. */
  reason?: string;
  /** What Fn::GetAtt answers. */
  attributes: Record<string, string>;
  /** Template properties the local resource does not apply, and other remarks. */
  notes: string[];
  durationMs: number;
}

export interface Deployment {
  readonly stackName: string;
  readonly region: string;
  readonly accountId: string;
  /** By logical id, in the order they were deployed. */
  readonly resources: Map<string, DeployedResource>;
  /** The stack's Outputs, resolved. */
  readonly outputs: Record<string, string>;
  /** Running functions, by logical id. */
  readonly functions: Map<string, LocalLambdaFunction>;
  /** Running event-source mappings, by logical id. */
  readonly mappings: Map<string, KinesisEventSourceMapping>;
  /** Things a reader of the deployment should know (environment variables left out...). */
  readonly warnings: string[];
  /** From the call to every resource deployed. */
  readonly deployMs: number;
  /** Stops the mappings (in-flight batches finish), then the functions and what hooks started. Idempotent. */
  stop(): Promise<void>;
}

interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
  Metadata?: Record<string, unknown>;
}

interface Template {
  Resources?: Record<string, TemplateResource>;
  Outputs?: Record<string, { Value: unknown; Condition?: string }>;
  Conditions?: Record<string, unknown>;
  Parameters?: Record<string, { Type?: string; Default?: unknown }>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
}

interface AssetManifest {
  files?: Record<string, { source?: { path?: string; packaging?: string } }>;
}

const NO_VALUE = Symbol('AWS::NoValue');

/** How CloudFormation names a resource of a type, when its properties give no name. */
const NAMES: Record<string, { property: string; maxLength: number; lowercase?: boolean }> = {
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

function shortId(seed: string, length: number): string {
  const digest = createHash('sha256').update(seed).digest();
  let id = '';
  for (let i = 0; id.length < length; i++)
    id += 'abcdefghijklmnopqrstuvwxyz0123456789'[(digest[i] as number) % 36];
  return id;
}

function uuidOf(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function getPath(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

interface Local {
  readonly stackName: string;
  readonly region: string;
  readonly accountId: string;
  readonly cloudEndpoint: string;
}

/** ARN and attributes a resource of this type has, given its name (for skipped ones, and the base of created). */
function synthesizedAttributes(
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

/** Resolves intrinsic functions against what is deployed so far; `refs` collects the logical ids used. */
class Resolver {
  private readonly conditions = new Map<string, boolean>();

  constructor(
    private readonly template: Template,
    private readonly local: Local & { stackId: string },
    private readonly parameters: Record<string, string>,
    private readonly deployed: Map<string, DeployedResource>,
    private readonly warn: (message: string) => void,
  ) {}

  condition(name: string): boolean {
    const known = this.conditions.get(name);
    if (known !== undefined) return known;
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) throw new Error(`unknown condition ${name}`);
    const value = this.truth(definition);
    this.conditions.set(name, value);
    return value;
  }

  private truth(value: unknown): boolean {
    const result = this.resolve(value);
    if (typeof result === 'boolean') return result;
    if (result === 'true' || result === 'false') return result === 'true';
    throw new Error(`a condition evaluated to ${JSON.stringify(result)}, not a boolean`);
  }

  resolve(value: unknown, refs?: Set<string>): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v, refs)).filter((v) => v !== NO_VALUE);
    if (!isRecord(value)) return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const key = keys[0] as string;
      const arg = value[key];
      if (key === 'Ref') return this.ref(String(arg), refs);
      if (key === 'Condition') return this.condition(String(arg));
      if (key.startsWith('Fn::')) return this.fn(key, arg, refs);
    }
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const resolved = this.resolve(value[key], refs);
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  }

  private list(value: unknown, refs?: Set<string>): unknown[] {
    const resolved = this.resolve(value, refs);
    if (!Array.isArray(resolved)) throw new Error(`expected a list, got ${JSON.stringify(resolved)}`);
    return resolved;
  }

  private fn(name: string, arg: unknown, refs?: Set<string>): unknown {
    const args = Array.isArray(arg) ? arg : [arg];
    switch (name) {
      case 'Fn::GetAtt': {
        const [id, ...attribute] = typeof arg === 'string' ? arg.split('.') : (arg as string[]);
        return this.getAtt(String(id), attribute.join('.'), refs);
      }
      case 'Fn::Join':
        return this.list(args[1], refs)
          .map((v) => String(v))
          .join(String(args[0]));
      case 'Fn::Sub':
        return this.sub(arg, refs);
      case 'Fn::Select': {
        const index = Number(this.resolve(args[0], refs));
        const items = this.list(args[1], refs);
        if (!Number.isInteger(index) || index < 0 || index >= items.length) {
          throw new Error(`Fn::Select index ${index} is out of a list of ${items.length}`);
        }
        return items[index];
      }
      case 'Fn::Split':
        return String(this.resolve(args[1], refs)).split(String(args[0]));
      case 'Fn::GetAZs': {
        const region = String(this.resolve(args[0], refs) || this.local.region);
        return ['a', 'b', 'c'].map((z) => `${region}${z}`);
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = args;
        return this.resolve(this.condition(String(condition)) ? whenTrue : whenFalse, refs);
      }
      case 'Fn::Equals': {
        const [a, b] = args.map((v) => this.resolve(v, refs));
        return JSON.stringify(a) === JSON.stringify(b) || String(a) === String(b);
      }
      case 'Fn::And':
        return args.every((v) => this.truth(v));
      case 'Fn::Or':
        return args.some((v) => this.truth(v));
      case 'Fn::Not':
        return !this.truth(args[0]);
      case 'Fn::FindInMap': {
        const [map, top, second] = args.map((v) => String(this.resolve(v, refs)));
        const found = this.template.Mappings?.[map as string]?.[top as string]?.[second as string];
        if (found === undefined) throw new Error(`Fn::FindInMap: no ${map}.${top}.${second}`);
        return found;
      }
      case 'Fn::Base64':
        return Buffer.from(String(this.resolve(arg, refs))).toString('base64');
      case 'Fn::Length':
        return this.list(arg, refs).length;
      case 'Fn::ToJsonString':
        return JSON.stringify(this.resolve(arg, refs));
      default:
        throw new Error(`${name} is not supported by the local deployment`);
    }
  }

  private sub(arg: unknown, refs?: Set<string>): string {
    const [text, variables] = Array.isArray(arg)
      ? [String(arg[0]), this.resolve(arg[1] ?? {}, refs)]
      : [String(arg), {}];
    const vars = isRecord(variables) ? variables : {};
    return text.replace(/\$\{([^}]*)\}/g, (_, inner: string) => {
      if (inner.startsWith('!')) return `\${${inner.slice(1)}}`;
      const name = inner.trim();
      if (name in vars) return String(vars[name]);
      const dot = name.indexOf('.');
      if (dot > 0 && !name.startsWith('AWS::')) {
        return String(this.getAtt(name.slice(0, dot), name.slice(dot + 1), refs));
      }
      return String(this.ref(name, refs));
    });
  }

  ref(name: string, refs?: Set<string>): unknown {
    switch (name) {
      case 'AWS::Region':
        return this.local.region;
      case 'AWS::AccountId':
        return this.local.accountId;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.local.stackName;
      case 'AWS::StackId':
        return this.local.stackId;
      case 'AWS::NoValue':
        return NO_VALUE;
      case 'AWS::NotificationARNs':
        return [];
    }
    const parameter = this.template.Parameters?.[name];
    if (parameter !== undefined) {
      const value = this.parameters[name] ?? parameter.Default;
      if (value === undefined) throw new Error(`parameter ${name} has no value and no Default`);
      const type = parameter.Type ?? 'String';
      return type.startsWith('List<') || type === 'CommaDelimitedList' ? String(value).split(',') : value;
    }
    const resource = this.deployed.get(name);
    if (resource === undefined) {
      if (this.template.Resources?.[name] !== undefined)
        throw new Error(`Ref ${name} before it was deployed`);
      throw new Error(`Ref to ${name}, which is no resource, parameter or pseudo parameter of the template`);
    }
    refs?.add(name);
    return resource.physicalId;
  }

  private getAtt(id: string, attribute: string, refs?: Set<string>): string {
    const resource = this.deployed.get(id);
    if (resource === undefined) throw new Error(`Fn::GetAtt ${id}.${attribute}: no such resource deployed`);
    refs?.add(id);
    const value = resource.attributes[attribute];
    if (value !== undefined) return value;
    if (resource.status === 'skipped') {
      this.warn(`Fn::GetAtt ${id}.${attribute} (${resource.type}, skipped) has no local value`);
      return `unresolved:${id}.${attribute}`;
    }
    throw new Error(`Fn::GetAtt ${id}.${attribute}: ${resource.type} has no attribute ${attribute} locally`);
  }
}

/** The logical ids a template value references (Ref, Fn::GetAtt, Fn::Sub), among `ids`. */
function referencedIds(value: unknown, ids: ReadonlySet<string>, out: Set<string>): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencedIds(item, ids, out);
  } else if (isRecord(value)) {
    for (const [key, arg] of Object.entries(value)) {
      if (key === 'Ref' && typeof arg === 'string' && ids.has(arg)) out.add(arg);
      else if (key === 'Fn::GetAtt') {
        const id = typeof arg === 'string' ? arg.split('.')[0] : Array.isArray(arg) ? arg[0] : undefined;
        if (typeof id === 'string' && ids.has(id)) out.add(id);
      } else if (key === 'Fn::Sub') {
        const text = typeof arg === 'string' ? arg : Array.isArray(arg) ? arg[0] : undefined;
        const locals = Array.isArray(arg) && isRecord(arg[1]) ? arg[1] : {};
        if (typeof text === 'string') {
          for (const match of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
            const name = (match[1] as string).trim().split('.')[0] as string;
            if (!(name in locals) && ids.has(name)) out.add(name);
          }
        }
        if (Array.isArray(arg)) referencedIds(arg[1], ids, out);
      } else referencedIds(arg, ids, out);
    }
  }
  return out;
}

/** Logical ids in waves: each wave depends only on earlier ones. Throws on a cycle, naming it. */
function deploymentWaves(resources: Record<string, TemplateResource>): string[][] {
  const ids = new Set(Object.keys(resources));
  const needs = new Map<string, Set<string>>();
  for (const [id, resource] of Object.entries(resources)) {
    const deps = referencedIds(resource.Properties ?? {}, ids, new Set());
    const dependsOn = resource.DependsOn === undefined ? [] : [resource.DependsOn].flat();
    for (const dep of dependsOn) {
      if (!ids.has(dep)) throw new Error(`${id} DependsOn ${dep}, which is not a resource of the template`);
      deps.add(dep);
    }
    deps.delete(id);
    needs.set(id, deps);
  }
  const waves: string[][] = [];
  const done = new Set<string>();
  while (done.size < ids.size) {
    const wave = [...ids].filter(
      (id) => !done.has(id) && [...(needs.get(id) ?? [])].every((d) => done.has(d)),
    );
    if (wave.length === 0) {
      const left = [...ids].filter((id) => !done.has(id));
      throw new Error(`the template's resources depend on each other in a cycle: ${left.join(', ')}`);
    }
    for (const id of wave) done.add(id);
    waves.push(wave);
  }
  return waves;
}

/** Properties of a created resource that the local cloud does not apply, for its notes. */
function notApplied(properties: Record<string, unknown>, applied: readonly string[]): string[] {
  const rest = Object.keys(properties).filter((key) => !applied.includes(key));
  return rest.length === 0 ? [] : [`not applied locally: ${rest.join(', ')}`];
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Created {
  physicalId: string;
  attributes: Record<string, string>;
  notes?: string[];
  stop?: () => Promise<void>;
  /** Not created after all (a service the cloud does not serve): the reason. */
  skipped?: string;
}

/** Deploys the stack `stackName` of `cdkOut` onto the cloud at `cloudEndpoint`. */
export async function deployTemplate(options: DeployTemplateOptions): Promise<Deployment> {
  const started = performance.now();
  const cdkOut = resolve(options.cdkOut ?? 'cdk.out');
  const templatePath = join(cdkOut, `${options.stackName}.template.json`);
  if (!existsSync(templatePath)) {
    throw new Error(`No template ${templatePath}: synthesize the app first (npx cdk synth --quiet).`);
  }
  const template = JSON.parse(readFileSync(templatePath, 'utf8')) as Template;
  const assetsPath = join(cdkOut, `${options.stackName}.assets.json`);
  const assets: AssetManifest = existsSync(assetsPath)
    ? (JSON.parse(readFileSync(assetsPath, 'utf8')) as AssetManifest)
    : {};

  const local = {
    stackName: options.stackName,
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT_ID,
    cloudEndpoint: options.cloudEndpoint.replace(/\/+$/, ''),
    stackId: `arn:aws:cloudformation:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:stack/${options.stackName}/${uuidOf(options.stackName)}`,
  };
  const sdk = {
    endpoint: local.cloudEndpoint,
    region: local.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  const kinesis = new KinesisClient(sdk);
  const dynamodb = new DynamoDBClient(sdk);
  const s3 = new S3Client({ ...sdk, forcePathStyle: true });
  const sqs = new SQSClient(sdk);

  const resources = new Map<string, DeployedResource>();
  const functions = new Map<string, LocalLambdaFunction>();
  const functionRoles = new Map<LocalLambdaFunction, string>();
  const mappings = new Map<string, KinesisEventSourceMapping>();
  const stops: Array<() => Promise<void>> = [];
  const temporaryDirs: string[] = [];
  const warnings: string[] = [];
  const warn = (message: string) => {
    if (!warnings.includes(message)) warnings.push(message);
  };
  const resolver = new Resolver(template, local, options.parameters ?? {}, resources, warn);

  const functionNamed = (nameOrArn: string): LocalLambdaFunction | undefined => {
    const direct = functions.get(nameOrArn);
    if (direct) return direct;
    // arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>], or <account>:function:<name>.
    const name = /(?:^|:)function:([^:]+)/.exec(nameOrArn)?.[1] ?? nameOrArn;
    for (const fn of functions.values()) if (fn.functionName === name) return fn;
    return undefined;
  };

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await Promise.allSettled([...mappings.values()].map((m) => m.stop()));
      await Promise.allSettled([...functions.values()].map((f) => f.stop()));
      for (const stopHook of stops.reverse()) await stopHook().catch(() => undefined);
      for (const client of [kinesis, dynamodb, s3, sqs]) client.destroy();
      for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  const nameFor = (type: string, logicalId: string, properties: Record<string, unknown>): string => {
    const rule = NAMES[type];
    const given = rule === undefined ? undefined : getPath(properties, rule.property);
    if (typeof given === 'string' && given !== '') return given;
    let name = generatedPhysicalName(local.stackName, logicalId, rule ?? { maxLength: 128 });
    if (type === 'AWS::SQS::Queue' && properties.FifoQueue === true) name = `${name.slice(0, 75)}.fifo`;
    return name;
  };

  // Creators of the resource types the cloud (or this process) runs.
  const creators: Record<
    string,
    (logicalId: string, properties: Record<string, unknown>, raw: TemplateResource) => Promise<Created>
  > = {
    'AWS::Kinesis::Stream': async (logicalId, p) => {
      const name = nameFor('AWS::Kinesis::Stream', logicalId, p);
      const mode = getPath(p, 'StreamModeDetails.StreamMode') === 'ON_DEMAND' ? 'ON_DEMAND' : 'PROVISIONED';
      const notes: string[] = [];
      try {
        await kinesis.send(
          new CreateStreamCommand({
            StreamName: name,
            StreamModeDetails: { StreamMode: mode },
            ...(mode === 'PROVISIONED' ? { ShardCount: Number(p.ShardCount ?? 1) } : {}),
          }),
        );
      } catch (error) {
        if (!(error instanceof KinesisResourceInUse)) throw error;
        notes.push('the stream existed already: reused');
      }
      const summary = await until(`stream ${name} ACTIVE`, async () => {
        const d = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
        return d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE' ? d.StreamDescriptionSummary : undefined;
      });
      const hours = Number(p.RetentionPeriodHours ?? 24);
      if (hours > (summary.RetentionPeriodHours ?? 24)) {
        await kinesis.send(
          new IncreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: hours }),
        );
        await until(`stream ${name} ACTIVE after the retention change`, async () => {
          const d = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
          return d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE' ? true : undefined;
        });
      }
      notes.push(`${summary.OpenShardCount ?? '?'} open shard(s), ${mode}`);
      const base = synthesizedAttributes('AWS::Kinesis::Stream', logicalId, name, local);
      return {
        physicalId: name,
        attributes: { ...base.attributes, ...(summary.StreamARN ? { Arn: summary.StreamARN } : {}) },
        notes: [
          ...notes,
          ...notApplied(p, ['Name', 'StreamModeDetails', 'ShardCount', 'RetentionPeriodHours']),
        ],
      };
    },

    'AWS::Kinesis::StreamConsumer': async (logicalId, p) => {
      const name = nameFor('AWS::Kinesis::StreamConsumer', logicalId, p);
      const streamArn = String(p.StreamARN);
      const registered = await kinesis.send(
        new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: name }),
      );
      const consumerArn = registered.Consumer?.ConsumerARN ?? '';
      const consumer = await until(`consumer ${name} ACTIVE`, async () => {
        const d = await kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: consumerArn }));
        return d.ConsumerDescription?.ConsumerStatus === 'ACTIVE' ? d.ConsumerDescription : undefined;
      });
      return {
        physicalId: consumerArn,
        attributes: {
          ConsumerARN: consumerArn,
          ConsumerName: name,
          ConsumerStatus: 'ACTIVE',
          StreamARN: streamArn,
          ConsumerCreationTimestamp:
            consumer.ConsumerCreationTimestamp?.toISOString() ?? new Date().toISOString(),
        },
        notes: notApplied(p, ['StreamARN', 'ConsumerName']),
      };
    },

    'AWS::DynamoDB::Table': async (logicalId, p) => {
      const name = nameFor('AWS::DynamoDB::Table', logicalId, p);
      const billing = p.BillingMode === 'PAY_PER_REQUEST' ? 'PAY_PER_REQUEST' : 'PROVISIONED';
      const throughput = (value: unknown) =>
        billing === 'PROVISIONED' && isRecord(value)
          ? {
              ProvisionedThroughput: {
                ReadCapacityUnits: Number(value.ReadCapacityUnits),
                WriteCapacityUnits: Number(value.WriteCapacityUnits),
              },
            }
          : {};
      const index = (i: unknown) => {
        const x = i as Record<string, unknown>;
        return {
          IndexName: x.IndexName,
          KeySchema: x.KeySchema,
          Projection: x.Projection,
          ...throughput(x.ProvisionedThroughput),
        };
      };
      const stream = p.StreamSpecification as { StreamViewType?: string } | undefined;
      const input = {
        TableName: name,
        AttributeDefinitions: p.AttributeDefinitions,
        KeySchema: p.KeySchema,
        BillingMode: billing,
        ...throughput(p.ProvisionedThroughput),
        ...(Array.isArray(p.GlobalSecondaryIndexes)
          ? { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes.map(index) }
          : {}),
        ...(Array.isArray(p.LocalSecondaryIndexes)
          ? {
              LocalSecondaryIndexes: p.LocalSecondaryIndexes.map((i) => {
                const x = i as Record<string, unknown>;
                return { IndexName: x.IndexName, KeySchema: x.KeySchema, Projection: x.Projection };
              }),
            }
          : {}),
        ...(stream?.StreamViewType
          ? { StreamSpecification: { StreamEnabled: true, StreamViewType: stream.StreamViewType } }
          : {}),
      } as CreateTableCommandInput;
      const notes: string[] = [];
      try {
        await dynamodb.send(new CreateTableCommand(input));
      } catch (error) {
        if (!(error instanceof DynamoResourceInUse)) throw error;
        notes.push('the table existed already: reused');
      }
      const table = await until(`table ${name} ACTIVE`, async () => {
        const d = await dynamodb.send(new DescribeTableCommand({ TableName: name }));
        return d.Table?.TableStatus === 'ACTIVE' ? d.Table : undefined;
      });
      const ttl = p.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
      if (ttl?.Enabled && ttl.AttributeName) {
        try {
          await dynamodb.send(
            new UpdateTimeToLiveCommand({
              TableName: name,
              TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
            }),
          );
        } catch (error) {
          // A reused table has TTL on already.
          if (!/already enabled/i.test((error as Error).message)) throw error;
        }
        notes.push(`TTL on ${ttl.AttributeName}`);
      }
      const base = synthesizedAttributes('AWS::DynamoDB::Table', logicalId, name, local);
      return {
        physicalId: name,
        attributes: {
          ...base.attributes,
          ...(table.LatestStreamArn ? { StreamArn: table.LatestStreamArn } : {}),
        },
        notes: [
          ...notes,
          ...notApplied(p, [
            'TableName',
            'AttributeDefinitions',
            'KeySchema',
            'BillingMode',
            'ProvisionedThroughput',
            'GlobalSecondaryIndexes',
            'LocalSecondaryIndexes',
            'StreamSpecification',
            'TimeToLiveSpecification',
          ]),
        ],
      };
    },

    'AWS::S3::Bucket': async (logicalId, p) => {
      const name = nameFor('AWS::S3::Bucket', logicalId, p);
      try {
        await s3.send(new CreateBucketCommand({ Bucket: name }));
      } catch (error) {
        if ((error as Error).name !== 'BucketAlreadyOwnedByYou') throw error;
      }
      return {
        ...synthesizedAttributes('AWS::S3::Bucket', logicalId, name, local),
        notes: notApplied(p, ['BucketName']),
      };
    },

    'AWS::SQS::Queue': async (logicalId, p) => {
      const name = nameFor('AWS::SQS::Queue', logicalId, p);
      const attributes: Record<string, string> = {};
      for (const key of [
        'DelaySeconds',
        'MaximumMessageSize',
        'MessageRetentionPeriod',
        'ReceiveMessageWaitTimeSeconds',
        'VisibilityTimeout',
        'FifoQueue',
        'ContentBasedDeduplication',
        'DeduplicationScope',
        'FifoThroughputLimit',
        'RedrivePolicy',
        'RedriveAllowPolicy',
      ]) {
        const value = p[key];
        if (value !== undefined)
          attributes[key] = typeof value === 'object' ? JSON.stringify(value) : String(value);
      }
      const created = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
      const url = created.QueueUrl ?? '';
      const got = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
      );
      const arn = got.Attributes?.QueueArn ?? `arn:aws:sqs:${local.region}:${local.accountId}:${name}`;
      return {
        physicalId: url,
        attributes: { Arn: arn, QueueName: name, QueueUrl: url },
        notes: notApplied(p, ['QueueName', ...Object.keys(attributes)]),
      };
    },

    'AWS::SNS::Topic': async (logicalId, p) => {
      const name = nameFor('AWS::SNS::Topic', logicalId, p);
      const params: Record<string, string> = { Action: 'CreateTopic', Name: name };
      let n = 0;
      for (const key of ['FifoTopic', 'ContentBasedDeduplication', 'DisplayName']) {
        if (p[key] === undefined) continue;
        n++;
        params[`Attributes.entry.${n}.key`] = key;
        params[`Attributes.entry.${n}.value`] = String(p[key]);
      }
      let answer: string;
      try {
        answer = await snsQuery(local.cloudEndpoint, local.region, params);
      } catch (error) {
        if (/NotImplemented/.test((error as Error).message)) {
          return {
            ...synthesizedAttributes('AWS::SNS::Topic', logicalId, name, local),
            skipped: 'the cloud serves no SNS',
          };
        }
        throw error;
      }
      const arn = /<TopicArn>([^<]+)<\/TopicArn>/.exec(answer)?.[1];
      if (arn === undefined) throw new Error(`CreateTopic answered no TopicArn: ${answer.slice(0, 200)}`);
      return {
        physicalId: arn,
        attributes: { TopicArn: arn, TopicName: name },
        notes: notApplied(p, ['TopicName', 'FifoTopic', 'ContentBasedDeduplication', 'DisplayName']),
      };
    },

    'AWS::Lambda::Function': async (logicalId, p, raw) => {
      const name = nameFor('AWS::Lambda::Function', logicalId, p);
      const base = synthesizedAttributes('AWS::Lambda::Function', logicalId, name, local);
      const runtime = String(p.Runtime ?? '');
      const skip = (reason: string): Created => ({ ...base, skipped: reason });
      if (p.PackageType === 'Image') return skip('container image functions do not run here');
      if (!runtime.startsWith('nodejs'))
        return skip(`runtime ${runtime || '(none)'} does not run here (Node.js only)`);
      if (Array.isArray(p.Layers) && p.Layers.length > 0) return skip('layers are not supported locally');
      const codeDir = functionCode(logicalId, p, raw);
      if (typeof codeDir !== 'string') return skip(codeDir.reason);

      // Each variable on its own, to know which resources it references.
      const rawVariables = getPath(raw.Properties ?? {}, 'Environment.Variables');
      const environment: Record<string, string> = {};
      for (const [key, value] of Object.entries(isRecord(rawVariables) ? rawVariables : {})) {
        const refs = new Set<string>();
        const resolved = resolver.resolve(value, refs);
        if (resolved === NO_VALUE) continue;
        const unserved = [...refs].filter((id) => resources.get(id)?.status === 'skipped');
        if (unserved.length > 0 && (options.skippedReferences ?? 'omit') === 'omit') {
          const what = unserved.map((id) => `${id} (${resources.get(id)?.type})`).join(', ');
          warn(
            `${logicalId}: environment variable ${key} left out: it references ${what}, which this cloud does not serve`,
          );
          continue;
        }
        environment[key] = typeof resolved === 'string' ? resolved : JSON.stringify(resolved);
      }
      const logGroup = getPath(p, 'LoggingConfig.LogGroup');
      const fn = createLambdaFunction({
        functionName: name,
        functionArn: base.attributes.Arn as string,
        codeDir,
        handler: String(p.Handler ?? 'index.handler'),
        runtime,
        memorySize: Number(p.MemorySize ?? 128),
        timeoutSeconds: Number(p.Timeout ?? 3),
        environment: { ...environment, ...options.functionEnvironment },
        region: local.region,
        accountId: local.accountId,
        cloudEndpoint: local.cloudEndpoint,
        ...(typeof logGroup === 'string' ? { logGroupName: logGroup } : {}),
        ...(options.onLog ? { onLog: (line: string) => options.onLog?.(logicalId, line) } : {}),
      });
      functions.set(logicalId, fn);
      if (typeof p.Role === 'string') functionRoles.set(fn, p.Role);
      return {
        ...base,
        notes: [
          `code ${codeDir}`,
          ...notApplied(p, [
            'FunctionName',
            'Code',
            'Handler',
            'Runtime',
            'MemorySize',
            'Timeout',
            'Environment',
            'Role',
            'LoggingConfig',
            'PackageType',
            'Layers',
          ]),
        ],
      };
    },

    'AWS::Lambda::EventSourceMapping': async (logicalId, p) => {
      const base = synthesizedAttributes('AWS::Lambda::EventSourceMapping', logicalId, logicalId, local);
      const uuid = randomUUID();
      const sourceArn = String(p.EventSourceArn ?? '');
      if (!/^arn:[^:]+:kinesis:/.test(sourceArn)) {
        const service = sourceArn.split(':')[2] || 'self-managed';
        return { ...base, skipped: `only Kinesis event sources run locally (this one is ${service})` };
      }
      const fn = functionNamed(String(p.FunctionName ?? ''));
      if (fn === undefined)
        return { ...base, skipped: `its function ${String(p.FunctionName)} does not run here` };
      const destinationArn = getPath(p, 'DestinationConfig.OnFailure.Destination');
      const onFailure =
        typeof destinationArn === 'string' && destinationArn !== ''
          ? await destinationFor(destinationArn)
          : undefined;
      const ignored = ['FilterCriteria', 'TumblingWindowInSeconds', 'ScalingConfig', 'MetricsConfig'].filter(
        (key) => p[key] !== undefined,
      );
      const attributes = {
        Id: uuid,
        EventSourceMappingArn: `arn:aws:lambda:${local.region}:${local.accountId}:event-source-mapping:${uuid}`,
      };
      if (p.Enabled === false)
        return { physicalId: uuid, attributes, notes: ['Enabled is false: not polling'] };
      const mapping = startKinesisEventSourceMapping(
        {
          uuid,
          eventSourceArn: sourceArn,
          functionArn: fn.functionArn,
          ...(functionRoles.get(fn) ? { invokeIdentityArn: functionRoles.get(fn) } : {}),
          startingPosition: String(p.StartingPosition ?? 'LATEST') as StartingPosition,
          ...(p.StartingPositionTimestamp === undefined
            ? {}
            : { startingPositionTimestamp: Number(p.StartingPositionTimestamp) }),
          ...numberSetting(p, 'BatchSize', 'batchSize'),
          ...numberSetting(p, 'MaximumBatchingWindowInSeconds', 'maximumBatchingWindowInSeconds'),
          ...numberSetting(p, 'MaximumRetryAttempts', 'maximumRetryAttempts'),
          ...numberSetting(p, 'MaximumRecordAgeInSeconds', 'maximumRecordAgeInSeconds'),
          ...numberSetting(p, 'ParallelizationFactor', 'parallelizationFactor'),
          bisectBatchOnFunctionError: p.BisectBatchOnFunctionError === true,
          functionResponseTypes: Array.isArray(p.FunctionResponseTypes)
            ? p.FunctionResponseTypes.map(String)
            : [],
          ...(onFailure ? { onFailure } : {}),
          ignored,
        },
        {
          kinesis,
          invoke: (event) => fn.invoke(event),
          region: local.region,
          ...options.mappingOptions,
          ...(options.onLog ? { onLog: (line: string) => options.onLog?.(logicalId, line) } : {}),
        },
      );
      mappings.set(logicalId, mapping);
      // As CloudFormation waits for the mapping to be enabled: records put after the deployment are read.
      await mapping.ready();
      return {
        physicalId: uuid,
        attributes,
        notes: [
          `${kinesisStreamOfArn(sourceArn).streamName} → ${fn.functionName}${onFailure ? `, on failure → ${onFailure.arn}` : ''}`,
          ...mapping.warnings,
        ],
      };
    },
  };

  /** The folder of a function's code: the asset of Code.S3Key, an inline ZipFile, or the asset metadata. */
  function functionCode(
    logicalId: string,
    p: Record<string, unknown>,
    raw: TemplateResource,
  ): string | { reason: string } {
    const code = isRecord(p.Code) ? p.Code : {};
    if (typeof code.ZipFile === 'string') {
      const dir = mkdtempSync(join(tmpdir(), `sf-inline-${logicalId}-`));
      temporaryDirs.push(dir);
      writeFileSync(join(dir, 'index.js'), code.ZipFile);
      return dir;
    }
    let path: string | undefined;
    if (typeof code.S3Key === 'string') {
      const hash = code.S3Key.replace(/\.[a-z]+$/i, '');
      const source = assets.files?.[hash]?.source;
      if (source?.path) path = join(cdkOut, source.path);
    }
    const metadataPath = raw.Metadata?.['aws:asset:path'];
    if (path === undefined && typeof metadataPath === 'string') path = join(cdkOut, metadataPath);
    if (path === undefined) return { reason: 'its code is neither a cdk.out asset nor inline' };
    if (!existsSync(path)) return { reason: `its asset ${path} is missing (synthesize again)` };
    if (!statSync(path).isDirectory())
      return { reason: `its asset ${path} is a file (zipped assets are not unpacked)` };
    return path;
  }

  async function destinationFor(arn: string): Promise<FailureDestination> {
    const service = arn.split(':')[2];
    if (service === 's3') return s3FailureDestination(s3, arn);
    if (service === 'sns') return snsFailureDestination(local.cloudEndpoint, arn, local.region);
    if (service === 'sqs') {
      for (const resource of resources.values()) {
        const url = resource.attributes.QueueUrl;
        if (resource.type === 'AWS::SQS::Queue' && resource.attributes.Arn === arn && url) {
          return sqsFailureDestination(sqs, arn, url);
        }
      }
      const name = arn.split(':').at(-1) ?? '';
      const found = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
      return sqsFailureDestination(sqs, arn, found.QueueUrl ?? '');
    }
    throw new Error(`on-failure destination ${arn}: only S3, SQS and SNS destinations are supported`);
  }

  const deployOne = async (logicalId: string, resource: TemplateResource): Promise<void> => {
    const t0 = performance.now();
    const type = resource.Type;
    const record = (entry: Omit<DeployedResource, 'type' | 'durationMs'>) => {
      resources.set(logicalId, { type, durationMs: Math.round(performance.now() - t0), ...entry });
    };
    if (resource.Condition !== undefined && !resolver.condition(resource.Condition)) {
      record({
        physicalId: '',
        status: 'skipped',
        reason: `condition ${resource.Condition} is false`,
        attributes: {},
        notes: [],
      });
      return;
    }
    const hook = options.hooks?.[type];
    const creator = creators[type];
    if (hook === undefined && creator === undefined) {
      // Properties of skipped resources are resolved only for their names; failures there do not matter.
      let properties: Record<string, unknown> = {};
      try {
        properties = resolver.resolve(resource.Properties ?? {}) as Record<string, unknown>;
      } catch {
        properties = {};
      }
      const synthesized = synthesizedAttributes(type, logicalId, nameFor(type, logicalId, properties), local);
      record({ ...synthesized, status: 'skipped', reason: 'not run by the local cloud', notes: [] });
      return;
    }
    const properties = resolver.resolve(resource.Properties ?? {}) as Record<string, unknown>;
    if (hook !== undefined) {
      const result = await hook(logicalId, properties, {
        type,
        stackName: local.stackName,
        region: local.region,
        accountId: local.accountId,
        cloudEndpoint: local.cloudEndpoint,
        physicalName: nameFor(type, logicalId, properties),
        functionNamed,
      });
      if (result.stop) stops.push(result.stop);
      // The usual attributes (Arn...) fill in what the hook leaves out, when they derive from its physical id.
      const synthesized = synthesizedAttributes(type, logicalId, result.physicalId, local);
      const defaults = synthesized.physicalId === result.physicalId ? synthesized.attributes : {};
      record({
        physicalId: result.physicalId,
        status: 'created',
        attributes: { ...defaults, ...result.attributes },
        notes: ['created by a hook'],
      });
      return;
    }
    const created = await (creator as NonNullable<typeof creator>)(logicalId, properties, resource);
    if (created.stop) stops.push(created.stop);
    record({
      physicalId: created.physicalId,
      status: created.skipped === undefined ? 'created' : 'skipped',
      ...(created.skipped === undefined ? {} : { reason: created.skipped }),
      attributes: created.attributes,
      notes: created.notes ?? [],
    });
  };

  const templateResources = template.Resources ?? {};
  const outputs: Record<string, string> = {};
  try {
    for (const wave of deploymentWaves(templateResources)) {
      const results = await Promise.allSettled(
        wave.map((id) => deployOne(id, templateResources[id] as TemplateResource)),
      );
      const failures = results.flatMap((result, i) =>
        result.status === 'rejected'
          ? [
              `${wave[i]} (${templateResources[wave[i] as string]?.Type}): ${(result.reason as Error).message ?? String(result.reason)}`,
            ]
          : [],
      );
      if (failures.length > 0) throw new Error(failures.join('\n'));
    }
    // Inside the try: an output that cannot be resolved must not leave functions and mappings running.
    for (const [name, output] of Object.entries(template.Outputs ?? {})) {
      if (output.Condition !== undefined && !resolver.condition(output.Condition)) continue;
      let value: unknown;
      try {
        value = resolver.resolve(output.Value);
      } catch (error) {
        throw new Error(`output ${name}: ${(error as Error).message}`);
      }
      outputs[name] =
        typeof value === 'string' ? value : Array.isArray(value) ? value.join(',') : String(value);
    }
  } catch (error) {
    await stop();
    throw new Error(
      `Deploying ${options.stackName} to ${local.cloudEndpoint} failed: ${(error as Error).message}`,
    );
  }

  return {
    stackName: local.stackName,
    region: local.region,
    accountId: local.accountId,
    resources,
    outputs,
    functions,
    mappings,
    warnings,
    deployMs: Math.round(performance.now() - started),
    stop,
  };
}

function numberSetting<K extends string>(
  p: Record<string, unknown>,
  property: string,
  key: K,
): Partial<Record<K, number>> {
  const value = p[property];
  if (value === undefined) return {};
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`${property} must be a number (got ${JSON.stringify(value)})`);
  return { [key]: n } as Partial<Record<K, number>>;
}
