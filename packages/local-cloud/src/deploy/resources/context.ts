/** What a resource creator gets from the deployment, and what it answers. */

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { KinesisEventSourceMapping } from '../../event-source-mapping.js';
import type { LocalLambdaFunction } from '../../lambda-runtime.js';
import type { ParameterStore } from '../../ssm/parameter-store.js';
import type { Resolver } from '../intrinsics.js';
import type { Local } from '../naming.js';
import type { AssetManifest, DeployedResource, EngineOptions, TemplateResource } from '../types.js';

export interface Created {
  physicalId: string;
  attributes: Record<string, string>;
  notes?: string[];
  /** Ends what runs in this process for it (a function's worker, a mapping's pollers). */
  stop?: () => Promise<void>;
  /** Deletes it from the cloud (when the stack drops it, or is deleted, and its DeletionPolicy allows). */
  remove?: () => Promise<void>;
  /** Not created after all (a service the cloud does not serve): the reason. */
  skipped?: string;
  /** Runs once the stack update that made it is done (a custom resource's Delete of what it replaced). */
  cleanup?: () => Promise<void>;
}

export interface CreatorContext {
  readonly local: Local & { readonly stackId: string };
  readonly options: EngineOptions;
  /** The cdk.out folder whose asset folders hold the functions' code; none when deploying what a CLI published. */
  readonly cdkOut: string | undefined;
  readonly assets: AssetManifest;
  readonly kinesis: KinesisClient;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly resources: Map<string, DeployedResource>;
  readonly functions: Map<string, LocalLambdaFunction>;
  readonly functionRoles: Map<LocalLambdaFunction, string>;
  readonly mappings: Map<string, KinesisEventSourceMapping>;
  readonly resolver: Resolver;
  warn(message: string): void;
  functionNamed(nameOrArn: string): LocalLambdaFunction | undefined;
  nameFor(type: string, logicalId: string, properties: Record<string, unknown>): string;
  /** On an update: the resource as deployed before. */
  readonly previous?: DeployedResource;
  /** On an update of an event-source mapping: when the mapping it replaces stopped reading (epoch ms). */
  readonly resumeAtMs?: number;
  /**
   * On the rollback of an update: what the update tried (its properties, and the physical id it got if it got
   * that far), to undo it from there.
   */
  readonly rollbackOf?: { properties: Record<string, unknown>; physicalId?: string };
  /** The SSM Parameter Store that AWS::SSM::Parameter writes to, when the cloud has one. */
  readonly ssm?: ParameterStore;
}

export type Creator = (
  ctx: CreatorContext,
  logicalId: string,
  properties: Record<string, unknown>,
  raw: TemplateResource,
) => Promise<Created>;
