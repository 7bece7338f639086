/**
 * EventBridge custom buses and failed deliveries on the local cloud: buses made with `aws events create-event-bus`
 * and as AWS::Events::EventBus, rules on them, events put on them reaching only their rules; a target that cannot
 * take an event (its queue does not exist) retried by its RetryPolicy, then the event sent to its
 * DeadLetterConfig queue with the attributes EventBridge sets.
 */

import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { DeleteMessageCommand, type Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../src/local-cloud.js';
import {
  awsCli,
  type LoggedLine,
  settled as settledStack,
  startLoggedCloud,
  until,
} from '../support/harness.js';

let cloud: LocalCloud;
let cfn: CloudFormationClient;
let sqs: SQSClient;
let out: Record<string, string>;
const lines: LoggedLine[] = [];

const MISSING_QUEUE = 'arn:aws:sqs:us-east-1:000000000000:no-such-queue';

const template = JSON.stringify({
  Resources: {
    Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'orders-bus' } },
    Delivered: { Type: 'AWS::SQS::Queue' },
    DeadLetters: { Type: 'AWS::SQS::Queue' },
    Orders: {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: 'orders-on-bus',
        EventBusName: { Ref: 'Bus' },
        EventPattern: { source: ['shop.orders'] },
        Targets: [
          { Id: 'delivered', Arn: { 'Fn::GetAtt': ['Delivered', 'Arn'] } },
          {
            Id: 'lost',
            Arn: MISSING_QUEUE,
            RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['DeadLetters', 'Arn'] } },
          },
        ],
      },
    },
  },
  Outputs: {
    BusArn: { Value: { 'Fn::GetAtt': ['Bus', 'Arn'] } },
    DeliveredUrl: { Value: { Ref: 'Delivered' } },
    DeadLettersUrl: { Value: { Ref: 'DeadLetters' } },
  },
});

async function receive(queueUrl: string): Promise<Message> {
  return until(`a message in ${queueUrl}`, async () => {
    const answer = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 1,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    const message = answer.Messages?.[0];
    if (message === undefined) return undefined;
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    return message;
  });
}

const aws = async (args: string[]) => {
  const { stdout } = await awsCli(cloud.endpoint, args);
  return stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>);
};
const settled = (stackName: string) => settledStack(cfn, stackName);
const putOrder = (bus: string, id: string) =>
  aws([
    'events',
    'put-events',
    '--entries',
    JSON.stringify([
      { Source: 'shop.orders', DetailType: 'Order', Detail: JSON.stringify({ id }), EventBusName: bus },
    ]),
  ]);

beforeAll(async () => {
  const started = await startLoggedCloud(lines);
  cloud = started.cloud;
  const config = started.clientConfig;
  cfn = new CloudFormationClient(config);
  sqs = new SQSClient(config);
}, 120_000);

afterAll(async () => {
  for (const client of [cfn, sqs]) client?.destroy();
  await cloud?.stop();
});

