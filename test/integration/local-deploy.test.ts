/**
 * The synthesized CDK stack deployed on the embedded local cloud (packages/local-cloud/src/deploy-template.ts): real Kinesis
 * (kinesis-mock), DynamoDB Local and S3/SQS/SNS (fauxqs), the real features bundle from cdk.out run by the
 * Lambda runtime, fed by the event-source-mapping runner. Fraud traffic goes on the stream with PutRecords; the
 * online store must then answer what the offline replay of the same records (with the arrival times Kinesis
 * gave) answers, and the set-aside records must be in the side-output bucket.
 *
 * A second, small template exercises the failure paths with a function bundled here by esbuild: a crash that
 * a retry gets past, a partial batch response, an invalid one, a timeout that ends the environment, a poison
 * record isolated by bisection and recorded at the S3 on-failure destination, and a function that always fails,
 * whose batches end at the SQS destination.
 *
 * With AWS_ENDPOINT_URL set (LocalStack), the stack is deployed there instead of on a cloud started here.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { BatchGetItemCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listS3Objects } from '../../adapters/archive/archive-files.js';
import { OnlineStore } from '../../adapters/online-store/online-store.js';
import {
  compileSpec,
  entityNamed,
  type FeatureValue,
  type InputRecord,
  itemKeyOf,
  parseSpecJson,
  type ReplayQuery,
  replay,
} from '../../core/index.js';
import { generateFraudTraffic, type Traffic } from '../../examples/fraud/generate.js';
import { type Deployment, deployTemplate } from '../../packages/local-cloud/src/deploy-template.js';
import type { StreamInvocationRecord } from '../../packages/local-cloud/src/event-source-mapping.js';
import { startLocalCloud } from '../../packages/local-cloud/src/local-cloud.js';

const run = promisify(execFile);
const STACK = 'streamfeatures-dev';
const FAULT_STACK = 'sf-fault-injection';
const spec = compileSpec(parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8')));
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

let cloud: { endpoint: string; stop(): Promise<void> };
let workDir: string;
let main: Deployment;
let fault: Deployment;
let clients: { kinesis: KinesisClient; dynamodb: DynamoDBClient; s3: S3Client; sqs: SQSClient };
const timings: Record<string, number> = {};

/** True when cdk.out holds the stack's template and every asset it names. */
function synthesized(cdkOut: string, stack: string): boolean {
  const manifest = join(cdkOut, `${stack}.assets.json`);
  if (!existsSync(join(cdkOut, `${stack}.template.json`)) || !existsSync(manifest)) return false;
  const files = (
    JSON.parse(readFileSync(manifest, 'utf8')) as { files: Record<string, { source: { path: string } }> }
  ).files;
  return Object.values(files).every((file) => existsSync(join(cdkOut, file.source.path)));
}

async function cloudForTests(): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const external = process.env.AWS_ENDPOINT_URL;
  if (external) return { endpoint: external, stop: async () => {} };
  return startLocalCloud({ port: 0 });
}

beforeAll(async () => {
  if (!synthesized('cdk.out', STACK)) {
    const t = performance.now();
    await run('npx', ['cdk', 'synth', '--quiet'], { timeout: 110_000 });
    timings.synthMs = performance.now() - t;
  }
  // Inside the repository, so the fault bundle finds @aws-sdk/* in node_modules as a Lambda finds the runtime's.
  mkdirSync('.tmp', { recursive: true });
  workDir = mkdtempSync(resolve('.tmp/local-deploy-'));
  const t0 = performance.now();
  [cloud] = await Promise.all([cloudForTests(), writeFaultStack(workDir)]);
  timings.cloudStartMs = performance.now() - t0;
  const config = { endpoint: cloud.endpoint, region: 'us-east-1', credentials };
  clients = {
    kinesis: new KinesisClient(config),
    dynamodb: new DynamoDBClient(config),
    s3: new S3Client({ ...config, forcePathStyle: true }),
    sqs: new SQSClient(config),
  };
  const t1 = performance.now();
  // Idle shards are polled once a second, as Lambda does; retries back off briefly.
  const mappingOptions = { retryBaseDelayMs: 50, retryMaxDelayMs: 200 };
  [main, fault] = await Promise.all([
    deployTemplate({ cloudEndpoint: cloud.endpoint, stackName: STACK, mappingOptions }),
    deployTemplate({
      cloudEndpoint: cloud.endpoint,
      cdkOut: workDir,
      stackName: FAULT_STACK,
      mappingOptions,
    }),
  ]);
  timings.deployMs = performance.now() - t1;
});

