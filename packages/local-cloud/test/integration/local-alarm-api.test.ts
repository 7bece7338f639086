/**
 * CloudWatch alarms made through the API, as engineers make them with their own tools: the AWS CLI
 * (`put-metric-alarm`, `describe-alarms-for-metric`, `disable-alarm-actions`, `delete-alarms`,
 * `get-metric-data` with an expression) and the SDK for JavaScript v3; an alarm put this way is evaluated on the
 * cloud's metrics and notifies its SNS topic like a deployed one. The query protocol (Debian's AWS CLI 2.9, the
 * SDK v2) is spoken with a form POST.
 */

import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../src/local-cloud.js';
import { awsCli, localClientConfig, until as waitUntil } from '../support/harness.js';

let cloud: LocalCloud;
let cloudwatch: CloudWatchClient;
let sqs: SQSClient;
let topicArn: string;
let queueUrl: string;

const aws = async (args: string[]) => {
  const { stdout } = await awsCli(cloud.endpoint, args);
  return stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>);
};
/** Alarms judge 10 s periods here: a state follows a sample within about 20 s. */
const until: typeof waitUntil = (what, probe, options = { timeoutMs: 90_000, pollMs: 200 }) =>
  waitUntil(what, probe, options);

/** The next alarm notification the queue receives: the alarm's name and new state, in the order sent. */
async function nextNotification(): Promise<{ alarm: string; state: string; reason: string }> {
  return until('a notification', async () => {
    const answer = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }),
    );
    const message = answer.Messages?.[0];
    if (message === undefined) return undefined;
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    const body = JSON.parse(JSON.parse(message.Body ?? '{}').Message) as Record<string, string>;
    return {
      alarm: body.AlarmName as string,
      state: body.NewStateValue as string,
      reason: body.NewStateReason as string,
    };
  });
}

async function stateOf(name: string): Promise<string | undefined> {
  const answer = await aws(['cloudwatch', 'describe-alarms', '--alarm-names', name]);
  return (answer.MetricAlarms as Array<{ StateValue: string }>)[0]?.StateValue;
}

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  const config = localClientConfig(cloud.endpoint);
  cloudwatch = new CloudWatchClient(config);
  sqs = new SQSClient(config);
  const sns = new SNSClient(config);
  topicArn = (await sns.send(new CreateTopicCommand({ Name: 'api-alarms' }))).TopicArn as string;
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'api-alarms' }))).QueueUrl as string;
  const queueArn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))
  ).Attributes?.QueueArn;
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn }));
  sns.destroy();
}, 120_000);

afterAll(async () => {
  cloudwatch?.destroy();
  sqs?.destroy();
  await cloud?.stop();
});

