import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import { DEFAULT_TRAFFIC_OPTIONS } from '../examples/fraud/generate.js';
import type { GeneratedRecord } from '../examples/fraud/traffic-types.js';
import { bootstrapEnvironment } from '../packages/local-cloud/src/cloudformation/bootstrap.js';
import { cdkOutStack, type Deployment } from '../packages/local-cloud/src/deploy-template.js';
import { Sha256 } from '../packages/local-cloud/src/http-api.js';
import { startLocalCloud } from '../packages/local-cloud/src/local-cloud.js';
import {
  combined,
  eventFreshness,
  type FreshnessStats,
  ms,
  oneAtATime,
  PROBE_POLL_MS,
  percentile,
  phaseSeed,
  probeCandidates,
  putAll,
  putPaced,
  trafficWithin,
  warmUp,
} from './demo-freshness.js';
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
const SCORE_SAMPLE = 200;
/**
 * The steady rate the demo puts traffic at: what the local cloud keeps up with on a busy 2-core machine (one shard,
 * the default 1 s batching window) with per-event freshness near what AWS gives (README, Quick start).
 */
const STEADY_EVENTS_PER_SECOND = 20;
/** How long the steady phase lasts, and the steady phase after the backlog. */
const STEADY_SECONDS = 20;
const RECOVERY_SECONDS = 6;
/** Events of the steady phase timed through the scoring API. */
const PROBES = 20;
/** The features function's Powertools service name (FeatureComputer's default: the stack name + `-features`). */
const SERVICE_NAME = `${STACK}-features`;
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

    // Three phases: steady traffic at a rate the local cloud sustains, a backlog put at once, and steady traffic
    // again to see freshness recover. Each phase is drained before the next, so CloudWatch's EventFreshness of a
    // phase's span is that phase's alone.
    const steadyEvents = Math.min(STEADY_EVENTS_PER_SECOND * STEADY_SECONDS, Math.floor(events * 0.4));
    const recoveryEvents = Math.min(STEADY_EVENTS_PER_SECOND * RECOVERY_SECONDS, Math.floor(events * 0.1));
    const burstEvents = events - steadyEvents - recoveryEvents;
    const mappings = [...deployment.mappings.values()];
    const drainAll = () => Promise.all(mappings.map((m) => m.drain(180_000)));
    const countedSoFar = () =>
      batchLines(deployment as Deployment, logs).done.reduce((n, b) => n + Number(b.counted ?? 0), 0);
    let countedBefore = 0;
    // Phase windows meet end to end, so every value lands in exactly one phase.
    let phaseEnd = Date.now();
    const measure = async () => {
      const startMs = phaseEnd;
      phaseEnd = Date.now();
      // The function's EMF lines reach CloudWatch through its log group: wait until every counted event of the
      // phase has its value there (or give up after a while and report what is there).
      const counted = countedSoFar() - countedBefore;
      countedBefore += counted;
      const deadline = Date.now() + 15_000;
      for (;;) {
        const stats = await eventFreshness(cloud.endpoint, SERVICE_NAME, startMs, phaseEnd);
        if (stats.values >= counted || Date.now() > deadline) return { ...stats, counted };
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    // 0. Warm-up: each shard's features environment and the scoring function started (cold starts are not
    // steady traffic), then drained; its records count with the steady phase's.
    const warm = trafficWithin(
      { events: 8, eventsPerSecond: 8, startMs: Date.now() - 2_000, seed: phaseSeed(0) },
      Date.now(),
    );
    const warmRecords = warm.records.filter((r) => r.kind === 'normal');
    const warmed = await warmUp(kinesis, streamName, warmRecords);
    const warmScoring = scoringBody(new TextDecoder().decode((warmRecords[0] as GeneratedRecord).data));
    if (warmScoring !== undefined) await signedPost(scoringUrl, warmScoring);
    await drainAll();
    const warmUsed = { ...warm, records: warmRecords.slice(0, warmed) };
    const warmLabels = new Set(warmUsed.records.map((r) => r.eventId));
    warmUsed.labels = warm.labels.filter((label) => warmLabels.has(label.event_id));
    warmUsed.counts = { normal: warmed } as typeof warm.counts;

    // 1. Steady traffic, put as its arrival times come, and a sample of events timed through the scoring API.
    const steadyStart = Date.now() + 500;
    const steady = steadyTraffic(steadyEvents, steadyStart, 1);
    io.err(
      `deployed in ${deployment.deployMs} ms; steady traffic: ${steady.records.length} records at ${STEADY_EVENTS_PER_SECOND} events/s (${describeCounts(steady.counts)})${cutNote(steady.cut)}\n`,
    );
    const probes = probeCandidates(steady.records, PROBES);
    const probeRuns: Promise<number | undefined>[] = [];
    const probeFailures: string[] = [];
    const serial = oneAtATime();
    await putPaced(kinesis, streamName, steady.records, steady.endMs, (chunk, sentAt) => {
      for (const record of chunk)
        if (probes.has(record))
          probeRuns.push(readableAfter(scoringUrl, record, sentAt, probeFailures, serial));
    });
    const steadyPutMs = Date.now() - steadyStart;
    await drainAll();
    const readable = (await Promise.all(probeRuns)).filter((v): v is number => v !== undefined);
    const steadyStats = await measure();

    // 2. A backlog: events of the last 100 s or less, put at once (a producer catching up).
    const burstSpanMs =
      (burstEvents / Math.max(DEFAULT_TRAFFIC_OPTIONS.eventsPerSecond, burstEvents / MAX_SPAN_SECONDS)) *
      1000;
    const burstTrafficStart = Math.floor(Date.now() - burstSpanMs - 3_000);
    const burst = trafficWithin(
      {
        events: burstEvents,
        eventsPerSecond: burstEvents / (burstSpanMs / 1000),
        startMs: burstTrafficStart,
        seed: phaseSeed(2),
      },
      burstTrafficStart + burstSpanMs,
    );
    io.err(
      `backlog: putting ${burst.records.length} records at once (${describeCounts(burst.counts)})${cutNote(burst.cut)}\n`,
    );
    const burstStart = Date.now();
    await putAll(kinesis, streamName, burst.records, (done) =>
      progress(io, done, burst.records.length, 0, 'put'),
    );
    if (io.interactive) io.err('\n');
    const burstPutMs = Date.now() - burstStart;
    await drainAll();
    const burstDrainMs = Date.now() - burstStart;
    const burstStats = await measure();

    // 3. Steady traffic again: freshness is back where it was.
    const recoveryStart = Date.now() + 500;
    const recovery = steadyTraffic(recoveryEvents, recoveryStart, 3);
    await putPaced(kinesis, streamName, recovery.records, recovery.endMs);
    await drainAll();
    const recoveryStats = await measure();
    await hooks.firehose.flush();

    const traffic = combined([warmUsed, steady, burst, recovery]);
    const records = traffic.records;

    // Outcomes: the features function's own log line per batch.
    const batches = batchLines(deployment, logs);
    const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
    for (const batch of batches.done) for (const o of OUTCOMES) outcomes[o] += Number(batch[o] ?? 0);
    const accounted = OUTCOMES.reduce((sum, o) => sum + outcomes[o], 0);
    const freshnessValues = steadyStats.values + burstStats.values + recoveryStats.values;

    // Scoring through the HTTP API, SigV4-signed as an IAM caller would.
    const scoringStart = Date.now();
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
        loggedSince: scoringStart,
        registry: MODEL_REGISTRY,
        scratch,
        clients: { dynamodb, s3 },
      },
      io,
    );

    const countsOk = accounted === records.length && batches.partial === 0;
    // One EventFreshness value per counted event, no more, no fewer.
    const freshnessOk = freshnessValues === outcomes.counted;
    const scoringOk = scoring.ok === scoring.latencies.length && scoring.latencies.length > 0;
    io.out(
      [
        '',
        'streamfeatures demo: the fraud example on the embedded local cloud',
        `  cloud              ${cloud.endpoint} up in ${(cloud.startupMs / 1000).toFixed(1)} s, ${STACK} deployed in ${(deployment.deployMs / 1000).toFixed(1)} s${synthMs === undefined ? '' : ` (synth ${(synthMs / 1000).toFixed(1)} s)`}`,
        `  steady traffic     ${steady.records.length} records at ${STEADY_EVENTS_PER_SECOND} events/s for ${(steadyPutMs / 1000).toFixed(1)} s: freshness ${freshnessLine(steadyStats)}`,
        `  readable           ${readable.length} of ${probes.size} sampled events readable through POST /score p50 ${ms(percentile(readable, 0.5))}, p99 ${ms(percentile(readable, 0.99))}, max ${ms(percentile(readable, 1))} after their put (polled every ${PROBE_POLL_MS} ms)`,
        `  backlog            ${burst.records.length} records put at once (${(burstPutMs / 1000).toFixed(1)} s), drained ${(burstDrainMs / 1000).toFixed(1)} s after the first put (${Math.round((burst.records.length * 1000) / burstDrainMs)} records/s): freshness ${freshnessLine(burstStats)}`,
        `  recovered          ${recovery.records.length} records at ${STEADY_EVENTS_PER_SECOND} events/s after the backlog: freshness ${freshnessLine(recoveryStats)}`,
        `  outcomes           counted ${outcomes.counted}, invalid ${outcomes.invalid}, future ${outcomes.future}, late ${outcomes.late}, duplicate ${outcomes.duplicate} = ${accounted} of ${records.length}${batches.partial > 0 ? ` (${batches.partial} batches done in part)` : ''}`,
        `  scoring            ${scoring.ok} of ${scoring.latencies.length} requests 200 (SigV4, POST /score), p50 ${ms(percentile(scoring.latencies, 0.5))}, p99 ${ms(percentile(scoring.latencies, 0.99))}`,
        `  offline store      raw archive ${countOf(raw.files.length, 'Parquet file')}, ${countOf(rawRows, 'row')}; feature log ${countOf(featureLog.files.length, 'file')}, ${countOf(featureRows, 'row')} (s3://${bucket}, read with ${rows.reader})`,
        ...offlineReport(offline),
        '',
      ].join('\n'),
    );
    for (const status of scoring.failures.slice(0, 3)) io.err(`  scoring failed: ${status}\n`);
    for (const status of probeFailures.slice(0, 3)) io.err(`  a sampled event's read failed: ${status}\n`);
    if (probeFailures.length > 0 || scoring.failures.length > 0) {
      const score = [...deployment.functions.values()].find((f) => f.functionName.includes('Scor'));
      io.err('  last log lines of the scoring function:\n');
      for (const line of (score?.logs() ?? []).slice(-6)) io.err(`    ${line.slice(0, 400)}\n`);
      for (const [src, lines] of logs)
        for (const l of lines)
          if (/error|timed out|Task/i.test(l)) io.err(`DEBUG ${src} ${l.slice(0, 600)}\n`);
    }
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
    if (!freshnessOk) {
      io.err(
        `  CloudWatch has ${freshnessValues} EventFreshness values for ${outcomes.counted} counted events\n`,
      );
    }
    return countsOk && freshnessOk && scoringOk && !offline.parity.skew ? 0 : 1;
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
  const decoder = new TextDecoder();
  const bodies: string[] = [];
  const step = Math.max(1, Math.floor(records.length / SCORE_SAMPLE));
  for (let i = 0; i < records.length && bodies.length < SCORE_SAMPLE; i += step) {
    const body = scoringBody(decoder.decode((records[i] as { data: Uint8Array }).data));
    if (body !== undefined) bodies.push(body);
  }
  const result: ScoringResult = { ok: 0, latencies: [], failures: [], versions: new Set() };
  for (const body of bodies) {
    const started = performance.now();
    const { status, text } = await signedPost(url, body);
    result.latencies.push(performance.now() - started);
    let answer: { score?: unknown; modelVersion?: unknown } = {};
    try {
      answer = JSON.parse(text) as typeof answer;
    } catch {
      // not JSON: counted as a failure below
    }
    if (typeof answer.modelVersion === 'string') result.versions.add(answer.modelVersion);
    if (status === 200 && typeof answer.score === 'number') result.ok++;
    else result.failures.push(`${status} ${text.slice(0, 200)}`);
  }
  return result;
}