afterAll(async () => {
  await Promise.allSettled([main?.stop(), fault?.stop()]);
  for (const client of Object.values(clients ?? {})) client.destroy();
  await cloud?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  if (timings.drainMs !== undefined) {
    console.info(
      `local deploy: cloud ${ms(timings.cloudStartMs)}, deploy ${ms(timings.deployMs)} (main ${main?.deployMs} ms), ` +
        `put ${ms(timings.putMs)}, drain ${ms(timings.drainMs)}, ${timings.records} records at ` +
        `${Math.round(((timings.records ?? 0) * 1000) / ((timings.putMs ?? 0) + (timings.drainMs ?? 0)))} records/s end to end, ` +
        `features cold start ${ms(timings.coldStartMs)}${timings.synthMs ? `, synth ${ms(timings.synthMs)}` : ''}`,
    );
  }
});

function ms(value: number | undefined): string {
  return value === undefined ? '?' : `${Math.round(value)} ms`;
}

function resourceOfType(deployment: Deployment, type: string) {
  const found = [...deployment.resources.entries()].filter(([, r]) => r.type === type);
  expect(found, type).toHaveLength(1);
  return found[0] as (typeof found)[number];
}

async function putAll(streamName: string, entries: PutRecordsRequestEntry[]): Promise<void> {
  for (let i = 0; i < entries.length; i += 500) {
    let pending = entries.slice(i, i + 500);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 5) throw new Error(`${pending.length} records still refused by PutRecords`);
      const answer = await clients.kinesis.send(
        new PutRecordsCommand({ StreamName: streamName, Records: pending }),
      );
      pending = pending.filter((_, j) => answer.Records?.[j]?.ErrorCode !== undefined);
    }
  }
}