describe('CloudWatch alarms through the API', () => {
  it('evaluates an alarm put with the AWS CLI and notifies its topic when it crosses', async () => {
    await aws([
      'cloudwatch',
      'put-metric-alarm',
      '--alarm-name',
      'cli-latency',
      '--namespace',
      'Test/Api',
      '--metric-name',
      'Latency',
      '--dimensions',
      'Name=Service,Value=scoring',
      '--statistic',
      'Maximum',
      '--period',
      '10',
      '--evaluation-periods',
      '1',
      '--threshold',
      '100',
      '--comparison-operator',
      'GreaterThanThreshold',
      '--treat-missing-data',
      'notBreaching',
      '--alarm-actions',
      topicArn,
    ]);
    const described = (await aws(['cloudwatch', 'describe-alarms', '--alarm-names', 'cli-latency']))
      .MetricAlarms as Array<Record<string, unknown>>;
    expect(described[0]).toMatchObject({
      AlarmArn: 'arn:aws:cloudwatch:us-east-1:000000000000:alarm:cli-latency',
      Namespace: 'Test/Api',
      Statistic: 'Maximum',
      Period: 10,
      Threshold: 100,
      ActionsEnabled: true,
      AlarmActions: [topicArn],
    });
    await until('OK on no data', async () => ((await stateOf('cli-latency')) === 'OK' ? true : undefined));
    await aws([
      'cloudwatch',
      'put-metric-data',
      '--namespace',
      'Test/Api',
      '--metric-name',
      'Latency',
      '--dimensions',
      'Service=scoring',
      '--value',
      '500',
    ]);
    const notified = await nextNotification();
    expect(notified).toMatchObject({ alarm: 'cli-latency', state: 'ALARM' });
    expect(notified.reason).toMatch(/^Threshold Crossed: 1 out of the last 1 datapoints \[500\.0 /);
  });

  it('lists the alarm for its metric with describe-alarms-for-metric, and no other', async () => {
    const found = await aws([
      'cloudwatch',
      'describe-alarms-for-metric',
      '--namespace',
      'Test/Api',
      '--metric-name',
      'Latency',
      '--dimensions',
      'Name=Service,Value=scoring',
    ]);
    expect((found.MetricAlarms as Array<{ AlarmName: string }>).map((a) => a.AlarmName)).toEqual([
      'cli-latency',
    ]);
    const other = await aws([
      'cloudwatch',
      'describe-alarms-for-metric',
      '--namespace',
      'Test/Api',
      '--metric-name',
      'Latency',
    ]);
    expect(other.MetricAlarms).toEqual([]);
  });

  it('sends no notification while actions are disabled, and again once enabled', async () => {
    await aws(['cloudwatch', 'disable-alarm-actions', '--alarm-names', 'cli-latency']);
    const described = (await aws(['cloudwatch', 'describe-alarms', '--alarm-names', 'cli-latency']))
      .MetricAlarms as Array<Record<string, unknown>>;
    expect(described[0]?.ActionsEnabled).toBe(false);
    const set = (state: string, reason: string) =>
      aws([
        'cloudwatch',
        'set-alarm-state',
        '--alarm-name',
        'cli-latency',
        '--state-value',
        state,
        '--state-reason',
        reason,
      ]);
    // The alarm notifies on ALARM only (AlarmActions).
    await set('ALARM', 'silenced');
    await set('OK', 'quiet');
    await aws(['cloudwatch', 'enable-alarm-actions', '--alarm-names', 'cli-latency']);
    await set('ALARM', 'heard');
    // The topic's next message is the change made after enabling: the silenced one was never sent.
    expect(await nextNotification()).toMatchObject({ alarm: 'cli-latency', state: 'ALARM', reason: 'heard' });
  });

  it('evaluates a metric-math alarm put with the SDK', async () => {
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: 'sdk-error-rate',
        EvaluationPeriods: 1,
        Threshold: 50,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [topicArn],
        Metrics: [
          { Id: 'rate', Expression: 'IF(FILL(n,0) > 0, 100*FILL(e,0)/n, 0)', ReturnData: true },
          {
            Id: 'e',
            ReturnData: false,
            MetricStat: { Metric: { Namespace: 'Test/Math', MetricName: 'Errors' }, Period: 10, Stat: 'Sum' },
          },
          {
            Id: 'n',
            ReturnData: false,
            MetricStat: {
              Metric: { Namespace: 'Test/Math', MetricName: 'Requests' },
              Period: 10,
              Stat: 'Sum',
            },
          },
        ],
      }),
    );
    await until('OK with no requests', async () =>
      (await stateOf('sdk-error-rate')) === 'OK' ? true : undefined,
    );
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'Test/Math',
        MetricData: [
          { MetricName: 'Errors', Value: 3 },
          { MetricName: 'Requests', Value: 4 },
        ],
      }),
    );
    expect(await nextNotification()).toMatchObject({ alarm: 'sdk-error-rate', state: 'ALARM' });
  });

  it('refuses a metric-math alarm calling a function it does not evaluate, naming the function', async () => {
    await expect(
      cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName: 'sdk-rate',
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanThreshold',
          Metrics: [
            { Id: 'r', Expression: 'RATE(e)', ReturnData: true },
            {
              Id: 'e',
              ReturnData: false,
              MetricStat: {
                Metric: { Namespace: 'Test/Math', MetricName: 'Errors' },
                Period: 60,
                Stat: 'Sum',
              },
            },
          ],
        }),
      ),
    ).rejects.toThrow(
      /Alarm sdk-rate: expression "RATE\(e\)": function RATE is not supported by the local cloud/,
    );
    const none = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['sdk-rate'] }));
    expect(none.MetricAlarms).toEqual([]);
  });

  it('puts an alarm with the query protocol (form parameters), metric math included', async () => {
    const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
    const form = new URLSearchParams({
      Action: 'PutMetricAlarm',
      Version: '2010-08-01',
      AlarmName: 'query-alarm',
      EvaluationPeriods: '2',
      DatapointsToAlarm: '1',
      Threshold: '5',
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      ActionsEnabled: 'false',
      'Metrics.member.1.Id': 'total',
      'Metrics.member.1.Expression': 'a + b',
      'Metrics.member.1.ReturnData': 'true',
      'Metrics.member.2.Id': 'a',
      'Metrics.member.2.ReturnData': 'false',
      'Metrics.member.2.MetricStat.Metric.Namespace': 'Test/Query',
      'Metrics.member.2.MetricStat.Metric.MetricName': 'A',
      'Metrics.member.2.MetricStat.Metric.Dimensions.member.1.Name': 'Env',
      'Metrics.member.2.MetricStat.Metric.Dimensions.member.1.Value': 'local',
      'Metrics.member.2.MetricStat.Period': '60',
      'Metrics.member.2.MetricStat.Stat': 'Sum',
      'Metrics.member.3.Id': 'b',
      'Metrics.member.3.ReturnData': 'false',
      'Metrics.member.3.MetricStat.Metric.Namespace': 'Test/Query',
      'Metrics.member.3.MetricStat.Metric.MetricName': 'B',
      'Metrics.member.3.MetricStat.Period': '60',
      'Metrics.member.3.MetricStat.Stat': 'Maximum',
    });
    const response = await fetch(cloud.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `AWS4-HMAC-SHA256 Credential=test/${day}/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: form.toString(),
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/<PutMetricAlarmResponse/);
    const alarm = (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['query-alarm'] })))
      .MetricAlarms?.[0];
    expect(alarm).toMatchObject({
      EvaluationPeriods: 2,
      DatapointsToAlarm: 1,
      ActionsEnabled: false,
      Metrics: [
        { Id: 'total', Expression: 'a + b', ReturnData: true },
        {
          Id: 'a',
          MetricStat: {
            Metric: {
              Namespace: 'Test/Query',
              MetricName: 'A',
              Dimensions: [{ Name: 'Env', Value: 'local' }],
            },
            Period: 60,
            Stat: 'Sum',
          },
        },
        { Id: 'b', MetricStat: { Stat: 'Maximum' } },
      ],
    });
  });

  it('answers get-metric-data with an expression', async () => {
    const now = Date.now();
    const answer = await aws([
      'cloudwatch',
      'get-metric-data',
      '--start-time',
      new Date(now - 600_000).toISOString(),
      '--end-time',
      new Date(now + 60_000).toISOString(),
      '--metric-data-queries',
      JSON.stringify([
        {
          Id: 'e',
          ReturnData: false,
          MetricStat: { Metric: { Namespace: 'Test/Math', MetricName: 'Errors' }, Period: 660, Stat: 'Sum' },
        },
        {
          Id: 'n',
          ReturnData: false,
          MetricStat: {
            Metric: { Namespace: 'Test/Math', MetricName: 'Requests' },
            Period: 660,
            Stat: 'Sum',
          },
        },
        { Id: 'rate', Expression: '100 * e / n', Label: 'error %' },
      ]),
    ]);
    expect(answer.MetricDataResults).toMatchObject([{ Id: 'rate', Label: 'error %', Values: [75] }]);
  });

  it('deletes alarms with delete-alarms, and refuses (deleting none) when a name is unknown', async () => {
    await expect(
      aws(['cloudwatch', 'delete-alarms', '--alarm-names', 'cli-latency', 'no-such-alarm']),
    ).rejects.toThrow(/ResourceNotFound[\s\S]*no-such-alarm/);
    expect(await stateOf('cli-latency')).toBeDefined();
    await aws([
      'cloudwatch',
      'delete-alarms',
      '--alarm-names',
      'cli-latency',
      'sdk-error-rate',
      'query-alarm',
    ]);
    const left = await aws(['cloudwatch', 'describe-alarms']);
    expect(left.MetricAlarms).toEqual([]);
  });
});
