/**
 * CloudWatch alarms on the local cloud: a p99 alarm and a metric-math error-rate alarm deployed through
 * CloudFormation are evaluated on the metrics put with the AWS CLI, their states read with
 * `aws cloudwatch describe-alarms`, and their changes of state published to SNS topics whose subscribed SQS
 * queues receive CloudWatch's notification.
 */

import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../src/local-cloud.js';
import {
  awsCli,
  localClientConfig,
  stackStatus as statusOf,
  until as waitUntil,
} from '../support/harness.js';

let cloud: LocalCloud;
let cfn: CloudFormationClient;
let sns: SNSClient;
let sqs: SQSClient;
let outputs: Record<string, string>;

const template = JSON.stringify({
  Resources: {
    Topic: { Type: 'AWS::SNS::Topic' },
    Queue: { Type: 'AWS::SQS::Queue' },
    SlowScoring: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: 'slow-scoring',
        AlarmDescription: 'p99 latency above 500 ms',
        Namespace: 'Test/Alarms',
        MetricName: 'Latency',
        Dimensions: [{ Name: 'Service', Value: 'scoring' }],
        ExtendedStatistic: 'p99',
        Period: 10,
        EvaluationPeriods: 1,
        Threshold: 500,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: 'Topic' }],
        OKActions: [{ Ref: 'Topic' }],
      },
    },
    MathTopic: { Type: 'AWS::SNS::Topic' },
    MathQueue: { Type: 'AWS::SQS::Queue' },
    ErrorRate: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: 'error-rate',
        EvaluationPeriods: 1,
        Threshold: 50,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [{ Ref: 'MathTopic' }],
        OKActions: [{ Ref: 'MathTopic' }],
        Metrics: [
          {
            Id: 'rate',
            Label: 'errors %',
            // As the product's API error-rate alarm: no requests is 0 %, not missing data.
            Expression: 'IF(FILL(requests,0) > 0, 100*FILL(errors,0)/requests, 0)',
            ReturnData: true,
          },
          {
            Id: 'errors',
            ReturnData: false,
            MetricStat: {
              Metric: { Namespace: 'Test/Alarms', MetricName: 'Errors' },
              Period: 10,
              Stat: 'Sum',
            },
          },
          {
            Id: 'requests',
            ReturnData: false,
            MetricStat: {
              Metric: { Namespace: 'Test/Alarms', MetricName: 'Requests' },
              Period: 10,
              Stat: 'Sum',
            },
          },
        ],
      },
    },
  },
  Outputs: {
    TopicArn: { Value: { Ref: 'Topic' } },
    QueueUrl: { Value: { Ref: 'Queue' } },
    QueueArn: { Value: { 'Fn::GetAtt': ['Queue', 'Arn'] } },
    AlarmArn: { Value: { 'Fn::GetAtt': ['SlowScoring', 'Arn'] } },
    MathTopicArn: { Value: { Ref: 'MathTopic' } },
    MathQueueUrl: { Value: { Ref: 'MathQueue' } },
    MathQueueArn: { Value: { 'Fn::GetAtt': ['MathQueue', 'Arn'] } },
  },
});

/** The next alarm notification the queue receives (the SNS envelope's Subject and parsed Message). */
async function nextNotification(
  state: string,
  queueUrl = outputs.QueueUrl,
): Promise<{ subject: string; message: Record<string, unknown> }> {
  return until(`an ${state} notification`, async () => {
    const answer = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }),
    );
    const message = answer.Messages?.[0];
    if (message === undefined) return undefined;
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    const envelope = JSON.parse(message.Body ?? '{}') as { Subject: string; Message: string };
    const parsed = {
      subject: envelope.Subject,
      message: JSON.parse(envelope.Message) as Record<string, unknown>,
    };
    return parsed.message.NewStateValue === state ? parsed : undefined;
  });
}

async function describeAlarm(name: string): Promise<Record<string, unknown> | undefined> {
  const answer = JSON.parse((await aws(['cloudwatch', 'describe-alarms', '--alarm-names', name])).stdout);
  return answer.MetricAlarms[0];
}

const aws = (args: string[]) => awsCli(cloud.endpoint, args);
/** This file's waits: up to 90 s, as an alarm's state follows the complete periods after a sample. */
const until: typeof waitUntil = (what, probe, options = { timeoutMs: 90_000, pollMs: 200 }) =>
  waitUntil(what, probe, options);
const stackStatus = (stackName: string) => statusOf(cfn, stackName);

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  const config = localClientConfig(cloud.endpoint);
  cfn = new CloudFormationClient(config);
  sns = new SNSClient(config);
  sqs = new SQSClient(config);
}, 120_000);