/** Every record on the stream, per shard in sequence order, with the arrival time Kinesis gave it. */
async function readStream(streamName: string): Promise<InputRecord[]> {
  const shards = await clients.kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  const records: InputRecord[] = [];
  for (const shard of shards.Shards ?? []) {
    const shardId = shard.ShardId as string;
    let iterator = (
      await clients.kinesis.send(
        new GetShardIteratorCommand({
          StreamName: streamName,
          ShardId: shardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      )
    ).ShardIterator;
    while (iterator) {
      const page = await clients.kinesis.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }),
      );
      for (const r of page.Records ?? []) {
        records.push({
          data: r.Data as Uint8Array,
          arrivalMs: (r.ApproximateArrivalTimestamp as Date).getTime(),
          shardId,
          sequenceNumber: r.SequenceNumber as string,
          partitionKey: r.PartitionKey as string,
        });
      }
      if ((page.Records ?? []).length === 0 && (page.MillisBehindLatest ?? 0) === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return records;
}

async function objectsUnder(bucket: string, prefix: string): Promise<Array<{ key: string; text: string }>> {
  const objects: Array<{ key: string; text: string }> = [];
  for (const { key } of await listS3Objects(clients.s3, bucket, prefix)) {
    const body = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    objects.push({ key, text: (await body.Body?.transformToString()) ?? '' });
  }
  return objects;
}

function sameValues(a: Record<string, FeatureValue>, b: Record<string, FeatureValue>): boolean {
  return Object.keys(b).every((name) => {
    const x = a[name];
    const y = b[name];
    if (typeof x === 'number' && typeof y === 'number')
      return Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(y));
    return JSON.stringify(x) === JSON.stringify(y);
  });
}

describe('the synthesized stack on the local cloud', () => {
  let traffic: Traffic;
  let onStream: InputRecord[];
  let offline: ReturnType<typeof replay>;

  it('creates the stream, table, buckets and functions, and lists everything else as skipped', () => {
    const types = (status: string) =>
      new Set([...main.resources.values()].filter((r) => r.status === status).map((r) => r.type));
    expect([...types('created')].sort()).toEqual([
      'AWS::CloudWatch::Alarm',
      'AWS::DynamoDB::Table',
      'AWS::Events::Rule',
      'AWS::Kinesis::Stream',
      'AWS::Lambda::EventSourceMapping',
      'AWS::Lambda::Function',
      'AWS::S3::Bucket',
      'AWS::SNS::Topic',
      'Custom::StreamfeaturesSpecGuard',
    ]);
    for (const type of [
      'AWS::IAM::Role',
      'AWS::KMS::Key',
      'AWS::KinesisFirehose::DeliveryStream',
      'AWS::Glue::Table',
    ]) {
      expect(types('skipped')).toContain(type);
    }
    const [, stream] = resourceOfType(main, 'AWS::Kinesis::Stream');
    expect(main.outputs.StreamName).toBe(stream.physicalId);
    expect(stream.physicalId).toMatch(/^streamfeatures-dev-Stream[0-9A-F]{8}-[A-Z0-9]{12}$/);
    expect(stream.attributes.Arn).toBe(`arn:aws:kinesis:us-east-1:000000000000:stream/${stream.physicalId}`);
    expect(main.outputs.SideOutputBucket).toMatch(
      /^streamfeatures-dev-featurecomputersideoutputs[a-z0-9-]*$/,
    );
    expect(main.outputs.SideOutputBucket?.length).toBeLessThanOrEqual(63);
    expect(main.outputs.AlarmTopic).toMatch(
      /^arn:aws:sns:us-east-1:000000000000:streamfeatures-dev-MonitoringTopic/,
    );
    // Nothing serves Firehose here: the raw archive's variable is left out, so batches do not fail on it.
    expect(main.warnings.join('\n')).toMatch(/RAW_ARCHIVE_STREAM left out/);
    expect(main.functions.size).toBe(4); // features, score, monitor, the spec guard's
    expect(main.mappings.size).toBe(1);
  });

  it('feeds fraud traffic through the features bundle: the online store answers as the offline replay', async () => {
    const events = 300;
    const spanMs = (events / 50) * 1000;
    // τ ends at about now: the arrival times Kinesis gives (now) make the generator's late, future and
    // duplicate records what they are meant to be, and nothing else late.
    traffic = generateFraudTraffic({
      events,
      seed: 11,
      startMs: Date.now() - spanMs - 2_000,
      invalidRate: 0.02,
      lateRate: 0.02,
      futureRate: 0.01,
      duplicateRate: 0.02,
    });
    const streamName = main.outputs.StreamName as string;
    const t0 = performance.now();
    await putAll(
      streamName,
      traffic.records.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })),
    );
    timings.putMs = performance.now() - t0;
    const mapping = [...main.mappings.values()][0];
    if (!mapping) throw new Error('no mapping');
    const t1 = performance.now();
    await mapping.drain(60_000);
    timings.drainMs = performance.now() - t1;
    timings.records = traffic.records.length;
    const features = [...main.functions.values()].find((f) => f.functionName.includes('FeatureComputer'));
    const coldStart = features?.stats().initDurationsMs[0];
    if (coldStart !== undefined) timings.coldStartMs = coldStart;

    expect(mapping.counters).toMatchObject({
      records: traffic.records.length,
      functionErrors: 0,
      failuresToDestination: 0,
      recordsDropped: 0,
      pollErrors: 0,
    });
    expect(features?.stats()).toMatchObject({ errors: 0 });
    // One execution environment per shard with a batch in flight, as Lambda scales a Kinesis mapping.
    expect(features?.stats().coldStarts).toBeGreaterThanOrEqual(1);
    expect(features?.stats().coldStarts).toBeLessThanOrEqual(mapping.shards().length);

    onStream = await readStream(streamName);
    expect(onStream).toHaveLength(traffic.records.length);
    const t = Math.max(...onStream.map((r) => r.arrivalMs)) + 1;
    const decoder = new TextDecoder();
    const queries: ReplayQuery[] = [];
    for (const record of onStream) {
      if (queries.length >= 90) break;
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(decoder.decode(record.data)) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (typeof body.card_id !== 'string' || typeof body.merchant_id !== 'string') continue;
      queries.push(
        { entity: 'card', key: { card_id: body.card_id }, t },
        { entity: 'merchant', key: { merchant_id: body.merchant_id }, t },
        { entity: 'card_merchant', key: { card_id: body.card_id, merchant_id: body.merchant_id }, t },
      );
    }
    offline = replay(spec, onStream, queries);
    // The generator's anomalies are what they are meant to be with the arrival times Kinesis gave. Fraud
    // bursts last up to 5 minutes past startMs, so some of their events run ahead of now by more than
    // maxFutureSkew and are quarantined as future too: no startMs avoids that and keeps the rest as intended.
    const { counted, invalid, future, late, duplicate } = offline.totals;
    expect({ invalid, late, duplicate }).toEqual({
      invalid: traffic.counts.invalid,
      late: traffic.counts.late,
      duplicate: traffic.counts.duplicate,
    });
    expect(future).toBeGreaterThanOrEqual(traffic.counts.future);
    expect(counted + future).toBe(traffic.counts.normal + traffic.counts.fraud + traffic.counts.future);

    const tableName = main.outputs.TableName as string;
    const store = new OnlineStore({ client: clients.dynamodb, tableName, spec, consistentReads: true });
    const online = await store.readFeatures(queries, t);
    const differing = queries.filter(
      (_, i) => !sameValues(online[i] ?? {}, offline.answers[i]?.features ?? {}),
    );
    expect(differing).toEqual([]);
    expect(offline.answers.some((a) => (a.features.card_txn_count_1h as number) > 0)).toBe(true);

    // Each card with a counted event has its item, under the key the engine names.
    const card = entityNamed(spec, 'card');
    const countedCards = offline.answers.filter(
      (a) => a.entity === 'card' && (a.features.card_txn_count_1h as number) > 0,
    );
    const keys = [...new Set(countedCards.map((a) => itemKeyOf(card, a.key)))];
    expect(keys.length).toBeGreaterThan(10);
    const found = await clients.dynamodb.send(
      new BatchGetItemCommand({
        RequestItems: {
          [tableName]: {
            Keys: keys.slice(0, 100).map((pk) => ({ pk: { S: pk } })),
            ProjectionExpression: 'pk',
          },
        },
      }),
    );
    expect(found.Responses?.[tableName]).toHaveLength(Math.min(100, keys.length));
    const count = await clients.dynamodb.send(new ScanCommand({ TableName: tableName, Select: 'COUNT' }));
    expect(count.Count).toBeGreaterThan(keys.length);
  });

  it('writes invalid and future records under quarantine/ and late ones under late/ of the side-output bucket', async () => {
    expect(offline, 'the traffic test ran first').toBeDefined();
    const bucket = main.outputs.SideOutputBucket as string;
    const lines = async (prefix: string) =>
      (await objectsUnder(bucket, prefix)).flatMap((o) =>
        o.text
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as { reason: string; shardId: string; sequenceNumber: string }),
      );
    const quarantined = await lines('quarantine/');
    const late = await lines('late/');
    const onStreamIds = new Set(onStream.map((r) => `${r.shardId}/${r.sequenceNumber}`));
    expect(quarantined.filter((l) => l.reason === 'invalid')).toHaveLength(offline.totals.invalid);
    expect(quarantined.filter((l) => l.reason === 'future')).toHaveLength(offline.totals.future);
    expect(quarantined).toHaveLength(offline.totals.invalid + offline.totals.future);
    expect(late.map((l) => l.reason)).toEqual(new Array(offline.totals.late).fill('late'));
    for (const line of [...quarantined, ...late])
      expect(onStreamIds).toContain(`${line.shardId}/${line.sequenceNumber}`);
    expect(offline.totals.invalid).toBeGreaterThan(0);
    expect(offline.totals.late).toBeGreaterThan(0);
    // Nothing failed: no discarded batch was recorded.
    expect(await objectsUnder(bucket, 'aws/lambda/')).toEqual([]);
  });
});

