/**
 * The pipeline's own APIs on the local cloud's endpoint (packages/local-cloud/src/services): Lambda, CloudWatch Logs, CloudWatch
 * metrics and Firehose, each through the AWS SDK v3 and through the AWS CLI (the v1 on PATH, which speaks
 * RPC v2 CBOR to CloudWatch, and Debian's v2.9 at /usr/bin/aws, which speaks the query protocol), on the
 * real features bundle (scripts/bundle-lambdas.mjs) fed by a real Kinesis mapping on kinesis-mock.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import {
  CloudWatchClient,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  ListMetricsCommand,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  ResourceNotFoundException as LogsNotFound,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateDeliveryStreamCommand,
  FirehoseClient,
  ListDeliveryStreamsCommand,
} from '@aws-sdk/client-firehose';
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  KinesisClient,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import {
  GetEventSourceMappingCommand,
  GetFunctionCommand,
  InvokeCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  ListFunctionsCommand,
  ResourceNotFoundException,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listS3Objects } from '../../adapters/archive/archive-files.js';
import { parseSpecJson } from '../../core/index.js';
import { generateFraudTraffic } from '../../examples/fraud/generate.js';
import { kinesisStreamEvent } from '../../lambdas/shared/kinesis-records.js';
import { FUNCTION_FILES } from '../../lambdas/shared/spec.js';
import {
  type KinesisEventSourceMapping,
  startKinesisEventSourceMapping,
} from '../../packages/local-cloud/src/event-source-mapping.js';
import {
  createLambdaFunction,
  type LocalLambdaFunction,
} from '../../packages/local-cloud/src/lambda-runtime.js';
import { type LocalCloud, startLocalCloud } from '../../packages/local-cloud/src/local-cloud.js';
import { createTestTable } from '../support/dynamodb.js';
import { onShards, RECENT_START } from '../support/stream.js';
import { until } from '../support/until.js';

/** How long an emulator takes to act on a call, and how often to look. */
const WAIT = { timeoutMs: 60_000, pollMs: 100 };

const run = promisify(execFile);
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const region = 'us-east-1';
const FUNCTION = 'sf-features';
const STREAM = 'sf-services-events';
const POLL_MS = 200;

/** The AWS CLIs on this machine: the one on PATH, and Debian's v2 when installed apart from it. */
function awsClis(): Array<{ name: string; bin: string }> {
  const found: Array<{ name: string; bin: string }> = [];
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (existsSync(join(dir, 'aws'))) {
      found.push({ name: 'aws on PATH', bin: join(dir, 'aws') });
      break;
    }
  }
  if (existsSync('/usr/bin/aws') && !found.some((c) => resolve(c.bin) === '/usr/bin/aws'))
    found.push({ name: '/usr/bin/aws', bin: '/usr/bin/aws' });
  return found;
}
const CLIS = awsClis();
if (CLIS.length === 0) console.warn('The AWS CLI (aws) is not installed: the CLI cases are skipped.');

let cloud: LocalCloud;
let outdir: string;
let fn: LocalLambdaFunction;
let mapping: KinesisEventSourceMapping;
let clients: {
  lambda: LambdaClient;
  logs: CloudWatchLogsClient;
  cloudwatch: CloudWatchClient;
  kinesis: KinesisClient;
  s3: S3Client;
  firehose: FirehoseClient;
};
const traffic = generateFraudTraffic({ events: 300, seed: 11, startMs: RECENT_START });
const valid = onShards(
  traffic.records.filter((r) => r.kind === 'normal'),
  1,
);

async function aws(bin: string, args: string[]): Promise<string> {
  const { stdout } = await run(
    bin,
    ['--endpoint-url', cloud.endpoint, '--region', region, '--output', 'json', ...args],
    {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: outdir,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_PAGER: '',
      },
    },
  );
  return stdout;
}

/** RecordsCounted as the function printed it in its EMF lines (what the metric must add up to). */
function countedInLogs(): number {
  let total = 0;
  for (const line of fn.logs()) {
    if (!line.includes('"_aws"')) continue;
    const value = (JSON.parse(line.slice(line.indexOf('{'))) as { RecordsCounted?: number }).RecordsCounted;
    total += value ?? 0;
  }
  return total;
}

