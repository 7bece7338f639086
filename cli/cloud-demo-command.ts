import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import { DEFAULT_TRAFFIC_OPTIONS, generateFraudTraffic } from '../examples/fraud/generate.js';
import { bootstrapEnvironment } from '../packages/local-cloud/src/cloudformation/bootstrap.js';
import { cdkOutStack, type Deployment } from '../packages/local-cloud/src/deploy-template.js';
import { Sha256 } from '../packages/local-cloud/src/http-api.js';
import { startLocalCloud } from '../packages/local-cloud/src/local-cloud.js';
import { offlineReport, runOfflineDemo } from './demo-offline.js';
import { CliError, type CliIO, countOf, describeCounts, progress } from './io.js';
import { offlineFiles, parquetRows } from './offline-files.js';
import { cdkCli, packagePath, packageRoot } from './package-files.js';

export interface CloudDemoOptions {
  /** Base events to generate. @default 5000 */
  events: number | undefined;
  /** Leave the cloud running after the report, until Ctrl-C. */
  keepRunning: boolean;
}

const STACK = 'streamfeatures-dev';
/** The spec and model registry the app deploys by default (lib/config.ts). */
const SPEC = packagePath('examples/fraud/spec.json');
const MODEL_REGISTRY = packagePath('examples/fraud/models');
const CDK_OUT = packagePath('cdk.out');
const PUT_CHUNK = 500;
const SCORE_SAMPLE = 200;
/** Longest span of event time the demo generates: well inside the spec's 5-minute allowed lateness. */
const MAX_SPAN_SECONDS = 100;
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const REGION = 'us-east-1';
/** The sources a synthesized template and its bundles are built from. */
const SOURCES = ['lib', 'lambdas', 'core', 'adapters', 'bin/app.ts'].map(packagePath);

const OUTCOMES = ['counted', 'invalid', 'future', 'late', 'duplicate'] as const;
type Outcome = (typeof OUTCOMES)[number];

/**
 * The fraud example on the embedded local cloud: the synthesized CDK stack deployed onto kinesis-mock, DynamoDB
 * Local and fauxqs (plus this process's Firehose, SageMaker runtime and HTTP API emulators), the traffic put on
 * the Kinesis stream, the real features bundle fed by the event-source mapping, the raw archive delivered as
 * Parquet, a sample scored through the IAM-authorized HTTP API, then the offline half: a training set built from
 * the archive in S3, a model trained on it, and online/offline parity (cli/demo-offline.ts).
 */