describe('EventBridge custom buses on the local cloud', () => {
  it('creates, describes, lists and deletes a bus with the AWS CLI', async () => {
    const created = await aws(['events', 'create-event-bus', '--name', 'cli-bus']);
    expect(created.EventBusArn).toBe('arn:aws:events:us-east-1:000000000000:event-bus/cli-bus');
    await expect(aws(['events', 'create-event-bus', '--name', 'cli-bus'])).rejects.toThrow(
      /ResourceAlreadyExistsException/,
    );
    expect(await aws(['events', 'describe-event-bus', '--name', 'cli-bus'])).toMatchObject({
      Name: 'cli-bus',
      Arn: 'arn:aws:events:us-east-1:000000000000:event-bus/cli-bus',
    });
    const listed = (await aws(['events', 'list-event-buses'])).EventBuses as Array<{ Name: string }>;
    expect(listed.map((b) => b.Name)).toEqual(expect.arrayContaining(['default', 'cli-bus']));
    await expect(aws(['events', 'delete-event-bus', '--name', 'default'])).rejects.toThrow(
      /Cannot delete event bus default/,
    );
    await aws(['events', 'delete-event-bus', '--name', 'cli-bus']);
    await expect(aws(['events', 'describe-event-bus', '--name', 'cli-bus'])).rejects.toThrow(
      /ResourceNotFoundException[\s\S]*cli-bus does not exist/,
    );
  });

  it('fails a PutEvents entry for a bus that does not exist, alone', async () => {
    const answer = await aws([
      'events',
      'put-events',
      '--entries',
      JSON.stringify([
        { Source: 'shop.orders', DetailType: 'Order', Detail: '{}', EventBusName: 'nowhere' },
        { Source: 'shop.orders', DetailType: 'Order', Detail: '{}' },
      ]),
    ]);
    expect(answer.FailedEntryCount).toBe(1);
    expect((answer.Entries as unknown[])[0]).toEqual({
      ErrorCode: 'ResourceNotFoundException',
      ErrorMessage: 'Event bus nowhere does not exist.',
    });
  });

  it('delivers events put on a stack bus to its rule, and dead-letters what a target cannot take after its retries', async () => {
    await cfn.send(new CreateStackCommand({ StackName: 'bus-stack', TemplateBody: template }));
    expect(await settled('bus-stack')).toBe('CREATE_COMPLETE');
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'bus-stack' }))).Stacks?.[0];
    out = Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue as string]));
    expect(out.BusArn).toBe('arn:aws:events:us-east-1:000000000000:event-bus/orders-bus');
    const rules = (await aws(['events', 'list-rules', '--event-bus-name', 'orders-bus'])).Rules as Array<{
      Name: string;
      Arn: string;
    }>;
    expect(rules).toMatchObject([
      { Name: 'orders-on-bus', Arn: 'arn:aws:events:us-east-1:000000000000:rule/orders-bus/orders-on-bus' },
    ]);
    const targets = (
      await aws([
        'events',
        'list-targets-by-rule',
        '--rule',
        'orders-on-bus',
        '--event-bus-name',
        'orders-bus',
      ])
    ).Targets as Array<Record<string, unknown>>;
    expect(targets[1]).toMatchObject({
      Id: 'lost',
      RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 },
    });

    await putOrder('orders-bus', 'o-1');
    const delivered = JSON.parse((await receive(out.DeliveredUrl as string)).Body ?? '{}');
    expect(delivered).toMatchObject({ source: 'shop.orders', detail: { id: 'o-1' } });

    const dead = await receive(out.DeadLettersUrl as string);
    expect(JSON.parse(dead.Body ?? '{}')).toMatchObject({ id: delivered.id, detail: { id: 'o-1' } });
    const attribute = (name: string) => dead.MessageAttributes?.[name]?.StringValue;
    expect(attribute('RULE_ARN')).toBe('arn:aws:events:us-east-1:000000000000:rule/orders-bus/orders-on-bus');
    expect(attribute('TARGET_ARN')).toBe(MISSING_QUEUE);
    expect(attribute('ERROR_CODE')).toBe('RESOURCE_NOT_FOUND');
    expect(attribute('ERROR_MESSAGE')).toMatch(/no-such-queue|does not exist|NonExistentQueue/i);
    // One try and the two retries of its RetryPolicy, then the dead-letter queue.
    const logged = await until('the dead-letter log line', () =>
      lines.find((l) => l.source === 'Orders' && /sent to the dead-letter queue/.test(l.line)),
    );
    expect(logged.line).toMatch(/target lost .* failed: .*\(after 3 tries; sent to the dead-letter queue\)/);
  });

  it('refuses a rule on a bus that does not exist, naming the bus', async () => {
    const bad = JSON.stringify({
      Resources: {
        Rule: {
          Type: 'AWS::Events::Rule',
          Properties: { EventBusName: 'not-made', EventPattern: { source: ['x'] } },
        },
      },
    });
    await cfn.send(new CreateStackCommand({ StackName: 'no-bus', TemplateBody: bad }));
    expect(await settled('no-bus')).toBe('ROLLBACK_COMPLETE');
    const events = await aws(['cloudformation', 'describe-stack-events', '--stack-name', 'no-bus']);
    const reasons = (events.StackEvents as Array<{ ResourceStatusReason?: string }>).map(
      (e) => e.ResourceStatusReason,
    );
    expect(reasons.join('\n')).toMatch(/Event bus not-made does not exist/);
  });

  it('deletes the stack bus with its stack', async () => {
    await cfn.send(new DeleteStackCommand({ StackName: 'bus-stack' }));
    expect(await settled('bus-stack')).toBe('GONE');
    await expect(aws(['events', 'describe-event-bus', '--name', 'orders-bus'])).rejects.toThrow(
      /ResourceNotFoundException/,
    );
  });
});