/** CLI v2 reads blobs as base64 unless told otherwise; v1 reads them raw. */
async function binaryFormat(bin: string): Promise<string[]> {
  return (await isCliV2(bin)) ? ['--cli-binary-format', 'raw-in-base64-out'] : [];
}

async function isCliV2(bin: string): Promise<boolean> {
  const { stdout, stderr } = await run(bin, ['--version']);
  return /aws-cli\/2/.test(stdout + stderr);
}

beforeAll(async () => {
  outdir = mkdtempSync(resolve('.tmp/local-services-'));
  const [started] = await Promise.all([
    startLocalCloud({ port: 0 }),
    run(process.execPath, ['scripts/bundle-lambdas.mjs', '--outdir', outdir]),
  ]);
  cloud = started;
  // The bundle is generic: its spec is a file beside it, as the constructs stage a function's directory.
  const specPath = 'examples/fraud/spec.json';
  const spec = parseSpecJson(readFileSync(specPath, 'utf8'), specPath);
  writeFileSync(join(outdir, 'features', FUNCTION_FILES.spec), JSON.stringify(spec));
  const config = { endpoint: cloud.endpoint, region, credentials };
  clients = {
    lambda: new LambdaClient(config),
    logs: new CloudWatchLogsClient(config),
    cloudwatch: new CloudWatchClient(config),
    kinesis: new KinesisClient(config),
    s3: new S3Client({ ...config, forcePathStyle: true }),
    firehose: new FirehoseClient(config),
  };
  const table = await createTestTable(new DynamoDBClient(config));
  await clients.s3.send(new CreateBucketCommand({ Bucket: 'sf-services-side' }));
  await clients.kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 1 }));
  const streamArn = await until(
    'the stream',
    async () => {
      const d = await clients.kinesis.send(new DescribeStreamCommand({ StreamName: STREAM }));
      return d.StreamDescription?.StreamStatus === 'ACTIVE' ? d.StreamDescription.StreamARN : undefined;
    },
    WAIT,
  );
  fn = createLambdaFunction({
    functionName: FUNCTION,
    codeDir: join(outdir, 'features'),
    handler: 'index.handler',
    memorySize: 512,
    timeoutSeconds: 30,
    environment: { TABLE_NAME: table, SIDE_OUTPUT_BUCKET: 'sf-services-side' },
    cloudEndpoint: cloud.endpoint,
    logSink: cloud.services.logSink,
  });
  mapping = startKinesisEventSourceMapping(
    {
      eventSourceArn: streamArn as string,
      functionArn: fn.functionArn,
      startingPosition: 'LATEST',
      functionResponseTypes: ['ReportBatchItemFailures'],
    },
    { cloudEndpoint: cloud.endpoint, invoke: (event) => fn.invoke(event), pollIntervalMs: POLL_MS },
  );
  await mapping.ready();
  cloud.services.addRegistry({ functions: () => [fn], mappings: () => [mapping] });
}, 240_000);

afterAll(async () => {
  await mapping?.stop();
  await fn?.stop();
  await cloud?.stop();
  if (outdir) rmSync(outdir, { recursive: true, force: true });
}, 60_000);

