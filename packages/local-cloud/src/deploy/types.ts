/** The public types of a local deployment, and the shapes of the template and asset manifest it reads. */

import type { LocalAlarms } from '../cloudwatch/alarms.js';
import type { ServiceMetrics } from '../cloudwatch/service-metrics.js';
import type { KinesisEventSourceMapping } from '../event-source-mapping.js';
import type { EventRules } from '../events/rules.js';
import type { FunctionLogSink, LocalLambdaFunction } from '../lambda-runtime.js';
import type { ParameterStore } from '../ssm/parameter-store.js';

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
  /** Deletes it (the stack's deletion, or an update that creates it again): after `stop`. */
  remove?: () => Promise<void>;
}

export type ResourceHook = (
  logicalId: string,
  resolvedProperties: Record<string, unknown>,
  context: HookContext,
) => Promise<HookResult>;

/** Settings of the deployer, shared by every stack it deploys. */
export interface EngineOptions {
  /** The local cloud's endpoint (`startLocalCloud().endpoint`), or LocalStack's. */
  cloudEndpoint: string;
  /** Creators for resource types this module does not create, keyed by type. */
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
  /** Where each function's log lines go with their group and stream (the cloud's `services.logSink`). */
  logSink?: FunctionLogSink;
  /** Log lines of the functions (source: the logical id) and notes of the mappings (source: their id). */
  onLog?: (source: string, line: string) => void;
  /** The Parameter Store that AWS::SSM::Parameter writes to and SSM parameter types read. */
  ssm?: ParameterStore;
  /** Where AWS::Events::Rule rules are kept and run. @default the process's (`localEventRules`) */
  eventRules?: EventRules;
  /** Where AWS::CloudWatch::Alarm alarms are kept and judged. @default the process's (`localAlarms`) */
  alarms?: LocalAlarms;
  /**
   * Where the functions, mappings and HTTP APIs publish their AWS/* metrics: the cloud's
   * (`services.cloudwatch.serviceMetrics`). @default nowhere
   */
  serviceMetrics?: ServiceMetrics;
}

export interface DeployTemplateOptions extends EngineOptions {
  /** @default 'cdk.out' */
  cdkOut?: string;
  stackName: string;
  /** Values of the template's Parameters (else their Default). */
  parameters?: Record<string, string>;
}

/** A resource's state as CloudFormation's stack events name it. */
export type ResourceStatus =
  | 'CREATE_IN_PROGRESS'
  | 'CREATE_COMPLETE'
  | 'CREATE_FAILED'
  | 'UPDATE_IN_PROGRESS'
  | 'UPDATE_COMPLETE'
  | 'UPDATE_FAILED'
  | 'DELETE_IN_PROGRESS'
  | 'DELETE_COMPLETE'
  | 'DELETE_FAILED'
  | 'DELETE_SKIPPED';

/** One resource's step, as a stack event reports it. */
export interface ResourceEvent {
  logicalId: string;
  type: string;
  physicalId: string;
  status: ResourceStatus;
  reason?: string;
  properties?: Record<string, unknown>;
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
  /** Its properties as resolved when it was deployed: an update compares them to tell what changed. */
  properties?: Record<string, unknown>;
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

export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
  Metadata?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

export interface Template {
  AWSTemplateFormatVersion?: string;
  Resources?: Record<string, TemplateResource>;
  Outputs?: Record<
    string,
    { Value: unknown; Condition?: string; Description?: string; Export?: { Name?: unknown } }
  >;
  Conditions?: Record<string, unknown>;
  Parameters?: Record<string, { Type?: string; Default?: unknown; Description?: string; NoEcho?: unknown }>;
  Rules?: Record<
    string,
    { RuleCondition?: unknown; Assertions?: Array<{ Assert: unknown; AssertDescription?: string }> }
  >;
  Description?: string;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
}

export interface AssetManifest {
  files?: Record<string, { source?: { path?: string; packaging?: string } }>;
}
