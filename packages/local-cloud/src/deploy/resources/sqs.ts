/** SQS queues, with their attributes. */

import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { notApplied } from '../util.js';
import type { Created, CreatorContext } from './context.js';

export async function createSqsQueue(
  ctx: CreatorContext,
  logicalId: string,
  p: Record<string, unknown>,
): Promise<Created> {
  const { local, sqs, nameFor } = ctx;
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
  // An update of a queue that keeps its name sets its attributes (CreateQueue refuses other attributes).
  const previousUrl = ctx.previous?.attributes.QueueUrl;
  let url: string;
  if (previousUrl !== undefined && ctx.previous?.attributes.QueueName === name) {
    const { FifoQueue: _fixed, ...settable } = attributes;
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: previousUrl, Attributes: settable }));
    url = previousUrl;
  } else {
    const created = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    url = created.QueueUrl ?? '';
  }
  const got = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = got.Attributes?.QueueArn ?? `arn:aws:sqs:${local.region}:${local.accountId}:${name}`;
  return {
    physicalId: url,
    attributes: { Arn: arn, QueueName: name, QueueUrl: url },
    notes: notApplied(p, ['QueueName', ...Object.keys(attributes)]),
  };
}
