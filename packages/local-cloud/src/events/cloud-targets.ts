/**
 * Delivery to the targets of rules made through the EventBridge API (PutRule, PutTargets): unlike a deployed
 * rule, whose Lambda targets are the functions of its stack, such a rule reaches whatever the cloud serves on its
 * endpoint: a Lambda function by the Lambda API (invoked asynchronously, `X-Amz-Invocation-Type: Event`, as
 * EventBridge invokes), an SQS queue by SendMessage, an SNS topic by Publish.
 */

import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { snsQuery } from '../esm/failure-destination.js';
import type { DeliverToTarget, SendToQueue } from './rules.js';

/** The kind of target an ARN names, of those the local cloud delivers to; undefined for any other. */
export function deliveryKind(arn: string): 'lambda' | 'sqs' | 'sns' | undefined {
  const service = /^arn:aws[\w-]*:(lambda|sqs|sns):/.exec(arn)?.[1];
  return service as 'lambda' | 'sqs' | 'sns' | undefined;
}

/** The cloud's URL of a queue, from its ARN (`arn:aws:sqs:<region>:<account>:<name>`). */
export function queueUrlOfArn(cloudEndpoint: string, queueArn: string): string {
  const [, , , , account, queue] = queueArn.split(':');
  return `${cloudEndpoint}/${account}/${queue}`;
}

export interface CloudTargets {
  readonly deliver: DeliverToTarget;
  readonly sendToQueue: SendToQueue;
  stop(): void;
}

export function cloudTargets(cloudEndpoint: string, region = 'us-east-1'): CloudTargets {
  const sqs = new SQSClient({
    endpoint: cloudEndpoint,
    region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const sendToQueue: SendToQueue = async (queueArn, body, attributes) => {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrlOfArn(cloudEndpoint, queueArn),
        MessageBody: body,
        MessageAttributes: Object.fromEntries(
          Object.entries(attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]),
        ),
      }),
    );
  };
  const invoke = async (functionArn: string, payload: string) => {
    const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
    const response = await fetch(
      `${cloudEndpoint}/2015-03-31/functions/${encodeURIComponent(functionArn)}/invocations`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-amz-invocation-type': 'Event',
          // The endpoint routes by the credential scope; the Lambda API checks no signature.
          authorization: `AWS4-HMAC-SHA256 Credential=test/${day}/${region}/lambda/aws4_request, SignedHeaders=host, Signature=0`,
        },
        body: payload,
        signal: AbortSignal.timeout(10_000),
      },
    );
    const text = await response.text();
    if (!response.ok) throw new Error(`Lambda Invoke: HTTP ${response.status}: ${text.slice(0, 300)}`);
  };
  const deliver: DeliverToTarget = async (target, input) => {
    const text = typeof input === 'string' ? input : JSON.stringify(input);
    const kind = deliveryKind(target.Arn);
    if (kind === 'lambda') return invoke(target.Arn, text);
    if (kind === 'sqs') {
      await sqs.send(
        new SendMessageCommand({ QueueUrl: queueUrlOfArn(cloudEndpoint, target.Arn), MessageBody: text }),
      );
      return;
    }
    if (kind === 'sns') {
      await snsQuery(cloudEndpoint, region, { Action: 'Publish', TopicArn: target.Arn, Message: text });
      return;
    }
    throw new Error('this target type is not delivered by the local cloud (Lambda, SQS and SNS are)');
  };
  return { deliver, sendToQueue, stop: () => sqs.destroy() };
}