describe('failure handling of the event-source mapping, with a function that fails on purpose', () => {
  const KINDS: Record<number, string> = {
    5: 'crash-once',
    12: 'partial-once',
    17: 'poison',
    25: 'hang-once',
    33: 'bogus-once',
  };
  let ran: Promise<void> | undefined;
  /** Puts 40 records on the fault stack's one-shard stream and drains both mappings, once. */
  const runFaultTraffic = () => {
    ran ??= (async () => {
      const entries = Array.from({ length: 40 }, (_, id) => ({
        Data: Buffer.from(JSON.stringify({ id, kind: KINDS[id] ?? 'ok' })),
        PartitionKey: 'one-shard',
      }));
      await putAll(fault.outputs.StreamName as string, entries);
      await Promise.all([...fault.mappings.values()].map((m) => m.drain(60_000)));
    })();
    return ran;
  };

  it('resolves the small template: conditions, Fn::If, Fn::Select/Split/Sub/GetAZs, a GetAtt of a skipped role', () => {
    expect(fault.resources.get('NeverMade')).toMatchObject({
      status: 'skipped',
      reason: 'condition Never is false',
    });
    expect(fault.resources.get('Role')).toMatchObject({ status: 'skipped', type: 'AWS::IAM::Role' });
    expect(fault.outputs.StreamName).toBe(fault.resources.get('Events')?.physicalId);
    expect(fault.outputs.Summary).toBe(`${fault.outputs.StreamName} in us-east-1/us-east-1a`);
    expect(fault.outputs.QueueUrl).toMatch(/\/000000000000\/sf-fault-injection-FailedQueue-[A-Z0-9]{12}$/);
  });

  it('retries a crash, honours partial responses, restarts a timed-out function, bisects to a poison record', async () => {
    await runFaultTraffic();
    const flaky = fault.mappings.get('FlakyMapping');
    const fn = fault.functions.get('Flaky');
    if (!flaky || !fn) throw new Error('the flaky function or its mapping is missing');
    const bucket = fault.outputs.BucketName as string;

    const processed = (await objectsUnder(bucket, 'processed/')).map(
      (o) => JSON.parse(o.text) as { ids: number[]; remainingMs: number; functionName: string; note: string },
    );
    const ids = processed.flatMap((p) => p.ids).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: 40 }, (_, i) => i).filter((i) => i !== 17));
    for (const p of processed) expect(p.ids).toEqual([...p.ids].sort((a, b) => a - b));
    expect(processed[0]).toMatchObject({ functionName: fn.functionName, note: 'east' });
    expect(processed[0]?.remainingMs).toBeGreaterThan(0);
    expect(processed[0]?.remainingMs).toBeLessThanOrEqual(2_000);

    expect(flaky.counters).toMatchObject({
      records: 39,
      partialFailures: 1,
      failuresToDestination: 1,
      recordsToDestination: 1,
      recordsDropped: 0,
    });
    expect(flaky.counters.retries).toBeGreaterThanOrEqual(8);
    expect(flaky.counters.bisections).toBeGreaterThanOrEqual(5);
    // The hang outlived the 2 s Timeout: the environment was ended, and the next invocation was a cold start.
    expect(fn.stats()).toMatchObject({ timeouts: 1, coldStarts: 2 });
    expect(fn.logs().join('\n')).toMatch(/Task timed out after 2\.00 seconds/);

    const discarded = await objectsUnder(bucket, 'aws/lambda/');
    expect(discarded).toHaveLength(1);
    const [object] = discarded;
    expect(object?.key).toMatch(
      new RegExp(
        `^aws/lambda/${flaky.uuid}/shardId-000000000000/\\d{4}/\\d{2}/\\d{2}/\\d{4}-\\d{2}-\\d{2}T\\d{2}\\.\\d{2}\\.\\d{2}-[0-9a-f-]{36}$`,
      ),
    );
    const record = JSON.parse(object?.text ?? '{}') as StreamInvocationRecord & {
      payload: { Records: Array<{ kinesis: { data: string; sequenceNumber: string } }> };
    };
    expect(record).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', functionArn: fn.functionArn },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      KinesisBatchInfo: { shardId: 'shardId-000000000000', batchSize: 1, streamArn: flaky.streamArn },
    });
    expect(record.KinesisBatchInfo.startSequenceNumber).toBe(record.KinesisBatchInfo.endSequenceNumber);
    expect(record.payload.Records).toHaveLength(1);
    const poison = record.payload.Records[0];
    expect(poison?.kinesis.sequenceNumber).toBe(record.KinesisBatchInfo.startSequenceNumber);
    expect(JSON.parse(Buffer.from(poison?.kinesis.data ?? '', 'base64').toString())).toEqual({
      id: 17,
      kind: 'poison',
    });
  });

  it('sends batches that exhaust their retries to the SQS destination, as records without payload', async () => {
    await runFaultTraffic();
    const rejecting = fault.mappings.get('RejectingMapping');
    if (!rejecting) throw new Error('the rejecting mapping is missing');
    expect(rejecting.counters).toMatchObject({ records: 0, recordsToDestination: 40, recordsDropped: 0 });
    expect(rejecting.counters.retries).toBe(rejecting.counters.failuresToDestination);

    const messages: StreamInvocationRecord[] = [];
    for (let i = 0; i < 10 && messages.length < rejecting.counters.failuresToDestination; i++) {
      const answer = await clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: fault.outputs.QueueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
        }),
      );
      for (const message of answer.Messages ?? []) messages.push(JSON.parse(message.Body ?? '{}'));
    }
    expect(messages).toHaveLength(rejecting.counters.failuresToDestination);
    expect(messages.reduce((sum, m) => sum + m.KinesisBatchInfo.batchSize, 0)).toBe(40);
    for (const message of messages) {
      expect(message).toMatchObject({
        requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 2 },
        responseContext: { functionError: 'Unhandled' },
        KinesisBatchInfo: { shardId: 'shardId-000000000000', streamArn: rejecting.streamArn },
      });
      expect(message).not.toHaveProperty('payload');
    }
  });
});