export async function runCloudDemo(options: CloudDemoOptions, io: CliIO): Promise<number> {
  const events = options.events ?? 5_000;
  const synthMs = await synthesizeIfStale(io);

  io.err('starting the local cloud (kinesis-mock, DynamoDB Local, fauxqs)...\n');
  const logs = new Map<string, string[]>();
  const onLog = (source: string, line: string) => {
    const lines = logs.get(source);
    if (lines === undefined) logs.set(source, [line]);
    else lines.push(line);
  };
  const cloud = await startLocalCloud({
    port: 0,
    cloudFormation: { onLog, mappingOptions: { retryBaseDelayMs: 50, retryMaxDelayMs: 200 } },
  });
  let deployment: Deployment | undefined;
  const clientConfig = { endpoint: cloud.endpoint, region: REGION, credentials: CREDENTIALS };
  const kinesis = new KinesisClient(clientConfig);
  const s3 = new S3Client({ ...clientConfig, forcePathStyle: true });
  const dynamodb = new DynamoDBClient(clientConfig);
  const scratch = mkdtempSync(join(tmpdir(), 'sf-demo-'));
  try {
    const hooks = cloud.cloudFormation.hooks;
    io.err(`local cloud at ${cloud.endpoint} in ${cloud.startupMs} ms; deploying ${STACK}...\n`);
    // Through the cloud's CloudFormation, as `cdk bootstrap` and `cdk deploy` would (the functions' code from
    // cdk.out's asset folders).
    await bootstrapEnvironment(cloud.cloudFormation.service);
    deployment = await cloud.cloudFormation.service.deploy({
      stackName: STACK,
      ...cdkOutStack(CDK_OUT, STACK),
    });
    for (const warning of deployment.warnings) io.err(`  warning: ${warning}\n`);
    const streamName = requiredOutput(deployment, 'StreamName');
    const bucket = requiredOutput(deployment, 'OfflineBucket');
    const urls = hooks.urls();
    const scoringUrl = urls['POST /score'];
    if (scoringUrl === undefined) throw new Error('the stack has no POST /score route');

    // The traffic ends about now, as the arrival times Kinesis gives are now.
    // Kinesis stamps arrival at put time, so event times must end about now and span less than the allowed
    // lateness with room for the put itself: a bigger stream is made denser rather than longer.
    const eventsPerSecond = Math.max(DEFAULT_TRAFFIC_OPTIONS.eventsPerSecond, events / MAX_SPAN_SECONDS);
    const spanMs = (events / eventsPerSecond) * 1000;
    const traffic = generateFraudTraffic({
      events,
      eventsPerSecond,
      startMs: Math.floor(Date.now() - spanMs - 3_000),
    });
    const records = traffic.records;
    io.err(
      `deployed in ${deployment.deployMs} ms; putting ${records.length} records (${describeCounts(traffic.counts)})\n`,
    );

    const started = performance.now();
    await putAll(kinesis, streamName, records, io);
    const putMs = performance.now() - started;
    const drainStarted = performance.now();
    await Promise.all([...deployment.mappings.values()].map((m) => m.drain(120_000)));
    const drainMs = performance.now() - drainStarted;
    const endToEndMs = performance.now() - started;
    await hooks.firehose.flush();

    // Outcomes and freshness: the features function's own log line per batch.
    const batches = batchLines(deployment, logs);
    const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
    const freshness: number[] = [];
    for (const batch of batches.done) {
      for (const o of OUTCOMES) outcomes[o] += Number(batch[o] ?? 0);
      if (typeof batch.freshnessMs === 'number') freshness.push(batch.freshnessMs);
    }
    const accounted = OUTCOMES.reduce((sum, o) => sum + outcomes[o], 0);

    // Scoring through the HTTP API, SigV4-signed as an IAM caller would.
    const scoring = await scoreSample(scoringUrl, records);
    await hooks.firehose.flush();

    const raw = await offlineFiles(s3, bucket, 'raw/', scratch);
    const featureLog = await offlineFiles(s3, bucket, 'features/', scratch);
    const rows = await parquetRows([...raw.files, ...featureLog.files]);
    const rawRows = rows.perFile.slice(0, raw.files.length).reduce((a, b) => a + b, 0);
    const featureRows = rows.perFile.slice(raw.files.length).reduce((a, b) => a + b, 0);

    const offline = await runOfflineDemo(
      {
        spec: SPEC,
        bucket,
        table: requiredOutput(deployment, 'TableName'),
        labels: traffic.labels,
        servedVersions: [...scoring.versions],
        registry: MODEL_REGISTRY,
        scratch,
        clients: { dynamodb, s3 },
      },
      io,
    );

    const countsOk = accounted === records.length && batches.partial === 0;
    const scoringOk = scoring.ok === scoring.latencies.length && scoring.latencies.length > 0;
    io.out(
      [
        '',
        'streamfeatures demo: the fraud example on the embedded local cloud',
        `  cloud              ${cloud.endpoint} up in ${(cloud.startupMs / 1000).toFixed(1)} s, ${STACK} deployed in ${(deployment.deployMs / 1000).toFixed(1)} s${synthMs === undefined ? '' : ` (synth ${(synthMs / 1000).toFixed(1)} s)`}`,
        `  records            ${records.length} put on Kinesis in chunks of ${PUT_CHUNK} (${(putMs / 1000).toFixed(1)} s), drained by the features function in ${batches.done.length} batches (${(drainMs / 1000).toFixed(1)} s)`,
        `  end to end         ${Math.round((records.length * 1000) / endToEndMs)} records/s (first put to mapping drained, ${(endToEndMs / 1000).toFixed(1)} s)`,
        `  freshness          p50 ${ms(percentile(freshness, 0.5))}, p99 ${ms(percentile(freshness, 0.99))} (Kinesis arrival of a batch's earliest counted record to its features written, per batch, from the function's log)`,
        `  outcomes           counted ${outcomes.counted}, invalid ${outcomes.invalid}, future ${outcomes.future}, late ${outcomes.late}, duplicate ${outcomes.duplicate} = ${accounted} of ${records.length}${batches.partial > 0 ? ` (${batches.partial} batches done in part)` : ''}`,
        `  scoring            ${scoring.ok} of ${scoring.latencies.length} requests 200 (SigV4, POST /score), p50 ${ms(percentile(scoring.latencies, 0.5))}, p99 ${ms(percentile(scoring.latencies, 0.99))}`,
        `  offline store      raw archive ${countOf(raw.files.length, 'Parquet file')}, ${countOf(rawRows, 'row')}; feature log ${countOf(featureLog.files.length, 'file')}, ${countOf(featureRows, 'row')} (s3://${bucket}, read with ${rows.reader})`,
        ...offlineReport(offline),
        '',
      ].join('\n'),
    );
    for (const status of scoring.failures.slice(0, 3)) io.err(`  scoring failed: ${status}\n`);
    if (!countsOk) {
      const features = [...deployment.functions.values()].find((f) =>
        f.functionName.includes('FeatureComputer'),
      );
      io.err(`  the outcomes do not add up to the input; last log lines of the features function:\n`);
      for (const line of (features?.logs() ?? []).slice(-10)) io.err(`    ${line}\n`);
    }

    if (options.keepRunning) {
      io.out(
        [
          'the local cloud keeps running (Ctrl-C stops it):',
          `  AWS_ENDPOINT_URL=${cloud.endpoint} AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=${REGION}`,
          ...Object.entries(urls).map(
            ([route, url]) => `  ${route.padEnd(18)} ${url} (SigV4, service execute-api)`,
          ),
          // ScoringUrl names the API's AWS address; locally it is the POST /score URL above.
          ...Object.entries(deployment.outputs)
            .filter(([name]) => name !== 'ScoringUrl')
            .map(([name, value]) => `  ${name.padEnd(18)} ${value}`),
          '',
        ].join('\n'),
      );
      await untilInterrupted();
    }
    return countsOk && scoringOk && !offline.parity.skew ? 0 : 1;
  } finally {
    kinesis.destroy();
    s3.destroy();
    dynamodb.destroy();
    // The cloud stops the stack's mappings and functions first, then the emulators they write to.
    await cloud.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Runs `npx cdk synth --quiet` when cdk.out lacks the stack or is older than a source; its duration, if run. */
async function synthesizeIfStale(io: CliIO): Promise<number | undefined> {
  const template = join(CDK_OUT, `${STACK}.template.json`);
  const builtAt = existsSync(template) ? statSync(template).mtimeMs : 0;
  const newest = Math.max(...SOURCES.map((s) => (existsSync(s) ? newestMtime(s) : 0)));
  if (builtAt > newest) return undefined;
  io.err(
    `synthesizing the CDK app (${builtAt === 0 ? 'no cdk.out' : 'cdk.out is older than the sources'})...\n`,
  );
  const started = performance.now();
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [cdkCli(), 'synth', '--quiet'], {
      cwd: packageRoot(),
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (status) => resolve(status ?? 1));
  });
  if (code !== 0) throw new CliError(`cdk synth --quiet in ${packageRoot()} failed (exit ${code})`);
  return performance.now() - started;
}

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

