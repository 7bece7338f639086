/**
 * The low-latency configuration (docs/deploy.md): the CDK app synthesized with `enhancedFanOut` and a batching
 * window of 0, deployed on the embedded local cloud, and an event put on the stream seen with its features
 * written (read from the online store) and its EventFreshness value in CloudWatch.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnlineStore } from '../../adapters/online-store/online-store.js';
import { compileSpec, parseSpecJson } from '../../core/index.js';
import { bootstrapEnvironment } from '../../packages/local-cloud/src/cloudformation/bootstrap.js';
import { cdkOutStack, type Deployment } from '../../packages/local-cloud/src/deploy-template.js';
import { startLocalCloud } from '../../packages/local-cloud/src/local-cloud.js';

const run = promisify(execFile);
const STACK = 'streamfeatures-dev';
const spec = compileSpec(parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8')));
const config = { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };

let cloud: Awaited<ReturnType<typeof startLocalCloud>>;
let deployment: Deployment;
let outDir: string;

beforeAll(async () => {
  mkdirSync('.tmp', { recursive: true });
  outDir = mkdtempSync(resolve('.tmp/low-latency-'));
  const synth = run(
    'npx',
    ['cdk', 'synth', '--quiet', '-o', outDir, '-c', 'enhancedFanOut=true', '-c', 'maxBatchingWindow=0s'],
    { timeout: 240_000 },
  );
  [cloud] = await Promise.all([startLocalCloud({ port: 0 }), synth]);
  // Through the cloud's own CloudFormation, as `cdk deploy` would: the functions then log to the cloud's
  // CloudWatch Logs, whose EMF lines become its metrics.
  await bootstrapEnvironment(cloud.cloudFormation.service);
  deployment = await cloud.cloudFormation.service.deploy({ stackName: STACK, ...cdkOutStack(outDir, STACK) });
}, 300_000);

afterAll(async () => {
  // The cloud stops the stack's mappings and functions first.
  await cloud?.stop();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe('the low-latency configuration (enhanced fan-out, batching window 0) on the local cloud', () => {
  it('reads through the stream consumer with no batching window and writes an event’s features', async () => {
    const [mapping] = [...deployment.mappings.values()];
    expect(deployment.mappings.size).toBe(1);
    expect(mapping?.eventSourceArn).toMatch(/:stream\/[^/]+\/consumer\/[^:]+:\d+$/);
    expect(mapping?.settings().maximumBatchingWindowInSeconds ?? 0).toBe(0);
    expect(mapping?.warnings.join('\n')).toMatch(/every 200 ms/);
    await mapping?.ready();

    const kinesis = new KinesisClient({ ...config, endpoint: cloud.endpoint });
    const dynamodb = new DynamoDBClient({ ...config, endpoint: cloud.endpoint });
    const cloudwatch = new CloudWatchClient({ ...config, endpoint: cloud.endpoint });
    try {
      const card = `low-latency-${Date.now()}`;
      const event = {
        event_id: `ll-${Date.now()}`,
        ts: Date.now(),
        card_id: card,
        merchant_id: 'm-1',
        amount: 12.5,
        status: 'approved',
        channel: 'pos',
        geo: { country: 'DE' },
      };
      const putAt = Date.now();
      const answer = await kinesis.send(
        new PutRecordsCommand({
          StreamName: deployment.outputs.StreamName,
          Records: [{ Data: new TextEncoder().encode(JSON.stringify(event)), PartitionKey: card }],
        }),
      );
      expect(answer.FailedRecordCount ?? 0).toBe(0);

      // Its features written: the card's count reads 1 (polled, with a generous deadline).
      const store = new OnlineStore({
        client: dynamodb,
        tableName: deployment.outputs.TableName as string,
        spec,
        consistentReads: true,
      });
      let count: unknown;
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
        const [features] = await store.readFeatures(
          [{ entity: 'card', key: { card_id: card } }],
          Date.now() + 1,
        );
        count = features?.card_txn_count_10m;
        if (count === 1) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(count).toBe(1);

      // And its freshness in CloudWatch: one value, at least 0, not before the put.
      let values = 0;
      let maximum = -1;
      for (const deadline = Date.now() + 30_000; Date.now() < deadline && values === 0; ) {
        const stats = await cloudwatch.send(
          new GetMetricStatisticsCommand({
            Namespace: 'streamfeatures',
            MetricName: 'EventFreshness',
            Dimensions: [{ Name: 'service', Value: `${STACK}-features` }],
            StartTime: new Date(putAt - 60_000),
            EndTime: new Date(Date.now() + 60_000),
            Period: 300,
            Statistics: ['SampleCount', 'Maximum'],
          }),
        );
        values = (stats.Datapoints ?? []).reduce((n, p) => n + (p.SampleCount ?? 0), 0);
        maximum = Math.max(-1, ...(stats.Datapoints ?? []).map((p) => p.Maximum ?? -1));
        if (values === 0) await new Promise((r) => setTimeout(r, 250));
      }
      expect(values).toBe(1);
      expect(maximum).toBeGreaterThanOrEqual(0);
      expect(maximum).toBeLessThanOrEqual(Date.now() - putAt);
    } finally {
      kinesis.destroy();
      dynamodb.destroy();
      cloudwatch.destroy();
    }
  }, 120_000);
});
