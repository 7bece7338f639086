/**
 * DynamoDB's CloudWatch metrics on the local cloud, read with the engineers' own tools: writes done with the AWS
 * CLI (`aws dynamodb put-item`) show their consumed write units in `aws cloudwatch get-metric-statistics`; the
 * answers keep the shape the caller asked for (no ConsumedCapacity unless asked, a checksum that still matches);
 * and an alarm shaped as the product's TableThrottles alarm (`FILL(r,0)+FILL(w,0)` over ReadThrottleEvents and
 * WriteThrottleEvents), put through the API, is judged on data: OK, as is a plain alarm on WriteThrottleEvents
 * that stays INSUFFICIENT_DATA without it.
 */

import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../src/local-cloud.js';
import { awsCli, localClientConfig, until } from '../support/harness.js';

const TABLE = 'online-features';
let cloud: LocalCloud;
let dynamodb: DynamoDBClient;
let cloudwatch: CloudWatchClient;

const aws = async (args: string[]) => {
  const { stdout } = await awsCli(cloud.endpoint, args);
  return stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>);
};

/** `get-metric-statistics` of a table metric over the last 10 minutes: its Sum and SampleCount, or undefined. */
async function tableStatistics(
  metricName: string,
  dimensions: string[] = [`Name=TableName,Value=${TABLE}`],
): Promise<{ sum: number; count: number } | undefined> {
  const now = Date.now();
  const answer = await aws([
    'cloudwatch',
    'get-metric-statistics',
    '--namespace',
    'AWS/DynamoDB',
    '--metric-name',
    metricName,
    '--dimensions',
    ...dimensions,
    '--statistics',
    'Sum',
    'SampleCount',
    '--period',
    '600',
    '--start-time',
    new Date(now - 300_000).toISOString(),
    '--end-time',
    new Date(now + 300_000).toISOString(),
  ]);
  const points = answer.Datapoints as Array<{ Sum: number; SampleCount: number }>;
  if (points.length === 0) return undefined;
  return {
    sum: points.reduce((s, p) => s + p.Sum, 0),
    count: points.reduce((s, p) => s + p.SampleCount, 0),
  };
}

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  const config = localClientConfig(cloud.endpoint);
  dynamodb = new DynamoDBClient(config);
  cloudwatch = new CloudWatchClient(config);
  await dynamodb.send(
    new CreateTableCommand({
      TableName: TABLE,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}, 120_000);

afterAll(async () => {
  dynamodb?.destroy();
  cloudwatch?.destroy();
  await cloud?.stop();
});

describe('DynamoDB metrics on the local cloud', () => {
  it('answers the consumed write units of `aws dynamodb put-item` writes in get-metric-statistics', async () => {
    // 1 KB or less: one write unit each; 2.5 KB: three.
    for (const [pk, size] of [
      ['card#1', 10],
      ['card#2', 10],
      ['card#3', 2_500],
    ] as const) {
      const item = JSON.stringify({ pk: { S: pk }, v: { S: 'x'.repeat(size) } });
      const answer = await aws(['dynamodb', 'put-item', '--table-name', TABLE, '--item', item]);
      expect(answer).toEqual({});
    }
    const written = await until('the write units', async () => {
      const stats = await tableStatistics('ConsumedWriteCapacityUnits');
      return stats !== undefined && stats.count >= 3 ? stats : undefined;
    });
    expect(written).toEqual({ sum: 5, count: 3 });
    const throttles = await tableStatistics('WriteThrottleEvents');
    expect(throttles).toEqual({ sum: 0, count: 3 });
    const latency = await tableStatistics('SuccessfulRequestLatency', [
      `Name=TableName,Value=${TABLE}`,
      'Name=Operation,Value=PutItem',
    ]);
    expect(latency?.count).toBe(3);
  });

  it('answers without ConsumedCapacity unless asked, and with it when asked (the CLI checks the checksum)', async () => {
    const key = JSON.stringify({ pk: { S: 'card#1' } });
    const plain = await aws(['dynamodb', 'get-item', '--table-name', TABLE, '--key', key]);
    expect(plain.Item).toBeDefined();
    expect(plain.ConsumedCapacity).toBeUndefined();
    const asked = await aws([
      'dynamodb',
      'get-item',
      '--table-name',
      TABLE,
      '--key',
      key,
      '--return-consumed-capacity',
      'TOTAL',
    ]);
    expect(asked.ConsumedCapacity).toEqual({ TableName: TABLE, CapacityUnits: 0.5 });
    const sdk = await dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'card#1' } } }));
    expect(sdk.Item?.pk?.S).toBe('card#1');
    expect(sdk.ConsumedCapacity).toBeUndefined();
    const reads = await until('the read units', async () => {
      const stats = await tableStatistics('ConsumedReadCapacityUnits');
      return stats !== undefined && stats.count >= 3 ? stats : undefined;
    });
    expect(reads).toEqual({ sum: 1.5, count: 3 });
  });

  it('counts failed conditions, user errors and the items a query returns', async () => {
    await expect(
      dynamodb.send(
        new PutItemCommand({
          TableName: TABLE,
          Item: { pk: { S: 'card#1' } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    ).rejects.toThrow(/conditional request failed/);
    await expect(
      dynamodb.send(new GetItemCommand({ TableName: 'no-such-table', Key: { pk: { S: 'a' } } })),
    ).rejects.toThrow(/non-existent table/);
    const query = await dynamodb.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: 'card#2' } },
      }),
    );
    expect(query.Count).toBe(1);
    expect(
      await until('the failed condition', () => tableStatistics('ConditionalCheckFailedRequests')),
    ).toEqual({ sum: 1, count: 1 });
    expect(await until('the user error', () => tableStatistics('UserErrors', []))).toEqual({
      sum: 1,
      count: 1,
    });
    expect(
      await until('the returned items', () =>
        tableStatistics('ReturnedItemCount', [`Name=TableName,Value=${TABLE}`, 'Name=Operation,Value=Query']),
      ),
    ).toEqual({ sum: 1, count: 1 });
  });

  it('judges the product-shaped TableThrottles alarm, put through the API, on data: OK', async () => {
    const throttleMetric = (metricName: string) => ({
      Metric: {
        Namespace: 'AWS/DynamoDB',
        MetricName: metricName,
        Dimensions: [{ Name: 'TableName', Value: TABLE }],
      },
      Period: 10,
      Stat: 'Sum',
    });
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: 'table-throttles',
        Metrics: [
          { Id: 'r', MetricStat: throttleMetric('ReadThrottleEvents'), ReturnData: false },
          { Id: 'w', MetricStat: throttleMetric('WriteThrottleEvents'), ReturnData: false },
          { Id: 'throttles', Expression: 'FILL(r,0)+FILL(w,0)', ReturnData: true },
        ],
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'missing',
      }),
    );
    // A plain alarm on the metric: without data in its period it would stay INSUFFICIENT_DATA.
    await aws([
      'cloudwatch',
      'put-metric-alarm',
      '--alarm-name',
      'write-throttles',
      '--namespace',
      'AWS/DynamoDB',
      '--metric-name',
      'WriteThrottleEvents',
      '--dimensions',
      `Name=TableName,Value=${TABLE}`,
      '--statistic',
      'Sum',
      '--period',
      '10',
      '--evaluation-periods',
      '1',
      '--threshold',
      '0',
      '--comparison-operator',
      'GreaterThanThreshold',
      '--treat-missing-data',
      'missing',
    ]);
    // Writes keep coming (as the features function's would), so every period has data.
    let writing = true;
    const writer = (async () => {
      for (let n = 0; writing; n++) {
        await dynamodb.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: `card#w${n % 5}` } } }));
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    try {
      const states = await until(
        'both alarms to be judged',
        async () => {
          const answer = await aws([
            'cloudwatch',
            'describe-alarms',
            '--alarm-names',
            'table-throttles',
            'write-throttles',
          ]);
          const alarms = answer.MetricAlarms as Array<{
            AlarmName: string;
            StateValue: string;
            StateReason: string;
          }>;
          return alarms.length === 2 && alarms.every((a) => a.StateValue !== 'INSUFFICIENT_DATA')
            ? alarms
            : undefined;
        },
        { timeoutMs: 90_000, pollMs: 500 },
      );
      for (const alarm of states) expect(alarm.StateValue, alarm.StateReason).toBe('OK');
      const plain = states.find((a) => a.AlarmName === 'write-throttles');
      expect(plain?.StateReason).toMatch(/\[0\.0 \(/);
    } finally {
      writing = false;
      await writer;
    }
  }, 120_000);
});