function requiredOutput(deployment: Deployment, name: string): string {
  const value = deployment.outputs[name];
  if (value === undefined) throw new Error(`the stack has no output ${name}`);
  return value;
}

async function putAll(
  kinesis: KinesisClient,
  streamName: string,
  records: readonly { data: Uint8Array; partitionKey: string }[],
  io: CliIO,
): Promise<void> {
  let done = 0;
  for (let i = 0; i < records.length; i += PUT_CHUNK) {
    let pending: PutRecordsRequestEntry[] = records
      .slice(i, i + PUT_CHUNK)
      .map((r) => ({ Data: r.data, PartitionKey: r.partitionKey }));
    const size = pending.length;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 8) throw new Error(`${pending.length} records still refused by PutRecords`);
      if (attempt > 0) await new Promise((r) => setTimeout(r, 100 * attempt));
      const answer = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: pending }));
      pending = pending.filter((_, j) => answer.Records?.[j]?.ErrorCode !== undefined);
    }
    progress(io, done + size, records.length, done, 'put');
    done += size;
  }
  if (io.interactive) io.err('\n');
}

/** The features function's `batch` log lines (done whole), and how many batches were done only in part. */
function batchLines(
  deployment: Deployment,
  logs: Map<string, string[]>,
): { done: Record<string, unknown>[]; partial: number } {
  const done: Record<string, unknown>[] = [];
  let partial = 0;
  for (const [source, lines] of logs) {
    if (!deployment.functions.has(source)) continue;
    for (const line of lines) {
      const start = line.indexOf('{');
      if (start < 0) continue;
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line.slice(start)) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (entry.message === 'batch') done.push(entry);
      else if (typeof entry.message === 'string' && entry.message.startsWith('batch done in part')) partial++;
    }
  }
  return { done, partial };
}

