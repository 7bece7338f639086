/**
 * The AWS/Lambda metrics of the local cloud, read with the AWS CLI's `cloudwatch get-metric-statistics` as on AWS.
 * IteratorAge from the local event-source mappings: a backlog left on a stream while its mapping is disabled shows
 * as a high maximum once the mapping reads it, and a record put after the drain as a lower one. Invocations, Errors,
 * Throttles and Duration from every invocation, so alarms on a function's errors see data, and ConcurrentExecutions.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../src/local-cloud.js';
import { awsCli, type LoggedLine, startLoggedCloud, until as waitUntil } from '../support/harness.js';

let cloud: LocalCloud;
let cfn: CloudFormationClient;
let kinesis: KinesisClient;
const lines: LoggedLine[] = [];

/** How long the backlog waits before the mapping reads it: its IteratorAge is at least this. */
const BACKLOG_WAIT_MS = 5_000;
const BACKLOG_RECORDS = 200;

const template = JSON.stringify({
  Resources: {
    Stream: { Type: 'AWS::Kinesis::Stream', Properties: { ShardCount: 1 } },
    Fn: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        FunctionName: 'iterator-age-reader',
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: 'arn:aws:iam::000000000000:role/any',
        Code: { ZipFile: "exports.handler = async (e) => { console.log('BATCH ' + e.Records.length); };" },
      },
    },
    Mapping: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: {
        FunctionName: { Ref: 'Fn' },
        EventSourceArn: { 'Fn::GetAtt': ['Stream', 'Arn'] },
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 10,
      },
    },
  },
  Outputs: { StreamName: { Value: { Ref: 'Stream' } }, MappingId: { Value: { Ref: 'Mapping' } } },
});

const recordsProcessed = () =>
  lines
    .filter((l) => l.source === 'Fn' && /BATCH \d+/.test(l.line))
    .reduce((sum, l) => sum + Number(/BATCH (\d+)/.exec(l.line)?.[1]), 0);

interface Datapoint {
  Maximum: number;
  Sum: number;
  SampleCount: number;
  Unit: string;
}

/** A function's AWS/Lambda metric since `fromMs`, in hour periods, with the AWS CLI. */
async function lambdaMetric(metricName: string, functionName: string, fromMs: number): Promise<Datapoint[]> {
  const answer = await aws([
    'cloudwatch',
    'get-metric-statistics',
    '--namespace',
    'AWS/Lambda',
    '--metric-name',
    metricName,
    '--dimensions',
    `Name=FunctionName,Value=${functionName}`,
    '--statistics',
    'Maximum',
    'Sum',
    'SampleCount',
    '--start-time',
    new Date(fromMs).toISOString(),
    '--end-time',
    new Date(Date.now() + 60_000).toISOString(),
    '--period',
    '3600',
  ]);
  return JSON.parse(answer.stdout).Datapoints as Datapoint[];
}

async function maxIteratorAge(fromMs: number): Promise<{ maximum: number; samples: number }> {
  const points = await lambdaMetric('IteratorAge', 'iterator-age-reader', fromMs);
  expect(points.every((p) => p.Unit === 'Milliseconds')).toBe(true);
  return {
    maximum: Math.max(...points.map((p) => p.Maximum)),
    samples: points.reduce((sum, p) => sum + p.SampleCount, 0),
  };
}

const aws = (args: string[]) => awsCli(cloud.endpoint, args);
/** This file's waits: up to 90 s, as a backlog of batches drains. */
/**
 * Invokes the `sometimes-fails` function with the AWS CLI, its payload from a file (`fileb://`: both CLI versions
 * take raw bytes that way).
 */
async function invokeSometimesFails(payload: string) {
  const scratch = mkdtempSync(join(tmpdir(), 'invoke-'));
  try {
    const file = join(scratch, 'payload.json');
    writeFileSync(file, payload);
    await aws([
      'lambda',
      'invoke',
      '--function-name',
      'sometimes-fails',
      '--payload',
      `fileb://${file}`,
      join(scratch, 'out.json'),
    ]);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const until: typeof waitUntil = (what, probe, options = { timeoutMs: 90_000 }) =>
  waitUntil(what, probe, options);

beforeAll(async () => {
  const started = await startLoggedCloud(lines);
  cloud = started.cloud;
  const config = started.clientConfig;
  cfn = new CloudFormationClient(config);
  kinesis = new KinesisClient(config);
}, 120_000);

afterAll(async () => {
  for (const client of [cfn, kinesis]) client?.destroy();
  await cloud?.stop();
});

describe('IteratorAge of the local event-source mappings', () => {
  it('shows a backlog as a high maximum, then a low one once drained', async () => {
    await cfn.send(new CreateStackCommand({ StackName: 'iterator-age', TemplateBody: template }));
    const outputs = await until('the stack', async () => {
      const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'iterator-age' }))).Stacks?.[0];
      if (stack?.StackStatus?.endsWith('_IN_PROGRESS')) return undefined;
      expect(stack?.StackStatus).toBe('CREATE_COMPLETE');
      return Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue as string]));
    });

    await aws([
      'lambda',
      'update-event-source-mapping',
      '--uuid',
      outputs.MappingId as string,
      '--no-enabled',
    ]);
    const putAt = Date.now();
    for (let i = 0; i < BACKLOG_RECORDS; i += 100) {
      await kinesis.send(
        new PutRecordsCommand({
          StreamName: outputs.StreamName,
          Records: Array.from({ length: 100 }, (_, j) => ({
            Data: Buffer.from(JSON.stringify({ n: i + j })),
            PartitionKey: `k${i + j}`,
          })),
        }),
      );
    }
    // The backlog waits (this is what it is about), then the mapping reads it, 10 records a batch.
    await until('the backlog to be old enough', () =>
      Date.now() - putAt >= BACKLOG_WAIT_MS ? true : undefined,
    );
    await aws(['lambda', 'update-event-source-mapping', '--uuid', outputs.MappingId as string, '--enabled']);
    await until('the backlog drained', () => (recordsProcessed() >= BACKLOG_RECORDS ? true : undefined));
    const drainedAt = Date.now();
    const backlog = await maxIteratorAge(putAt);
    expect(backlog.samples).toBeGreaterThanOrEqual(BACKLOG_RECORDS / 10);
    expect(backlog.maximum).toBeGreaterThanOrEqual(BACKLOG_WAIT_MS);

    // The CLI sends whole seconds: the record after the drain is put from the next whole second on.
    const afterFrom = Math.ceil(drainedAt / 1000) * 1000;
    await until('the next whole second', () => (Date.now() > afterFrom ? true : undefined));
    await kinesis.send(
      new PutRecordsCommand({
        StreamName: outputs.StreamName,
        Records: [{ Data: Buffer.from('{"n":"after"}'), PartitionKey: 'after' }],
      }),
    );
    await until('the record after the drain', () =>
      recordsProcessed() > BACKLOG_RECORDS ? true : undefined,
    );
    const after = await maxIteratorAge(afterFrom);
    expect(after.samples).toBe(1);
    expect(after.maximum).toBeLessThan(backlog.maximum);
    console.log(
      `IteratorAge: backlog of ${BACKLOG_RECORDS} records max ${backlog.maximum} ms over ${backlog.samples} batches; ` +
        `one record after the drain ${after.maximum} ms`,
    );
  });
});