describe('Lambda API', () => {
  it('invokes the features bundle synchronously, with the log tail, and answers its batch response', async () => {
    const answer = await clients.lambda.send(
      new InvokeCommand({
        FunctionName: FUNCTION,
        Payload: Buffer.from(JSON.stringify(kinesisStreamEvent(valid.slice(0, 20)))),
        LogType: 'Tail',
      }),
    );
    expect(answer.StatusCode).toBe(200);
    expect(answer.FunctionError).toBeUndefined();
    expect(JSON.parse(Buffer.from(answer.Payload ?? []).toString())).toEqual({ batchItemFailures: [] });
    const tail = Buffer.from(answer.LogResult ?? '', 'base64').toString();
    expect(tail).toMatch(/^START RequestId: [0-9a-f-]{36} Version: \$LATEST$/m);
    expect(tail).toMatch(/^REPORT RequestId: .*Duration: [\d.]+ ms/m);
  }, 60_000);

  it('invokes asynchronously (202 at once, the function runs after) and answers a DryRun with 204', async () => {
    const before = fn.stats().invocations;
    const answer = await clients.lambda.send(
      new InvokeCommand({
        FunctionName: FUNCTION,
        InvocationType: 'Event',
        Payload: Buffer.from(JSON.stringify(kinesisStreamEvent(valid.slice(20, 30)))),
      }),
    );
    expect(answer.StatusCode).toBe(202);
    await until('the async invocation', () => (fn.stats().invocations > before ? true : undefined), WAIT);
    const dry = await clients.lambda.send(
      new InvokeCommand({ FunctionName: FUNCTION, InvocationType: 'DryRun' }),
    );
    expect(dry.StatusCode).toBe(204);
  }, 60_000);

  it('answers a function error with X-Amz-Function-Error and the error document', async () => {
    const answer = await clients.lambda.send(
      new InvokeCommand({ FunctionName: FUNCTION, Payload: Buffer.from('{"Records": "not a list"}') }),
    );
    expect(answer.StatusCode).toBe(200);
    expect(answer.FunctionError).toBe('Unhandled');
    expect(JSON.parse(Buffer.from(answer.Payload ?? []).toString())).toHaveProperty('errorMessage');
  }, 60_000);

  it('lists and gets the function, and answers an unknown one with ResourceNotFoundException naming it', async () => {
    const list = await clients.lambda.send(new ListFunctionsCommand({}));
    expect(list.Functions?.map((f) => f.FunctionName)).toContain(FUNCTION);
    const got = await clients.lambda.send(new GetFunctionCommand({ FunctionName: fn.functionArn }));
    expect(got.Configuration).toMatchObject({
      FunctionName: FUNCTION,
      Handler: 'index.handler',
      MemorySize: 512,
      Timeout: 30,
    });
    expect(got.Configuration?.Environment?.Variables?.SIDE_OUTPUT_BUCKET).toBe('sf-services-side');
    const missing = clients.lambda.send(new GetFunctionCommand({ FunctionName: 'no-such-function' }));
    await expect(missing).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(missing).rejects.toMatchObject({
      message: expect.stringContaining('function:no-such-function'),
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('a disabled mapping stops polling; enabled again, it processes what was put meanwhile, once', async () => {
    const uuid = mapping.uuid;
    const listed = await clients.lambda.send(new ListEventSourceMappingsCommand({ FunctionName: FUNCTION }));
    expect(listed.EventSourceMappings?.map((m) => m.UUID)).toEqual([uuid]);
    const disabled = await clients.lambda.send(
      new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }),
    );
    expect(disabled.State).toBe('Disabled');
    const recordsBefore = mapping.counters.records;
    const invocationsBefore = mapping.counters.invocations;
    const batch = valid.slice(30, 80);
    const put = await clients.kinesis.send(
      new PutRecordsCommand({
        StreamName: STREAM,
        Records: batch.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })),
      }),
    );
    expect(put.FailedRecordCount).toBe(0);
    // Ten poll periods: an enabled mapping would have read the records within one.
    await new Promise((r) => setTimeout(r, 10 * POLL_MS));
    expect(mapping.counters.invocations).toBe(invocationsBefore);
    expect((await clients.lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State).toBe(
      'Disabled',
    );

    const enabled = await clients.lambda.send(
      new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: true, BatchSize: 20 }),
    );
    expect(enabled).toMatchObject({ State: 'Enabled', BatchSize: 20 });
    await until(
      'the records put while disabled',
      () => (mapping.counters.records >= recordsBefore + batch.length ? true : undefined),
      WAIT,
    );
    await mapping.drain();
    expect(mapping.counters.records).toBe(recordsBefore + batch.length);
    expect(mapping.counters.functionErrors).toBe(0);
  }, 120_000);

  for (const cli of CLIS) {
    it(`${cli.name}: lists and invokes the function, lists its mapping`, async () => {
      const functions = JSON.parse(await aws(cli.bin, ['lambda', 'list-functions'])) as {
        Functions: Array<{ FunctionName: string }>;
      };
      expect(functions.Functions.map((f) => f.FunctionName)).toContain(FUNCTION);
      const payloadFile = join(outdir, 'event.json');
      const outFile = join(outdir, `out-${CLIS.indexOf(cli)}.json`);
      await import('node:fs').then((fs) =>
        fs.writeFileSync(payloadFile, JSON.stringify(kinesisStreamEvent(valid.slice(80, 90)))),
      );
      const invoked = JSON.parse(
        await aws(cli.bin, [
          'lambda',
          'invoke',
          '--function-name',
          FUNCTION,
          ...(await binaryFormat(cli.bin)),
          '--payload',
          `file://${payloadFile}`,
          outFile,
        ]),
      ) as { StatusCode: number };
      expect(invoked.StatusCode).toBe(200);
      expect(JSON.parse(readFileSync(outFile, 'utf8'))).toEqual({ batchItemFailures: [] });
      const mappings = JSON.parse(
        await aws(cli.bin, ['lambda', 'list-event-source-mappings', '--function-name', FUNCTION]),
      ) as {
        EventSourceMappings: Array<{ UUID: string; State: string }>;
      };
      expect(mappings.EventSourceMappings).toEqual([
        expect.objectContaining({ UUID: mapping.uuid, State: 'Enabled' }),
      ]);
    }, 60_000);
  }
});

