/** Kinesis event-source mappings, run here (src/event-source-mapping.ts), with their on-failure destinations. */

import { randomUUID } from 'node:crypto';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import {
  type FailureDestination,
  kinesisStreamOfArn,
  type StartingPosition,
  s3FailureDestination,
  snsFailureDestination,
  sqsFailureDestination,
  startKinesisEventSourceMapping,
} from '../../event-source-mapping.js';
import { synthesizedAttributes } from '../naming.js';
import { getPath, numberSetting } from '../util.js';
import type { Created, CreatorContext } from './context.js';

export async function createEventSourceMapping(
  ctx: CreatorContext,
  logicalId: string,
  p: Record<string, unknown>,
): Promise<Created> {
  const { local, options, kinesis, mappings, functionRoles, functionNamed } = ctx;
  const base = synthesizedAttributes('AWS::Lambda::EventSourceMapping', logicalId, logicalId, local);
  // An update keeps the mapping's UUID, as Lambda does.
  const uuid = ctx.previous?.physicalId || randomUUID();
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
      ? await destinationFor(ctx, destinationArn)
      : undefined;
  const ignored = ['FilterCriteria', 'TumblingWindowInSeconds', 'ScalingConfig', 'MetricsConfig'].filter(
    (key) => p[key] !== undefined,
  );
  const attributes = {
    Id: uuid,
    EventSourceMappingArn: `arn:aws:lambda:${local.region}:${local.accountId}:event-source-mapping:${uuid}`,
  };
  if (p.Enabled === false) return { physicalId: uuid, attributes, notes: ['Enabled is false: not polling'] };
  const mapping = startKinesisEventSourceMapping(
    {
      uuid,
      eventSourceArn: sourceArn,
      functionArn: fn.functionArn,
      ...(functionRoles.get(fn) ? { invokeIdentityArn: functionRoles.get(fn) } : {}),
      // An updated mapping goes on from where the one it replaces stopped.
      ...(ctx.resumeAtMs === undefined
        ? {
            startingPosition: String(p.StartingPosition ?? 'LATEST') as StartingPosition,
            ...(p.StartingPositionTimestamp === undefined
              ? {}
              : { startingPositionTimestamp: Number(p.StartingPositionTimestamp) }),
          }
        : { startingPosition: 'AT_TIMESTAMP' as const, startingPositionTimestamp: ctx.resumeAtMs / 1000 }),
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
      // The function running now: an update of the function swaps it under the mapping.
      invoke: (event) => (functionNamed(fn.functionName) ?? fn).invoke(event),
      region: local.region,
      ...options.mappingOptions,
      ...(options.onLog ? { onLog: (line: string) => options.onLog?.(logicalId, line) } : {}),
      ...(options.serviceMetrics ? { serviceMetrics: options.serviceMetrics } : {}),
    },
  );
  mappings.set(logicalId, mapping);
  // As CloudFormation waits for the mapping to be enabled: records put after the deployment are read.
  await mapping.ready();
  return {
    physicalId: uuid,
    attributes,
    stop: async () => {
      await mapping.stop();
      if (mappings.get(logicalId) === mapping) mappings.delete(logicalId);
    },
    notes: [
      `${kinesisStreamOfArn(sourceArn).streamName} → ${fn.functionName}${onFailure ? `, on failure → ${onFailure.arn}` : ''}`,
      ...mapping.warnings,
    ],
  };
}

async function destinationFor(ctx: CreatorContext, arn: string): Promise<FailureDestination> {
  const { local, s3, sqs, resources } = ctx;
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
