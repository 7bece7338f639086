/**
 * The product's own metric-math alarm on the local cloud: the app deployed with the CDK CLI (`cdk bootstrap`,
 * `cdk deploy`), its scoring API's 5xx-rate alarm (`IF(FILL(n,0) > 0, 100*FILL(e,0)/n, 0)` over the API's
 * `AWS/ApiGateway` `5xx` and `Count`, 2 periods of 5 minutes) goes OK while requests succeed and ALARM once the
 * scoring function fails (its online-store table deleted under it), and the notification reaches an SQS queue
 * subscribed to the alarms' topic. The alarm periods run 60 times faster (STREAMFEATURES_LOCAL_ALARM_SCALE=60:
 * 5 s instead of 300 s), which is the one local-only setting here.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoringBody, signedPost } from '../../cli/demo-scoring.js';
import { ALARM_SCALE_VARIABLE } from '../../packages/local-cloud/src/cloudwatch/alarms.js';
import { type LocalCloud, startLocalCloud } from '../../packages/local-cloud/src/local-cloud.js';
import { localClientConfig, runCdk, userEnv } from '../support/cdk-cli.js';

const STACK = 'streamfeatures-dev';
const SCORE_REQUEST = scoringBody({ card_id: 'alarm-card', merchant_id: 'alarm-merchant' }) as string;

let cloud: LocalCloud;
let work: string;
let cloudwatch: CloudWatchClient;
let sqs: SQSClient;
let scoringUrl: string;
let alarmName: string;
let queueUrl: string;
const scaleBefore = process.env[ALARM_SCALE_VARIABLE];

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function alarm(): Promise<MetricAlarm | undefined> {
  const answer = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [alarmName] }));
  return answer.MetricAlarms?.[0];
}

beforeAll(async () => {
  // Read by the cloud (in this process) when it puts each alarm.
  process.env[ALARM_SCALE_VARIABLE] = '60';
  cloud = await startLocalCloud({ port: 0 });
  work = mkdtempSync(resolve('.tmp/product-alarms-'));
  cloudwatch = new CloudWatchClient(localClientConfig(cloud.endpoint));
  sqs = new SQSClient(localClientConfig(cloud.endpoint));
}, 120_000);

afterAll(async () => {
  cloudwatch?.destroy();
  sqs?.destroy();
  await cloud?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
  if (scaleBefore === undefined) delete process.env[ALARM_SCALE_VARIABLE];
  else process.env[ALARM_SCALE_VARIABLE] = scaleBefore;
});

describe("the product's scoring API error-rate alarm on the local cloud", () => {
  it('is deployed by the CDK CLI and evaluated: OK while scoring answers', async () => {
    const env = userEnv(cloud.endpoint);
    for (const args of [
      ['bootstrap', 'aws://000000000000/us-east-1', '--output', resolve(work, 'out0')],
      ['deploy', STACK, '--require-approval', 'never', '--output', resolve(work, 'out1')],
    ]) {
      const result = await runCdk(args, env);
      if (result.code !== 0) throw new Error(`cdk ${args.join(' ')} failed: ${result.output}`);
    }
    const stack = cloud.cloudFormation.service.get(STACK);
    scoringUrl = stack.live.outputs.ScoringUrl as string;
    const alarms = (await cloudwatch.send(new DescribeAlarmsCommand({ MaxRecords: 100 }))).MetricAlarms ?? [];
    const errorRate = alarms.find((a) => /Api5xx/.test(a.AlarmName ?? ''));
    expect(errorRate?.Metrics?.find((m) => m.ReturnData)?.Expression).toBe(
      'IF(FILL(n,0) > 0, 100*FILL(e,0)/n, 0)',
    );
    alarmName = errorRate?.AlarmName as string;

    // The alarms' topic, with a queue subscribed to it.
    const topicArn = errorRate?.AlarmActions?.[0] as string;
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'product-alarms' }))).QueueUrl as string;
    const queueArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))
    ).Attributes?.QueueArn;
    const sns = new SNSClient(localClientConfig(cloud.endpoint));
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn }));
    sns.destroy();

    const ok = await signedPost(scoringUrl, SCORE_REQUEST);
    expect(ok.status).toBe(200);
    const state = await until('the alarm to be OK', async () =>
      (await alarm())?.StateValue === 'OK' ? await alarm() : undefined,
    );
    expect(state?.StateReason).toMatch(/ not greater than the threshold \(1\.0\)\.$/);
  }, 600_000);

  it('goes to ALARM when the scoring function fails, and its notification reaches the subscribed queue', async () => {
    const stack = cloud.cloudFormation.service.get(STACK);
    const dynamodb = new DynamoDBClient(localClientConfig(cloud.endpoint));
    await dynamodb.send(new DeleteTableCommand({ TableName: stack.live.outputs.TableName as string }));
    dynamodb.destroy();

    // Failing requests across two (scaled) periods: the alarm needs both above 1 %.
    const statuses = new Set<number>();
    const notification = await until('the ALARM notification', async () => {
      statuses.add((await signedPost(scoringUrl, SCORE_REQUEST)).status);
      const answer = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      for (const message of answer.Messages ?? []) {
        await sqs.send(
          new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
        );
        const body = JSON.parse(JSON.parse(message.Body ?? '{}').Message ?? '{}') as Record<string, unknown>;
        if (body.AlarmName === alarmName && body.NewStateValue === 'ALARM') return body;
      }
      return undefined;
    });
    expect([...statuses].every((s) => s >= 500)).toBe(true);
    expect(notification.OldStateValue).toBe('OK');
    expect(notification.NewStateReason).toMatch(
      /^Threshold Crossed: 2 out of the last 2 datapoints \[[\d.]+ \(.+\), [\d.]+ \(.+\)\] were greater than the threshold \(1\.0\)/,
    );
    expect((await alarm())?.StateValue).toBe('ALARM');
  }, 300_000);
});
