/**
 * Deleting resources from the cloud, by type: what DeleteStack (and an update that drops a resource) does for
 * each type the local cloud creates. A resource already gone counts as deleted, as CloudFormation treats it.
 */

import { DeleteTableCommand, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import {
  DeleteStreamCommand,
  DeregisterStreamConsumerCommand,
  ResourceNotFoundException as KinesisNotFound,
} from '@aws-sdk/client-kinesis';
import { DeleteBucketCommand } from '@aws-sdk/client-s3';
import { DeleteQueueCommand } from '@aws-sdk/client-sqs';
import { snsQuery } from '../../event-source-mapping.js';
import type { DeployedResource } from '../types.js';
import type { CreatorContext } from './context.js';

type Remover = (ctx: CreatorContext, resource: DeployedResource) => Promise<void>;

const GONE = /NotFound|NoSuch|does not exist|non-existent/i;

async function ignoringGone(call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (
      error instanceof ResourceNotFoundException ||
      error instanceof KinesisNotFound ||
      GONE.test((error as Error).name) ||
      GONE.test((error as Error).message)
    )
      return;
    throw error;
  }
}

export const REMOVERS: Readonly<Record<string, Remover>> = {
  'AWS::Kinesis::Stream': (ctx, r) =>
    ignoringGone(() =>
      ctx.kinesis.send(new DeleteStreamCommand({ StreamName: r.physicalId, EnforceConsumerDeletion: true })),
    ),
  'AWS::Kinesis::StreamConsumer': (ctx, r) =>
    ignoringGone(() => ctx.kinesis.send(new DeregisterStreamConsumerCommand({ ConsumerARN: r.physicalId }))),
  'AWS::DynamoDB::Table': (ctx, r) =>
    ignoringGone(() => ctx.dynamodb.send(new DeleteTableCommand({ TableName: r.physicalId }))),
  // As on AWS, a bucket that still holds objects cannot be deleted: the error names it.
  'AWS::S3::Bucket': (ctx, r) =>
    ignoringGone(() => ctx.s3.send(new DeleteBucketCommand({ Bucket: r.physicalId }))),
  'AWS::SQS::Queue': (ctx, r) =>
    ignoringGone(() => ctx.sqs.send(new DeleteQueueCommand({ QueueUrl: r.physicalId }))),
  'AWS::SNS::Topic': (ctx, r) =>
    ignoringGone(() =>
      snsQuery(ctx.local.cloudEndpoint, ctx.local.region, { Action: 'DeleteTopic', TopicArn: r.physicalId }),
    ),
};