const failingTemplate = JSON.stringify({
  Resources: {
    Fn: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        FunctionName: 'sometimes-fails',
        Runtime: 'nodejs20.x',
        Timeout: 60,
        Handler: 'index.handler',
        Role: 'arn:aws:iam::000000000000:role/any',
        Code: {
          ZipFile:
            // With `barrier` (a folder) and `parties`, each invocation waits there until `parties` of them run.
            "const fs = require('fs');\n" +
            'exports.handler = async (e) => {\n' +
            "  if (e.fail) throw new Error('asked to fail');\n" +
            '  if (e.barrier) {\n' +
            "    fs.writeFileSync(e.barrier + '/' + Math.random(), '');\n" +
            '    const end = Date.now() + 50000;\n' +
            '    while (fs.readdirSync(e.barrier).length < e.parties && Date.now() < end) await new Promise((r) => setTimeout(r, 20));\n' +
            '  }\n' +
            "  return 'ok';\n" +
            '};',
        },
      },
    },
  },
});

describe('Invocations, Errors, Throttles, Duration and ConcurrentExecutions of the local functions', () => {
  it('counts every invocation and each failed one, with its duration', async () => {
    const fromMs = Math.floor(Date.now() / 1000) * 1000;
    await cfn.send(new CreateStackCommand({ StackName: 'sometimes-fails', TemplateBody: failingTemplate }));
    await until('the stack', async () => {
      const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'sometimes-fails' }))).Stacks?.[0];
      if (stack?.StackStatus?.endsWith('_IN_PROGRESS')) return undefined;
      expect(stack?.StackStatus).toBe('CREATE_COMPLETE');
      return true;
    });
    // fileb:// sends the file's bytes as they are, in AWS CLI v1 and v2 alike.
    for (const payload of ['{}', '{"fail":true}', '{}']) await invokeSometimesFails(payload);
    const statistic = async (metric: string) => {
      const points = await lambdaMetric(metric, 'sometimes-fails', fromMs);
      return {
        sum: points.reduce((total, p) => total + p.Sum, 0),
        samples: points.reduce((total, p) => total + p.SampleCount, 0),
      };
    };
    expect(await statistic('Invocations')).toEqual({ sum: 3, samples: 3 });
    expect(await statistic('Errors')).toEqual({ sum: 1, samples: 3 });
    expect((await statistic('Duration')).samples).toBe(3);
    // The local runtime throttles nothing: a 0 per invocation, so a throttle alarm sees data.
    expect(await statistic('Throttles')).toEqual({ sum: 0, samples: 3 });
  });

  it('publishes ConcurrentExecutions: the invocations running at once, per function and for all', async () => {
    const fromMs = Math.floor(Date.now() / 1000) * 1000;
    const barrier = mkdtempSync(join(tmpdir(), 'barrier-'));
    const payload = JSON.stringify({ barrier, parties: 3 });
    // Three at once: each waits in the handler until all three run, so three run together.
    await Promise.all([0, 1, 2].map(() => invokeSometimesFails(payload)));
    rmSync(barrier, { recursive: true, force: true });
    const points = await lambdaMetric('ConcurrentExecutions', 'sometimes-fails', fromMs);
    expect(Math.max(...points.map((p) => p.Maximum))).toBe(3);
    const account = await aws([
      'cloudwatch',
      'get-metric-statistics',
      '--namespace',
      'AWS/Lambda',
      '--metric-name',
      'ConcurrentExecutions',
      '--statistics',
      'Maximum',
      '--start-time',
      new Date(fromMs).toISOString(),
      '--end-time',
      new Date(Date.now() + 60_000).toISOString(),
      '--period',
      '3600',
    ]);
    const accountMax = Math.max(
      ...(JSON.parse(account.stdout).Datapoints as Datapoint[]).map((p) => p.Maximum),
    );
    expect(accountMax).toBeGreaterThanOrEqual(3);
  });
});