/** A scoring request for an event's card, merchant and card-merchant; none for an event without both keys. */
function scoringBody(eventText: string): string | undefined {
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(eventText) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const { card_id: card, merchant_id: merchant } = event;
  if (typeof card !== 'string' || typeof merchant !== 'string' || card === '' || merchant === '')
    return undefined;
  return JSON.stringify({
    entities: {
      card: { card_id: card },
      merchant: { merchant_id: merchant },
      card_merchant: { card_id: card, merchant_id: merchant },
    },
  });
}

const signer = new SignatureV4({
  service: 'execute-api',
  region: REGION,
  credentials: CREDENTIALS,
  sha256: Sha256,
});

/** A JSON POST to the HTTP API, SigV4-signed as an IAM caller would sign it. */
async function signedPost(url: string, body: string): Promise<{ status: number; text: string }> {
  const target = new URL(url);
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
  return { status: response.status, text: await response.text() };
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

/** Traffic put at its own pace from `startMs` on: `events` base events at the steady rate. */
function steadyTraffic(events: number, startMs: number, phase: number) {
  const endMs = startMs + (events / STEADY_EVENTS_PER_SECOND) * 1000;
  return {
    ...trafficWithin(
      { events, eventsPerSecond: STEADY_EVENTS_PER_SECOND, startMs, seed: phaseSeed(phase) },
      endMs,
    ),
    endMs,
  };
}

function cutNote(cut: number): string {
  return cut === 0 ? '' : `; ${cut} fraud records whose burst runs past the span left out`;
}

function freshnessLine(stats: FreshnessStats & { counted: number }): string {
  return `p50 ${ms(stats.p50)}, p99 ${ms(stats.p99)}, max ${ms(stats.max)} (EventFreshness: ${stats.values} values for ${stats.counted} counted events)`;
}

/**
 * How long after its put an event is readable through the scoring API: its card's `card_txn_count_10m` polled
 * until it counts the event (the card has no earlier event, so a count of 1 is this one). Undefined if it never
 * does within a minute.
 */
async function readableAfter(
  url: string,
  record: GeneratedRecord,
  sentAt: number,
  failures: string[],
  serial: ReturnType<typeof oneAtATime>,
): Promise<number | undefined> {
  const body = scoringBody(new TextDecoder().decode(record.data));
  if (body === undefined) return undefined;
  while (Date.now() < sentAt + 60_000) {
    const { status, text } = await serial(() => signedPost(url, body)).catch((error: unknown) => ({
      status: 0,
      text: String(error),
    }));
    if (status === 200) {
      const answer = JSON.parse(text) as { features?: Record<string, unknown> };
      const count = answer.features?.card_txn_count_10m;
      if (typeof count === 'number' && count >= 1) return Date.now() - sentAt;
    } else {
      failures.push(`${status} ${text.slice(0, 200)}`);
    }
    await new Promise((r) => setTimeout(r, PROBE_POLL_MS));
  }
  return undefined;
}
