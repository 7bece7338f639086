/** Deploys a synthesized template: reads it, creates the resources wave by wave, resolves the outputs. */

import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { KinesisEventSourceMapping } from '../event-source-mapping.js';
import type { LocalLambdaFunction } from '../lambda-runtime.js';
import { Resolver } from './intrinsics.js';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION, physicalNameFor, synthesizedAttributes, uuidOf } from './naming.js';
import { deploymentWaves } from './order.js';
import type { Creator, CreatorContext } from './resources/context.js';
import { createDynamoDbTable } from './resources/dynamodb.js';
import { createEventSourceMapping } from './resources/event-source-mapping.js';
import { createKinesisStream, createKinesisStreamConsumer } from './resources/kinesis.js';
import { createLambdaFunction } from './resources/lambda.js';
import { createS3Bucket } from './resources/s3.js';
import { createSnsTopic } from './resources/sns.js';
import { createSqsQueue } from './resources/sqs.js';
import type {
  AssetManifest,
  DeployedResource,
  Deployment,
  DeployTemplateOptions,
  Template,
  TemplateResource,
} from './types.js';

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
    return physicalNameFor(local.stackName, type, logicalId, properties);
  };

  // Creators of the resource types the cloud (or this process) runs.
  const creators: Record<string, Creator> = {
    'AWS::Kinesis::Stream': createKinesisStream,
    'AWS::Kinesis::StreamConsumer': createKinesisStreamConsumer,
    'AWS::DynamoDB::Table': createDynamoDbTable,
    'AWS::S3::Bucket': createS3Bucket,
    'AWS::SQS::Queue': createSqsQueue,
    'AWS::SNS::Topic': createSnsTopic,
    'AWS::Lambda::Function': createLambdaFunction,
    'AWS::Lambda::EventSourceMapping': createEventSourceMapping,
  };
  const ctx: CreatorContext = {
    local,
    options,
    cdkOut,
    assets,
    kinesis,
    dynamodb,
    s3,
    sqs,
    resources,
    functions,
    functionRoles,
    mappings,
    temporaryDirs,
    resolver,
    warn,
    functionNamed,
    nameFor,
  };

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
    const created = await (creator as NonNullable<typeof creator>)(ctx, logicalId, properties, resource);
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
