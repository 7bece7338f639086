/**
 * EventBridge event patterns on the local cloud: a stack deployed through CloudFormation with a rule whose
 * EventPattern selects large orders, targeting a Lambda function, an SQS queue and an SNS topic; events put with
 * `aws events put-events` reach all three when they match and none when they do not. Entries EventBridge refuses
 * fail alone, with AWS's codes; a pattern the local cloud does not match fails the deploy, naming the matcher.
 */

import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../src/local-cloud.js';
import {
  awsCli,
  type LoggedLine,
  receiveBodies,
  settled as settledStack,
  startLoggedCloud,
  until,
} from '../support/harness.js';

let cloud: LocalCloud;
let cfn: CloudFormationClient;
let sqs: SQSClient;
let out: Record<string, string>;
const lines: LoggedLine[] = [];

const FUNCTION_CODE = `exports.handler = async (event) => {
  console.log('ORDER ' + JSON.stringify(event));
  return 'ok';
};`;

const PATTERN = {
  source: ['shop.orders'],
  'detail-type': ['Order Placed'],
  detail: { amount: [{ numeric: ['>', 100] }], country: [{ 'anything-but': ['XX'] }] },
};

const template = (pattern: unknown = PATTERN) =>
  JSON.stringify({
    Resources: {
      Fn: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          Runtime: 'nodejs20.x',
          Handler: 'index.handler',
          Role: 'arn:aws:iam::000000000000:role/any',
          Code: { ZipFile: FUNCTION_CODE },
        },
      },
      Queue: { Type: 'AWS::SQS::Queue' },
      Topic: { Type: 'AWS::SNS::Topic' },
      TopicQueue: { Type: 'AWS::SQS::Queue' },
      LargeOrders: {
        Type: 'AWS::Events::Rule',
        Properties: {
          Name: 'large-orders',
          EventPattern: pattern,
          Targets: [
            { Id: 'fn', Arn: { 'Fn::GetAtt': ['Fn', 'Arn'] } },
            { Id: 'queue', Arn: { 'Fn::GetAtt': ['Queue', 'Arn'] } },
            { Id: 'topic', Arn: { Ref: 'Topic' } },
          ],
        },
      },
    },
    Outputs: {
      QueueUrl: { Value: { Ref: 'Queue' } },
      TopicArn: { Value: { Ref: 'Topic' } },
      TopicQueueUrl: { Value: { Ref: 'TopicQueue' } },
      TopicQueueArn: { Value: { 'Fn::GetAtt': ['TopicQueue', 'Arn'] } },
    },
  });

const receive = (queueUrl: string, count: number) => receiveBodies(sqs, queueUrl, count);

const order = (id: string, amount: number, country = 'NL') => ({
  Source: 'shop.orders',
  DetailType: 'Order Placed',
  Detail: JSON.stringify({ id, amount, country }),
  Resources: ['arn:aws:shop:us-east-1:000000000000:order/1'],
});

const aws = (args: string[]) => awsCli(cloud.endpoint, args);
const settled = (stackName: string) => settledStack(cfn, stackName);

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