/** The fault function: its behaviour is chosen by each record's `kind` (module state survives warm calls). */
const FAULT_FUNCTION = `
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

const s3 = new S3Client({ forcePathStyle: true });
const bucket = process.env.BUCKET ?? '';
const reported = new Set<string>();

interface Rec { id: number; kind: string; seq: string }

async function exists(key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch {
    return false;
  }
}

export const handler = async (
  event: { Records: Array<{ kinesis: { data: string; sequenceNumber: string } }> },
  context: { awsRequestId: string; getRemainingTimeInMillis(): number },
) => {
  const records: Rec[] = event.Records.map((r) => ({
    ...JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8')),
    seq: r.kinesis.sequenceNumber,
  }));
  if (process.env.MODE === 'reject') throw new Error('rejecting ' + records.length + ' records');
  const once = (r: Rec) => {
    if (reported.has(r.kind + r.id)) return false;
    reported.add(r.kind + r.id);
    return true;
  };
  for (const r of records) {
    if (r.kind === 'poison') throw new TypeError('poison record ' + r.id);
    if (r.kind === 'crash-once' && once(r)) throw new Error('crash at ' + r.id);
    if (r.kind === 'bogus-once' && once(r)) return { batchItemFailures: [{ itemIdentifier: 'no-such-record' }] };
    if (r.kind === 'hang-once' && !(await exists('hung/' + r.id))) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'hung/' + r.id, Body: 'x' }));
      await new Promise(() => {});
    }
  }
  const cut = records.findIndex((r) => r.kind === 'partial-once' && !reported.has(r.kind + r.id));
  const done = cut < 0 ? records : records.slice(0, cut);
  if (done.length > 0) {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'processed/' + done[0].seq + '-' + done[done.length - 1].seq + '.json',
        Body: JSON.stringify({
          ids: done.map((r) => r.id),
          requestId: context.awsRequestId,
          remainingMs: context.getRemainingTimeInMillis(),
          functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
          note: process.env.REGION_NOTE,
        }),
      }),
    );
  }
  if (cut >= 0) {
    once(records[cut]);
    return { batchItemFailures: [{ itemIdentifier: records[cut].seq }] };
  }
  return { batchItemFailures: [] };
};
`;