describe('the endpoint', () => {
  it('lists the services in /_localstack/health and answers curl --aws-sigv4 on the Lambda API', async () => {
    const health = (await (await fetch(`${cloud.endpoint}/_localstack/health`)).json()) as {
      services: Record<string, string>;
    };
    expect(health.services).toMatchObject({
      lambda: 'running',
      logs: 'running',
      cloudwatch: 'running',
      firehose: 'running',
    });
    const { stdout } = await run('curl', [
      '-sS',
      '--aws-sigv4',
      'aws:amz:us-east-1:lambda',
      '--user',
      'test:test',
      `${cloud.endpoint}/2015-03-31/functions/${FUNCTION}/configuration`,
    ]);
    expect(JSON.parse(stdout)).toMatchObject({ FunctionName: FUNCTION, FunctionArn: fn.functionArn });
  });
});

describe('CloudWatch Logs', () => {
  it('holds the function output in /aws/lambda/<name>, one stream per execution environment', async () => {
    const streams = await clients.logs.send(
      new DescribeLogStreamsCommand({ logGroupName: `/aws/lambda/${FUNCTION}` }),
    );
    expect(streams.logStreams?.length).toBeGreaterThanOrEqual(1);
    for (const s of streams.logStreams ?? [])
      expect(s.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    const events = await clients.logs.send(
      new GetLogEventsCommand({
        logGroupName: `/aws/lambda/${FUNCTION}`,
        logStreamName: streams.logStreams?.[0]?.logStreamName,
        startFromHead: true,
      }),
    );
    expect(events.events?.[0]?.message).toMatch(/^START RequestId/);
    const filtered = await clients.logs.send(
      new FilterLogEventsCommand({
        logGroupName: `/aws/lambda/${FUNCTION}`,
        filterPattern: '"Billed Duration"',
      }),
    );
    expect(filtered.events?.length).toBe(fn.stats().invocations);
  });

  it('creates groups and streams, puts events and answers a missing group with ResourceNotFoundException', async () => {
    await clients.logs.send(new CreateLogGroupCommand({ logGroupName: 'app' }));
    await clients.logs.send(new CreateLogStreamCommand({ logGroupName: 'app', logStreamName: 's1' }));
    const now = Date.now();
    await clients.logs.send(
      new PutLogEventsCommand({
        logGroupName: 'app',
        logStreamName: 's1',
        logEvents: [
          { timestamp: now, message: '{"level":"ERROR","msg":"boom"}' },
          { timestamp: now + 1, message: '{"level":"INFO","msg":"fine"}' },
        ],
      }),
    );
    const errors = await clients.logs.send(
      new FilterLogEventsCommand({ logGroupName: 'app', filterPattern: '{ $.level = "ERROR" }' }),
    );
    expect(errors.events?.map((e) => e.message)).toEqual(['{"level":"ERROR","msg":"boom"}']);
    await expect(
      clients.logs.send(new FilterLogEventsCommand({ logGroupName: 'nope' })),
    ).rejects.toBeInstanceOf(LogsNotFound);
  });

  for (const cli of CLIS) {
    it(`${cli.name}: filter-log-events (and logs tail, on CLI v2) show the function output`, async () => {
      const out = JSON.parse(
        await aws(cli.bin, [
          'logs',
          'filter-log-events',
          '--log-group-name',
          `/aws/lambda/${FUNCTION}`,
          '--filter-pattern',
          '"START RequestId"',
        ]),
      ) as { events: Array<{ message: string }> };
      expect(out.events.length).toBe(fn.stats().invocations);
      if (await isCliV2(cli.bin)) {
        const tail = await aws(cli.bin, ['logs', 'tail', `/aws/lambda/${FUNCTION}`, '--since', '1h']);
        expect(tail).toMatch(/REPORT RequestId: [0-9a-f-]{36}\tDuration/);
      }
    }, 60_000);
  }
});

describe('CloudWatch metrics', () => {
  it('reads back the EMF metrics the features function printed (SDK v3, JSON 1.0)', async () => {
    const listed = await clients.cloudwatch.send(
      new ListMetricsCommand({ Namespace: 'streamfeatures', MetricName: 'RecordsCounted' }),
    );
    const dimensions = listed.Metrics?.[0]?.Dimensions;
    expect(dimensions).toEqual([{ Name: 'service', Value: 'streamfeatures-features' }]);
    const stats = await clients.cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: 'streamfeatures',
        MetricName: 'RecordsCounted',
        Dimensions: dimensions,
        StartTime: new Date(Date.now() - 3_600_000),
        EndTime: new Date(Date.now() + 60_000),
        Period: 3_600,
        Statistics: ['Sum', 'SampleCount'],
      }),
    );
    const sum = (stats.Datapoints ?? []).reduce((n, d) => n + (d.Sum ?? 0), 0);
    // Every record the function was given counted once: direct invocations and the mapping's batches.
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBe(countedInLogs());
  });

  it('answers PutMetricData with percentiles and GetMetricData', async () => {
    await clients.cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'App',
        MetricData: [
          { MetricName: 'Latency', Unit: 'Milliseconds', Values: [1, 2, 3, 4, 100], Counts: [1, 1, 1, 1, 1] },
        ],
      }),
    );
    const stats = await clients.cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: 'App',
        MetricName: 'Latency',
        StartTime: new Date(Date.now() - 600_000),
        EndTime: new Date(Date.now() + 60_000),
        Period: 60 * 20,
        Statistics: ['Maximum', 'Average'],
        ExtendedStatistics: ['p50'],
      }),
    );
    expect(stats.Datapoints?.[0]).toMatchObject({
      Maximum: 100,
      Average: 22,
      ExtendedStatistics: { p50: 3 },
    });
    const data = await clients.cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(Date.now() - 600_000),
        EndTime: new Date(Date.now() + 60_000),
        MetricDataQueries: [
          {
            Id: 'm1',
            MetricStat: { Metric: { Namespace: 'App', MetricName: 'Latency' }, Period: 1200, Stat: 'Sum' },
          },
        ],
      }),
    );
    expect(data.MetricDataResults?.[0]?.Values).toEqual([110]);
    await expect(
      clients.cloudwatch.send(
        new GetMetricStatisticsCommand({
          Namespace: 'App',
          MetricName: 'Latency',
          StartTime: new Date(Date.now() - 600_000),
          EndTime: new Date(),
          Period: 7,
          Statistics: ['Sum'],
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
  });

  for (const cli of CLIS) {
    it(`${cli.name}: put-metric-data, then list-metrics and get-metric-statistics with a percentile`, async () => {
      const namespace = `Cli${CLIS.indexOf(cli)}`;
      await aws(cli.bin, [
        'cloudwatch',
        'put-metric-data',
        '--namespace',
        namespace,
        '--metric-name',
        'Size',
        '--unit',
        'Bytes',
        '--value',
        '10',
      ]);
      await aws(cli.bin, [
        'cloudwatch',
        'put-metric-data',
        '--namespace',
        namespace,
        '--metric-name',
        'Size',
        '--unit',
        'Bytes',
        '--value',
        '30',
      ]);
      const listed = JSON.parse(
        await aws(cli.bin, ['cloudwatch', 'list-metrics', '--namespace', namespace]),
      ) as {
        Metrics: Array<{ MetricName: string }>;
      };
      expect(listed.Metrics.map((m) => m.MetricName)).toEqual(['Size']);
      const out = JSON.parse(
        await aws(cli.bin, [
          'cloudwatch',
          'get-metric-statistics',
          '--namespace',
          namespace,
          '--metric-name',
          'Size',
          '--start-time',
          new Date(Date.now() - 600_000).toISOString(),
          '--end-time',
          new Date(Date.now() + 60_000).toISOString(),
          '--period',
          '1200',
          '--extended-statistics',
          'p99',
        ]),
      ) as { Datapoints: Array<{ ExtendedStatistics: Record<string, number>; Unit: string }> };
      expect(out.Datapoints).toEqual([
        expect.objectContaining({ ExtendedStatistics: { p99: 30 }, Unit: 'Bytes' }),
      ]);
      const bad = aws(cli.bin, [
        'cloudwatch',
        'get-metric-statistics',
        '--namespace',
        namespace,
        '--metric-name',
        'Size',
        '--start-time',
        '2024-01-01T00:00:00Z',
        '--end-time',
        '2024-01-01T01:00:00Z',
        '--period',
        '7',
        '--statistics',
        'Sum',
      ]);
      await expect(bad).rejects.toMatchObject({ stderr: expect.stringContaining('InvalidParameterValue') });
    }, 60_000);

    it(`${cli.name}: get-metric-statistics reads the function's EMF metric`, async () => {
      const out = JSON.parse(
        await aws(cli.bin, [
          'cloudwatch',
          'get-metric-statistics',
          '--namespace',
          'streamfeatures',
          '--metric-name',
          'RecordsCounted',
          '--dimensions',
          'Name=service,Value=streamfeatures-features',
          '--start-time',
          new Date(Date.now() - 3_600_000).toISOString(),
          '--end-time',
          new Date(Date.now() + 60_000).toISOString(),
          '--period',
          '3600',
          '--statistics',
          'Sum',
        ]),
      ) as { Datapoints: Array<{ Sum: number }> };
      expect(out.Datapoints.reduce((n, d) => n + d.Sum, 0)).toBe(countedInLogs());
    }, 60_000);
  }
});

