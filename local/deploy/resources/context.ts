/** What a resource creator gets from the deployment, and what it answers. */

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { KinesisEventSourceMapping } from '../../event-source-mapping.js';
import type { LocalLambdaFunction } from '../../lambda-runtime.js';
import type { Resolver } from '../intrinsics.js';
import type { Local } from '../naming.js';
import type { AssetManifest, DeployedResource, DeployTemplateOptions, TemplateResource } from '../types.js';

export interface Created {
  physicalId: string;
  attributes: Record<string, string>;
  notes?: string[];
  stop?: () => Promise<void>;
  /** Not created after all (a service the cloud does not serve): the reason. */
  skipped?: string;
}

export interface CreatorContext {
  readonly local: Local;
  readonly options: DeployTemplateOptions;
  readonly cdkOut: string;
  readonly assets: AssetManifest;
  readonly kinesis: KinesisClient;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly resources: Map<string, DeployedResource>;
  readonly functions: Map<string, LocalLambdaFunction>;
  readonly functionRoles: Map<LocalLambdaFunction, string>;
  readonly mappings: Map<string, KinesisEventSourceMapping>;
  readonly temporaryDirs: string[];
  readonly resolver: Resolver;
  warn(message: string): void;
  functionNamed(nameOrArn: string): LocalLambdaFunction | undefined;
  nameFor(type: string, logicalId: string, properties: Record<string, unknown>): string;
}

export type Creator = (
  ctx: CreatorContext,
  logicalId: string,
  properties: Record<string, unknown>,
  raw: TemplateResource,
) => Promise<Created>;