interface ScoringResult {
  ok: number;
  latencies: number[];
  failures: string[];
  /** The model versions that answered. */
  versions: Set<string>;
}

async function scoreSample(url: string, records: readonly { data: Uint8Array }[]): Promise<ScoringResult> {
  const signer = new SignatureV4({
    service: 'execute-api',
    region: REGION,
    credentials: CREDENTIALS,
    sha256: Sha256,
  });
  const target = new URL(url);
  const decoder = new TextDecoder();
  const bodies: string[] = [];
  const step = Math.max(1, Math.floor(records.length / SCORE_SAMPLE));
  for (let i = 0; i < records.length && bodies.length < SCORE_SAMPLE; i += step) {
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(decoder.decode((records[i] as { data: Uint8Array }).data)) as Record<
        string,
        unknown
      >;
    } catch {
      continue;
    }
    const { card_id: card, merchant_id: merchant } = event;
    if (typeof card !== 'string' || typeof merchant !== 'string' || card === '' || merchant === '') continue;
    bodies.push(
      JSON.stringify({
        entities: {
          card: { card_id: card },
          merchant: { merchant_id: merchant },
          card_merchant: { card_id: card, merchant_id: merchant },
        },
      }),
    );
  }
  const result: ScoringResult = { ok: 0, latencies: [], failures: [], versions: new Set() };
  for (const body of bodies) {
    const started = performance.now();
    const signed = await signer.sign({
      method: 'POST',
      protocol: target.protocol,
      hostname: target.hostname,
      port: Number(target.port),
      path: target.pathname,
      headers: { host: target.host, 'content-type': 'application/json' },
      body,
    });
    const response = await fetch(url, {
      method: 'POST',
      headers: signed.headers as Record<string, string>,
      body,
    });
    const text = await response.text();
    result.latencies.push(performance.now() - started);
    let answer: { score?: unknown; modelVersion?: unknown } = {};
    try {
      answer = JSON.parse(text) as typeof answer;
    } catch {
      // not JSON: counted as a failure below
    }
    if (typeof answer.modelVersion === 'string') result.versions.add(answer.modelVersion);
    if (response.status === 200 && typeof answer.score === 'number') result.ok++;
    else result.failures.push(`${response.status} ${text.slice(0, 200)}`);
  }
  return result;
}

function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

function ms(value: number | undefined): string {
  return value === undefined ? 'n/a' : `${Math.round(value)} ms`;
}
