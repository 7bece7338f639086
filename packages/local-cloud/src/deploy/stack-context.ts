/**
 * The context a stack gives each resource's creator: where the stack is, the cloud's clients, the resources made so
 * far (for intrinsics), the stack's functions and mappings, and how to name things.
 */

import type { KinesisEventSourceMapping } from '../event-source-mapping.js';
import type { LocalLambdaFunction } from '../lambda-runtime.js';
import type { DeployEngine } from './engine.js';
import { Resolver } from './intrinsics.js';
import { physicalNameFor } from './naming.js';
import type { CreatorContext } from './resources/context.js';
import type { AssetManifest, DeployedResource, ResourceEvent, Template } from './types.js';

/** What a stack's apply is given. */
export interface ApplyInput {
  template: Template;
  /** The Parameters' values, SSM parameter types already resolved (else their Default). */
  parameters: Record<string, string>;
  /** A cdk.out folder whose asset folders hold the functions' code (else the code is read from S3). */
  cdkOut?: string;
  assets?: AssetManifest;
  onEvent?: (event: ResourceEvent) => void;
}

/** What of a stack its creators use. */
export interface StackRuntime {
  readonly stackName: string;
  readonly stackId: string;
  readonly functions: Map<string, LocalLambdaFunction>;
  readonly functionRoles: Map<LocalLambdaFunction, string>;
  readonly mappings: Map<string, KinesisEventSourceMapping>;
  functionNamed(nameOrArn: string): LocalLambdaFunction | undefined;
}

export function creatorContext(
  engine: DeployEngine,
  stack: StackRuntime,
  input: ApplyInput,
  resources: Map<string, DeployedResource>,
  warn: (message: string) => void,
  previous?: DeployedResource,
  resumeAtMs?: number,
): CreatorContext {
  const local = {
    stackName: stack.stackName,
    region: engine.region,
    accountId: engine.accountId,
    cloudEndpoint: engine.cloudEndpoint,
    stackId: stack.stackId,
  };
  return {
    local,
    options: engine.options,
    cdkOut: input.cdkOut,
    assets: input.assets ?? {},
    kinesis: engine.kinesis,
    dynamodb: engine.dynamodb,
    s3: engine.s3,
    sqs: engine.sqs,
    resources,
    functions: stack.functions,
    functionRoles: stack.functionRoles,
    mappings: stack.mappings,
    resolver: new Resolver(input.template, local, input.parameters, resources, warn),
    warn,
    functionNamed: (nameOrArn) => stack.functionNamed(nameOrArn),
    nameFor: (type, logicalId, properties) => physicalNameFor(stack.stackName, type, logicalId, properties),
    ...(previous === undefined ? {} : { previous }),
    ...(resumeAtMs === undefined ? {} : { resumeAtMs }),
    ...(engine.options.ssm === undefined ? {} : { ssm: engine.options.ssm }),
  };
}