describe('EventBridge event patterns on the local cloud', () => {
  it('sends events put with the AWS CLI that match the rule to its function, queue and topic, and no others', async () => {
    await cfn.send(new CreateStackCommand({ StackName: 'orders', TemplateBody: template() }));
    expect(await settled('orders')).toBe('CREATE_COMPLETE');
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'orders' }))).Stacks?.[0];
    out = Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue as string]));
    const sns = new SNSClient({
      endpoint: cloud.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    await sns.send(
      new SubscribeCommand({ TopicArn: out.TopicArn, Protocol: 'sqs', Endpoint: out.TopicQueueArn }),
    );
    sns.destroy();

    // Too small, from a refused country, another source: none matches. Then two that match.
    const entries = [
      order('small', 20),
      order('refused-country', 500, 'XX'),
      { ...order('other-source', 500), Source: 'shop.returns' },
      order('large-1', 150),
      order('large-2', 900),
    ];
    const put = JSON.parse(
      (await aws(['events', 'put-events', '--entries', JSON.stringify(entries)])).stdout,
    ) as { FailedEntryCount: number; Entries: Array<{ EventId: string }> };
    expect(put.FailedEntryCount).toBe(0);
    expect(put.Entries).toHaveLength(5);

    const queued = await receive(out.QueueUrl as string, 2);
    const ids = queued.map((e) => (e.detail as { id: string }).id).sort();
    expect(ids).toEqual(['large-1', 'large-2']);
    const large1 = queued.find((e) => (e.detail as { id: string }).id === 'large-1');
    expect(large1).toEqual({
      version: '0',
      id: put.Entries[3]?.EventId,
      'detail-type': 'Order Placed',
      source: 'shop.orders',
      account: '000000000000',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      region: 'us-east-1',
      resources: ['arn:aws:shop:us-east-1:000000000000:order/1'],
      detail: { id: 'large-1', amount: 150, country: 'NL' },
    });

    const published = await receive(out.TopicQueueUrl as string, 2);
    const viaTopic = published.map(
      (n) => (JSON.parse(n.Message as string) as { detail: { id: string } }).detail.id,
    );
    expect(viaTopic.sort()).toEqual(['large-1', 'large-2']);

    const invoked = await until('the function to get both orders', () => {
      const got = lines.filter((l) => l.source === 'Fn' && l.line.includes('ORDER '));
      return got.length >= 2 ? got : undefined;
    });
    const invokedIds = invoked.map((l) => JSON.parse(l.line.slice(l.line.indexOf('ORDER ') + 6)).detail.id);
    expect(invokedIds.sort()).toEqual(['large-1', 'large-2']);
  });

  it("fails the entries EventBridge refuses, with AWS's codes, and puts the others", async () => {
    const entries = [
      { Source: 'shop.orders', DetailType: 'Order Placed' },
      { ...order('bad', 500), Detail: '[1, 2]' },
      { ...order('aws', 500), Source: 'aws.ec2' },
      order('fine', 500),
    ];
    const put = JSON.parse(
      (await aws(['events', 'put-events', '--entries', JSON.stringify(entries)])).stdout,
    ) as { FailedEntryCount: number; Entries: Array<Record<string, string>> };
    expect(put.FailedEntryCount).toBe(3);
    expect(put.Entries[0]).toEqual({
      ErrorCode: 'InvalidArgument',
      ErrorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.',
    });
    expect(put.Entries[1]).toEqual({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' });
    expect(put.Entries[2]?.ErrorCode).toBe('NotAuthorizedForSourceException');
    expect(put.Entries[3]?.EventId).toMatch(/^[0-9a-f-]{36}$/);
    const [fine] = await receive(out.QueueUrl as string, 1);
    expect(fine?.detail).toMatchObject({ id: 'fine' });
  });

  it('fails the deploy of a rule whose pattern uses a matcher it does not match, naming the matcher', async () => {
    const cidr = { source: ['shop.orders'], detail: { ip: [{ cidr: '10.0.0.0/24' }] } };
    await cfn.send(new CreateStackCommand({ StackName: 'cidr', TemplateBody: template(cidr) }));
    expect(await settled('cidr')).toBe('ROLLBACK_COMPLETE');
    const events = (await cfn.send(new DescribeStackEventsCommand({ StackName: 'cidr' }))).StackEvents ?? [];
    const failed = events.find(
      (e) => e.LogicalResourceId === 'LargeOrders' && e.ResourceStatus === 'CREATE_FAILED',
    );
    expect(failed?.ResourceStatusReason).toMatch(
      /EventPattern detail\.ip: the matcher "cidr" is not supported by the local cloud/,
    );
    await cfn.send(new DeleteStackCommand({ StackName: 'cidr' }));
  });
});
