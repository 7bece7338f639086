import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { loadSpecFile } from '../adapters/files/spec-file.js';
import { DEFAULT_TRAFFIC_OPTIONS } from '../examples/fraud/generate.js';
import type { GeneratedRecord } from '../examples/fraud/traffic-types.js';
import { bootstrapEnvironment } from '../packages/local-cloud/src/cloudformation/bootstrap.js';
import { cdkOutStack, type Deployment } from '../packages/local-cloud/src/deploy-template.js';
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
import { historyReport, runHistoryPhase } from './demo-history-phase.js';
import { monitoringReport, monitorLiveWindow, putLiveLabels } from './demo-monitoring.js';
import { offlineReport, runOfflineDemo } from './demo-offline.js';
import {
  CREDENTIALS,
  REGION,
  readableAfter,
  scoreSample,
  scoringBodyOf,
  signedPost,
} from './demo-scoring.js';
import { synthesizeIfStale } from './demo-synth.js';
import { trainingReport } from './demo-training.js';
import { type CliIO, countOf, describeCounts, progress } from './io.js';
import { offlineFiles, parquetRows } from './offline-files.js';
import { packagePath } from './package-files.js';

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
  const demoStart = Date.now();
  const events = options.events ?? 5_000;
  const synthMs = await synthesizeIfStale(CDK_OUT, STACK, io);

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
  const challengerOut = join(CDK_OUT, `challenger-${process.pid}`);
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
    const firstDeployMs = deployment.deployMs;
    const streamName = requiredOutput(deployment, 'StreamName');
    const bucket = requiredOutput(deployment, 'OfflineBucket');
    const table = requiredOutput(deployment, 'TableName');

    // 0. History: days of generated traffic backfilled, trained on, and its model deployed as a shadow challenger.
    const historyPhase = await runHistoryPhase(
      {
        stack: STACK,
        spec: { file: SPEC, parsed: await loadSpecFile(SPEC) },
        bucket,
        table,
        registry: MODEL_REGISTRY,
        scratch,
        challengerOut,
        cloudFormation: cloud.cloudFormation.service,
        clients: { dynamodb, s3 },
      },
      io,
    );
    deployment = historyPhase.deployment;
    const liveStart = Date.now();
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
    const warmScoring = scoringBodyOf(warmRecords[0] as GeneratedRecord);
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

    // Scoring through the HTTP API, SigV4-signed as an IAM caller would; then the labels arrive.
    const scoringStart = Date.now();
    const scoring = await scoreSample(scoringUrl, records, traffic.labels);
    await hooks.firehose.flush();
    const labelTime = Date.now();
    await putLiveLabels(s3, bucket, scoring.scored, labelTime);
    io.err('monitor: model quality from the delayed labels, drift, data quality...\n');
    const monitor = await monitorLiveWindow({
      spec: SPEC,
      bucket,
      sideOutputBucket: requiredOutput(deployment, 'SideOutputBucket'),
      registry: historyPhase.training.registry,
      fromMs: liveStart,
      toMs: labelTime + 1,
      s3: () => s3,
    }).catch((error: unknown) => new Error(`monitor failed: ${(error as Error).message}`));

    const raw = await offlineFiles(s3, bucket, 'raw/', scratch, new Set(historyPhase.stored.keys));
    const featureLog = await offlineFiles(s3, bucket, 'features/', scratch);
    const rows = await parquetRows([...raw.files, ...featureLog.files]);
    const rawRows = rows.perFile.slice(0, raw.files.length).reduce((a, b) => a + b, 0);
    const featureRows = rows.perFile.slice(raw.files.length).reduce((a, b) => a + b, 0);

    const offline = await runOfflineDemo(
      {
        spec: SPEC,
        bucket,
        table,
        servedVersions: [...scoring.versions],
        loggedSince: scoringStart,
        registry: historyPhase.training.registry,
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
        `  cloud              ${cloud.endpoint} up in ${(cloud.startupMs / 1000).toFixed(1)} s, ${STACK} deployed in ${(firstDeployMs / 1000).toFixed(1)} s${synthMs === undefined ? '' : ` (synth ${(synthMs / 1000).toFixed(1)} s)`}`,
        ...historyReport(historyPhase),
        ...trainingReport(historyPhase.training),
        `  challenger         the stack updated in ${deployment.deployMs} ms (cdk synth -c challenger=… ${(historyPhase.synthMs / 1000).toFixed(1)} s); the history phase took ${(historyPhase.ms / 1000).toFixed(1)} s`,
        `  steady traffic     ${steady.records.length} records at ${STEADY_EVENTS_PER_SECOND} events/s for ${(steadyPutMs / 1000).toFixed(1)} s: freshness ${freshnessLine(steadyStats)}`,
        `  readable           ${readable.length} of ${probes.size} sampled events readable through POST /score p50 ${ms(percentile(readable, 0.5))}, p99 ${ms(percentile(readable, 0.99))}, max ${ms(percentile(readable, 1))} after their put (polled every ${PROBE_POLL_MS} ms)`,
        `  backlog            ${burst.records.length} records put at once (${(burstPutMs / 1000).toFixed(1)} s), drained ${(burstDrainMs / 1000).toFixed(1)} s after the first put (${Math.round((burst.records.length * 1000) / burstDrainMs)} records/s): freshness ${freshnessLine(burstStats)}`,
        `  recovered          ${recovery.records.length} records at ${STEADY_EVENTS_PER_SECOND} events/s after the backlog: freshness ${freshnessLine(recoveryStats)}`,
        `  outcomes           counted ${outcomes.counted}, invalid ${outcomes.invalid}, future ${outcomes.future}, late ${outcomes.late}, duplicate ${outcomes.duplicate} = ${accounted} of ${records.length}${batches.partial > 0 ? ` (${batches.partial} batches done in part)` : ''}`,
        `  scoring            ${scoring.ok} of ${scoring.latencies.length} requests 200 (SigV4, POST /score), p50 ${ms(percentile(scoring.latencies, 0.5))}, p99 ${ms(percentile(scoring.latencies, 0.99))}`,
        `  offline store      raw archive ${countOf(raw.files.length, 'Parquet file')}, ${countOf(rawRows, 'row')}; feature log ${countOf(featureLog.files.length, 'file')}, ${countOf(featureRows, 'row')} (s3://${bucket}, read with ${rows.reader})`,
        ...offlineReport(offline),
        ...(monitor instanceof Error
          ? [`  monitor            ${monitor.message}`]
          : monitoringReport(monitor)),
        `  total              ${((Date.now() - demoStart) / 1000).toFixed(0)} s`,
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
    const monitorOk = !(monitor instanceof Error);
    return countsOk && freshnessOk && scoringOk && monitorOk && !offline.parity.skew ? 0 : 1;
  } finally {
    kinesis.destroy();
    s3.destroy();
    dynamodb.destroy();
    // The cloud stops the stack's mappings and functions first, then the emulators they write to.
    await cloud.stop();
    rmSync(scratch, { recursive: true, force: true });
    rmSync(challengerOut, { recursive: true, force: true });
  }
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