afterAll(async () => {
  for (const client of [cfn, sns, sqs]) client?.destroy();
  await cloud?.stop();
});

describe('CloudWatch alarms on the local cloud', () => {
  it('deploys the alarms with their topics and queues', async () => {
    await cfn.send(new CreateStackCommand({ StackName: 'alarms', TemplateBody: template }));
    await until('the stack', async () =>
      (await stackStatus('alarms')).endsWith('_IN_PROGRESS') ? undefined : true,
    );
    expect(await stackStatus('alarms')).toBe('CREATE_COMPLETE');
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'alarms' }))).Stacks?.[0];
    outputs = Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue as string]));
    await sns.send(
      new SubscribeCommand({ TopicArn: outputs.TopicArn, Protocol: 'sqs', Endpoint: outputs.QueueArn }),
    );
    await sns.send(
      new SubscribeCommand({
        TopicArn: outputs.MathTopicArn,
        Protocol: 'sqs',
        Endpoint: outputs.MathQueueArn,
      }),
    );
    const events =
      (await cfn.send(new DescribeStackEventsCommand({ StackName: 'alarms' }))).StackEvents ?? [];
    const math = events.find(
      (e) => e.LogicalResourceId === 'ErrorRate' && e.ResourceStatus === 'CREATE_COMPLETE',
    );
    expect(math?.ResourceStatusReason ?? '').not.toMatch(/recorded/);
  });

  it('evaluates a metric-math alarm: OK with no requests, ALARM when errors pass 50 %, OK again after', async () => {
    // No requests: the expression says 0 %, a datapoint (not missing data): OK from the first evaluation.
    const first = await until('the first evaluation', async () => {
      const alarm = await describeAlarm('error-rate');
      return alarm?.StateValue === 'OK' ? alarm : undefined;
    });
    expect(first).toMatchObject({
      AlarmName: 'error-rate',
      Threshold: 50,
      ComparisonOperator: 'GreaterThanThreshold',
      Metrics: [
        {
          Id: 'rate',
          Label: 'errors %',
          Expression: 'IF(FILL(requests,0) > 0, 100*FILL(errors,0)/requests, 0)',
          ReturnData: true,
        },
        {
          Id: 'errors',
          ReturnData: false,
          MetricStat: { Metric: { Namespace: 'Test/Alarms', MetricName: 'Errors' }, Period: 10, Stat: 'Sum' },
        },
        { Id: 'requests', ReturnData: false },
      ],
    });
    expect(first?.MetricName).toBeUndefined();
    expect(first?.StateReason).toMatch(
      /^Threshold Crossed: 1 out of the last 1 datapoints \[0\.0 \(.+\)\] was not greater than the threshold \(50\.0\)\.$/,
    );
    // (That first change, at deploy, was published before the queue subscribed to the topic.)

    // 3 errors out of 4 requests in one period: 75 %.
    await aws([
      'cloudwatch',
      'put-metric-data',
      '--namespace',
      'Test/Alarms',
      '--metric-data',
      JSON.stringify([
        { MetricName: 'Requests', Value: 4, Unit: 'Count' },
        { MetricName: 'Errors', Value: 3, Unit: 'Count' },
      ]),
    ]);
    const alarm = await nextNotification('ALARM', outputs.MathQueueUrl);
    expect(alarm.subject).toBe('ALARM: "error-rate" in US East (N. Virginia)');
    expect(alarm.message).toMatchObject({
      AlarmName: 'error-rate',
      OldStateValue: 'OK',
      AlarmActions: [outputs.MathTopicArn],
      Trigger: {
        Period: 10,
        EvaluationPeriods: 1,
        Threshold: 50,
        Metrics: [
          {
            id: 'rate',
            expression: 'IF(FILL(requests,0) > 0, 100*FILL(errors,0)/requests, 0)',
            returnData: true,
          },
          {
            id: 'errors',
            returnData: false,
            metricStat: {
              metric: { namespace: 'Test/Alarms', metricName: 'Errors' },
              period: 10,
              stat: 'Sum',
            },
          },
          { id: 'requests', returnData: false },
        ],
      },
    });
    expect(alarm.message.NewStateReason).toMatch(
      /^Threshold Crossed: 1 out of the last 1 datapoints \[75\.0 \(.+\)\] was greater than the threshold \(50\.0\)/,
    );

    // The next period has no requests: 0 % again, OK with its notification.
    const ok = await nextNotification('OK', outputs.MathQueueUrl);
    expect(ok.message.OldStateValue).toBe('ALARM');
  });

  it('evaluates a p99 alarm on metrics put with the AWS CLI and publishes each change of state to SNS', async () => {
    // No data yet, treated as not breaching: the alarm left INSUFFICIENT_DATA for OK when it was created.
    const first = await describeAlarm('slow-scoring');
    expect(first?.StateValue).toBe('OK');
    expect(first?.StateReason).toBe(
      'Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching].',
    );

    // 19 fast requests and a slow one: the average (59.5 ms) is fine, the p99 (1000 ms) is not.
    await aws([
      'cloudwatch',
      'put-metric-data',
      '--namespace',
      'Test/Alarms',
      '--metric-data',
      JSON.stringify([
        {
          MetricName: 'Latency',
          Dimensions: [{ Name: 'Service', Value: 'scoring' }],
          Unit: 'Milliseconds',
          Values: [10, 1000],
          Counts: [19, 1],
        },
      ]),
    ]);
    const alarm = await nextNotification('ALARM');
    expect(alarm.subject).toBe('ALARM: "slow-scoring" in US East (N. Virginia)');
    expect(alarm.message).toMatchObject({
      AlarmName: 'slow-scoring',
      AlarmDescription: 'p99 latency above 500 ms',
      AWSAccountId: '000000000000',
      NewStateValue: 'ALARM',
      OldStateValue: 'OK',
      Region: 'US East (N. Virginia)',
      AlarmArn: outputs.AlarmArn,
      AlarmActions: [outputs.TopicArn],
      Trigger: {
        MetricName: 'Latency',
        Namespace: 'Test/Alarms',
        StatisticType: 'ExtendedStatistic',
        ExtendedStatistic: 'p99',
        Dimensions: [{ value: 'scoring', name: 'Service' }],
        Period: 10,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 500,
        TreatMissingData: 'notBreaching',
      },
    });
    expect(alarm.message.NewStateReason).toMatch(
      /^Threshold Crossed: 1 out of the last 1 datapoints \[1000\.0 \(.+\)\] was greater than the threshold \(500\.0\)/,
    );
    const described = await describeAlarm('slow-scoring');
    expect(described).toMatchObject({
      AlarmName: 'slow-scoring',
      AlarmArn: outputs.AlarmArn,
      ExtendedStatistic: 'p99',
      Period: 10,
      Threshold: 500,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      Dimensions: [{ Name: 'Service', Value: 'scoring' }],
    });
    // The state may already be back to OK if the period ended meanwhile; the ALARM was seen above.
    expect(['ALARM', 'OK']).toContain(described?.StateValue);

    // Once the slow period is past, no data is not breaching: back to OK, with its notification.
    const ok = await nextNotification('OK');
    expect(ok.message.OldStateValue).toBe('ALARM');
  });

  it('fails the deploy of a metric-math alarm whose function it does not evaluate, naming the function', async () => {
    const bad = JSON.stringify({
      Resources: {
        Rate: {
          Type: 'AWS::CloudWatch::Alarm',
          Properties: {
            EvaluationPeriods: 1,
            Threshold: 1,
            ComparisonOperator: 'GreaterThanThreshold',
            Metrics: [
              { Id: 'r', Expression: 'RATE(m)', ReturnData: true },
              {
                Id: 'm',
                ReturnData: false,
                MetricStat: {
                  Metric: { Namespace: 'Test/Alarms', MetricName: 'Errors' },
                  Period: 60,
                  Stat: 'Sum',
                },
              },
            ],
          },
        },
      },
    });
    await cfn.send(new CreateStackCommand({ StackName: 'bad-alarm', TemplateBody: bad }));
    await until('the rollback', async () =>
      (await stackStatus('bad-alarm')).endsWith('_IN_PROGRESS') ? undefined : true,
    );
    expect(await stackStatus('bad-alarm')).toBe('ROLLBACK_COMPLETE');
    const events =
      (await cfn.send(new DescribeStackEventsCommand({ StackName: 'bad-alarm' }))).StackEvents ?? [];
    const failed = events.find((e) => e.LogicalResourceId === 'Rate' && e.ResourceStatus === 'CREATE_FAILED');
    expect(failed?.ResourceStatusReason).toMatch(/function RATE is not supported by the local cloud/);
    await cfn.send(new DeleteStackCommand({ StackName: 'bad-alarm' }));
  });

  it('forgets the alarms when the stack is deleted', async () => {
    await cfn.send(new DeleteStackCommand({ StackName: 'alarms' }));
    await until('the deletion', async () => ((await stackStatus('alarms')) === 'GONE' ? true : undefined));
    const answer = JSON.parse((await aws(['cloudwatch', 'describe-alarms'])).stdout);
    expect(answer.MetricAlarms).toEqual([]);
  });
});