describe('Firehose', () => {
  it('is served whenever the cloud runs: a stream created with the SDK lists, and put-record-batch lands in S3', async () => {
    await clients.s3.send(new CreateBucketCommand({ Bucket: 'sf-services-archive' }));
    await clients.firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'sf-services-raw',
        DeliveryStreamType: 'DirectPut',
        ExtendedS3DestinationConfiguration: {
          BucketARN: 'arn:aws:s3:::sf-services-archive',
          RoleARN: 'arn:aws:iam::000000000000:role/firehose',
          Prefix: 'raw/',
          BufferingHints: { IntervalInSeconds: 0, SizeInMBs: 1 },
        },
      }),
    );
    const list = await clients.firehose.send(new ListDeliveryStreamsCommand({}));
    expect(list.DeliveryStreamNames).toContain('sf-services-raw');
    const cli = CLIS[0];
    const records = [{ Data: '{"a":1}\n' }, { Data: '{"a":2}\n' }];
    if (cli) {
      const out = JSON.parse(
        await aws(cli.bin, [
          ...(await binaryFormat(cli.bin)),
          'firehose',
          'put-record-batch',
          '--delivery-stream-name',
          'sf-services-raw',
          '--records',
          JSON.stringify(records),
        ]),
      ) as { FailedPutCount: number };
      expect(out.FailedPutCount).toBe(0);
    } else {
      console.warn('The AWS CLI is not installed: put-record-batch goes through the SDK only.');
      const { PutRecordBatchCommand } = await import('@aws-sdk/client-firehose');
      await clients.firehose.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: 'sf-services-raw',
          Records: records.map((r) => ({ Data: Buffer.from(r.Data) })),
        }),
      );
    }
    const keys = await until(
      'the delivered object',
      async () => {
        const found = await listS3Objects(clients.s3, 'sf-services-archive', 'raw/');
        return found.length > 0 ? found : undefined;
      },
      WAIT,
    );
    const object = await clients.s3.send(
      new GetObjectCommand({ Bucket: 'sf-services-archive', Key: keys[0]?.key }),
    );
    expect(await object.Body?.transformToString()).toBe('{"a":1}\n{"a":2}\n');
  }, 60_000);
});
