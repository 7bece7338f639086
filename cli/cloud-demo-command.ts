import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { createDynamoDbClient } from '../adapters/dynamodb-client.js';
import { loadSpecFile } from '../adapters/files/spec-file.js';
import { bootstrapEnvironment } from '../packages/local-cloud/src/cloudformation/bootstrap.js';
import { cdkOutStack, type Deployment } from '../packages/local-cloud/src/deploy-template.js';
import { startLocalCloud } from '../packages/local-cloud/src/local-cloud.js';
import { ms, percentile } from './demo-freshness.js';
import { historyReport, runHistoryPhase } from './demo-history-phase.js';
import { livePhasesReport, runLivePhases } from './demo-live-phases.js';
import { monitoringReport, monitorLiveWindow, putLiveLabels } from './demo-monitoring.js';
import { offlineReport, runOfflineDemo } from './demo-offline.js';
import { CREDENTIALS, REGION, scoreSample } from './demo-scoring.js';
import { synthesizeIfStale } from './demo-synth.js';
import { trainingReport } from './demo-training.js';
import { type CliIO, countOf } from './io.js';
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
/** The features function's Powertools service name (FeatureComputer's default: the stack name + `-features`). */
const SERVICE_NAME = `${STACK}-features`;

/**
 * The fraud example on the embedded local cloud: the synthesized CDK stack deployed onto kinesis-mock, DynamoDB
 * Local and fauxqs (plus this process's Firehose, SageMaker runtime and HTTP API emulators); generated history
 * backfilled and trained on, its model deployed as a shadow challenger (cli/demo-history-phase.ts); the live traffic
 * put on the Kinesis stream for the real features bundle, its freshness measured (cli/demo-live-phases.ts); a sample
 * scored through the IAM-authorized HTTP API, delayed labels for it and the monitor report (cli/demo-monitoring.ts);
 * the raw archive and feature log read back, and online/offline parity (cli/demo-offline.ts).
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
  const dynamodb = createDynamoDbClient(clientConfig);
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

    // First the history: days of generated traffic backfilled, trained on, its model deployed as a shadow challenger.
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

    const live = await runLivePhases(
      {
        events,
        kinesis,
        streamName,
        scoringUrl,
        deployment,
        logs,
        endpoint: cloud.endpoint,
        serviceName: SERVICE_NAME,
        flushFirehose: () => hooks.firehose.flush(),
      },
      io,
    );
    const { traffic, records, batches, outcomes, accounted, freshnessValues, probeFailures } = live;

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
        ...livePhasesReport(live),
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