/** Builds the fault function with esbuild as an asset and writes a template and assets manifest naming it. */
async function writeFaultStack(dir: string): Promise<void> {
  const built = await build({
    stdin: { contents: FAULT_FUNCTION, loader: 'ts', resolveDir: resolve('.') },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['@aws-sdk/*'],
    write: false,
  });
  const code = built.outputFiles[0]?.contents ?? new Uint8Array();
  const hash = createHash('sha256').update(code).digest('hex');
  mkdirSync(join(dir, `asset.${hash}`));
  writeFileSync(join(dir, `asset.${hash}`, 'index.mjs'), code);
  writeFileSync(
    join(dir, `${FAULT_STACK}.assets.json`),
    JSON.stringify({
      version: '55.0.0',
      files: { [hash]: { source: { path: `asset.${hash}`, packaging: 'zip' } } },
    }),
  );
  const fn = (mode: string, extra: Record<string, unknown>) => ({
    Type: 'AWS::Lambda::Function',
    Properties: {
      Code: {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string
        S3Bucket: { 'Fn::Sub': 'cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}' },
        S3Key: `${hash}.zip`,
      },
      Handler: 'index.handler',
      Runtime: 'nodejs22.x',
      MemorySize: 256,
      Timeout: 2,
      Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
      Environment: { Variables: { BUCKET: { Ref: 'Bucket' }, MODE: mode, ...extra } },
    },
  });
  const mapping = (functionName: unknown, settings: Record<string, unknown>) => ({
    Type: 'AWS::Lambda::EventSourceMapping',
    Properties: {
      EventSourceArn: { 'Fn::GetAtt': ['Events', 'Arn'] },
      FunctionName: functionName,
      StartingPosition: 'TRIM_HORIZON',
      ...settings,
    },
  });
  const template = {
    Conditions: {
      InUsEast1: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] },
      Never: { 'Fn::Equals': ['yes', 'no'] },
    },
    Resources: {
      Events: { Type: 'AWS::Kinesis::Stream', Properties: { ShardCount: 1 } },
      Bucket: { Type: 'AWS::S3::Bucket' },
      FailedQueue: { Type: 'AWS::SQS::Queue', Properties: { MessageRetentionPeriod: 3600 } },
      NeverMade: { Type: 'AWS::S3::Bucket', Condition: 'Never' },
      Role: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: {
            Statement: [
              { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
            ],
          },
        },
      },
      Flaky: fn('flaky', { REGION_NOTE: { 'Fn::If': ['InUsEast1', 'east', 'elsewhere'] } }),
      Rejecting: fn('reject', {}),
      FlakyMapping: mapping(
        { Ref: 'Flaky' },
        {
          BatchSize: 10,
          MaximumRetryAttempts: 2,
          BisectBatchOnFunctionError: true,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['Bucket', 'Arn'] } } },
        },
      ),
      RejectingMapping: mapping(
        { 'Fn::GetAtt': ['Rejecting', 'Arn'] },
        {
          BatchSize: 100,
          MaximumRetryAttempts: 1,
          DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['FailedQueue', 'Arn'] } } },
        },
      ),
    },
    Outputs: {
      StreamName: {
        Value: { 'Fn::Select': [1, { 'Fn::Split': ['/', { 'Fn::GetAtt': ['Events', 'Arn'] }] }] },
      },
      BucketName: { Value: { Ref: 'Bucket' } },
      QueueUrl: { Value: { Ref: 'FailedQueue' } },
      Summary: {
        Value: {
          'Fn::Sub': [
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string
            '${Events} in ${AWS::Region}/${Zone}',
            { Zone: { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] } },
          ],
        },
      },
    },
  };
  writeFileSync(join(dir, `${FAULT_STACK}.template.json`), JSON.stringify(template, null, 2));
}
