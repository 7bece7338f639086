/**
 * The monitoring job end to end on the local cloud, with the user's tools: the stack deployed with the CDK CLI (a
 * model whose registry entry carries training feature distributions), events put on the stream with the SDK,
 * requests scored through the HTTP API (signed), their feature log delivered to S3 by the Firehose emulator,
 * delayed labels put under `labels/` with the AWS CLI, the monitor function invoked with `aws lambda invoke`, and its
 * metrics read back with `aws cloudwatch get-metric-statistics`:
 * - quality metrics appear, and the ROC AUC is the one pair counting gives for the scores and labels;
 * - a second batch with every amount tripled raises FeaturePsi above 0.25 for exactly the features computed from
 *   `amount`, where the first batch (like training) leaves every feature below 0.1;
 * - a window with no events, against the same window a week earlier in the raw archive, gives EventsVsLastWeek 0.
 *   The outage is a run whose window lies a week after the first batch: nothing arrived then, and the archive holds
 *   the first batch's records a week earlier.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEventSource } from '../../adapters/archive/event-source.js';
import { readFeatureLog } from '../../adapters/archive/feature-log.js';
import { FeatureClient } from '../../adapters/feature-client.js';
import { signedPost } from '../../cli/demo-scoring.js';
import { onShards } from '../../cli/simulated-stream.js';
import { compileSpec, parseSpecJson, type ReplayQuery, replay } from '../../core/index.js';
import { featureDistribution } from '../../core/monitoring/index.js';
import { DEFAULT_MODEL_REGISTRY, DEFAULT_MODEL_VERSION } from '../../lib/model-registry.js';
import { pairCountingAuc } from '../support/metric-definitions.js';
import { until } from '../support/until.js';
import { UserSession } from '../support/user-session.js';

const SECOND = 1_000;
const MINUTES = 60 * SECOND;
const STACK = 'streamfeatures-dev';
const SERVICE = `${STACK}-monitor`;
const CARDS = 40;
const MERCHANTS = 8;
/** Firehose's buffering interval for this deploy: the job's windows end this plus a minute before a run. */
const BUFFER_S = 15;
const LAG_MS = (BUFFER_S + 60) * SECOND;
/** The serving window this deploy sets (minutes): short, so two batches minutes apart fall in different runs. */
const SERVING_MINUTES = 2;
const WEEK_MS = 7 * 24 * 60 * MINUTES;

const specJson = parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8'));
const spec = compileSpec(specJson);
const modelDocument = JSON.parse(
  readFileSync(join(DEFAULT_MODEL_REGISTRY, `${DEFAULT_MODEL_VERSION}.json`), 'utf8'),
) as { features: string[] };
const MODEL_FEATURES = modelDocument.features;
const FROM_AMOUNT = specJson.features
  .filter((f) => f.field === 'amount' && MODEL_FEATURES.includes(f.name))
  .map((f) => f.name)
  .sort();

interface FraudEvent {
  event_id: string;
  ts: number;
  card_id: string;
  merchant_id: string;
  amount: number;
  status: string;
  geo: { country: string };
}

/** A batch: every card pays three times at the batch's own merchants; amounts × `factor`. */
function batch(prefix: string, baseMs: number, factor: number): FraudEvent[] {
  const events: FraudEvent[] = [];
  for (let i = 0; i < CARDS; i++) {
    for (let j = 0; j < 3; j++) {
      events.push({
        event_id: `${prefix}-${i}-${j}`,
        ts: baseMs + i * 10 + j,
        card_id: `${prefix}-card-${i}`,
        merchant_id: `${prefix}-merchant-${(i + j) % MERCHANTS}`,
        amount: (10 + ((i * 37 + j * 53) % 190)) * factor,
        status: (i + j) % 7 === 0 ? 'declined' : 'approved',
        geo: { country: ['NL', 'DE', 'FR'][(i + j) % 3] as string },
      });
    }
  }
  return events;
}

/** The scoring request of card i: its card, its last merchant and the pair. */
function entitiesOf(prefix: string, i: number) {
  const card_id = `${prefix}-card-${i}`;
  const merchant_id = `${prefix}-merchant-${(i + 2) % MERCHANTS}`;
  return { card: { card_id }, merchant: { merchant_id }, card_merchant: { card_id, merchant_id } };
}

/**
 * The training distributions of a model trained on traffic like the first batch: its vectors as the engine
 * computes them offline (replay), a minute after the events, for the same requests.
 */
function trainedLikeBatchA(): Record<string, unknown> {
  const base = Date.parse('2026-01-05T10:00:00Z');
  const events = batch('train', base, 1);
  const encoder = new TextEncoder();
  const records = onShards(
    events.map((e) => ({
      data: encoder.encode(JSON.stringify(e)),
      arrivalMs: e.ts + 100,
      partitionKey: e.card_id,
    })),
    1,
  );
  const t = base + MINUTES;
  const queries: ReplayQuery[] = Array.from({ length: CARDS }, (_, i) => {
    const entities = entitiesOf('train', i);
    return [
      { entity: 'card', key: entities.card, t },
      { entity: 'merchant', key: entities.merchant, t },
      { entity: 'card_merchant', key: entities.card_merchant, t },
    ];
  }).flat();
  const { answers } = replay(spec, records, queries);
  const vectors = Array.from({ length: CARDS }, (_, i) =>
    Object.assign({}, ...[0, 1, 2].map((k) => answers[3 * i + k]?.features)),
  ) as Record<string, unknown>[];
  return Object.fromEntries(
    MODEL_FEATURES.map((name) => [name, featureDistribution(vectors.map((v) => v[name] ?? null))]),
  );
}

let session: UserSession;
let outputs: { StreamName: string; TableName: string; OfflineBucket: string; ScoringUrl: string };
let functionName: string;
const figures: Record<string, number | string> = {};

async function aws(label: string, args: string[]): Promise<unknown> {
  const { stdout } = await session.sh(label, 'aws', [...args, '--output', 'json']);
  return stdout.trim() === '' ? undefined : JSON.parse(stdout);
}

/** Puts a batch on the stream with the SDK; resolves when Kinesis took every record. */
async function put(events: FraudEvent[]): Promise<void> {
  const kinesis = new KinesisClient(session.clientConfig());
  try {
    let pending = events;
    await until('Kinesis to take the batch', async () => {
      const answer = await kinesis.send(
        new PutRecordsCommand({
          StreamName: outputs.StreamName,
          Records: pending.map((e) => ({ Data: Buffer.from(JSON.stringify(e)), PartitionKey: e.card_id })),
        }),
      );
      pending = pending.filter((_, i) => answer.Records?.[i]?.ErrorCode !== undefined);
      return pending.length === 0 ? true : undefined;
    });
  } finally {
    kinesis.destroy();
  }
}

/** Until the online store has counted every event of a batch (three per card). */
async function counted(prefix: string): Promise<void> {
  const dynamodb = new DynamoDBClient(session.clientConfig());
  const reader = new FeatureClient({ client: dynamodb, tableName: outputs.TableName, spec: specJson });
  try {
    await until(`batch ${prefix} counted`, async () => {
      const read = await reader.readFeatures(
        Array.from({ length: CARDS }, (_, i) => ({
          entity: 'card',
          key: { card_id: `${prefix}-card-${i}` },
        })),
      );
      return read.every((f) => f.card_txn_count_1h === 3) ? true : undefined;
    });
  } finally {
    dynamodb.destroy();
  }
}

interface Scored {
  readonly i: number;
  readonly t: number;
  readonly score: number;
}

/** Scores every card of a batch through the HTTP API, SigV4-signed as a caller with execute-api:Invoke. */
async function score(prefix: string): Promise<Scored[]> {
  const scored: Scored[] = [];
  for (let i = 0; i < CARDS; i++) {
    const t = Date.now();
    const response = await signedPost(
      outputs.ScoringUrl,
      JSON.stringify({ entities: entitiesOf(prefix, i), t }),
    );
    const answer = JSON.parse(response.text) as { score?: number };
    expect(response.status, response.text).toBe(200);
    scored.push({ i, t, score: answer.score as number });
  }
  return scored;
}

/** Until the feature log in S3 holds `rows` logged requests. */
async function featureLogHolds(rows: number): Promise<void> {
  const s3 = new S3Client({ ...session.clientConfig(), forcePathStyle: true });
  try {
    await until(`the feature log to hold ${rows} rows`, async () => {
      try {
        const logged = await readFeatureLog(`s3://${outputs.OfflineBucket}/features/`, () => s3);
        return logged.length >= rows ? true : undefined;
      } catch (error) {
        if (/no Parquet files/.test((error as Error).message)) return undefined;
        throw error;
      }
    });
  } finally {
    s3.destroy();
  }
}

/** Until the raw archive in S3 holds every event of the batch. */
async function archiveHolds(events: readonly FraudEvent[]): Promise<void> {
  const s3 = new S3Client({ ...session.clientConfig(), forcePathStyle: true });
  try {
    await until('the raw archive to hold the batch', async () => {
      const ids = new Set<string>();
      try {
        const source = await openEventSource(spec, `s3://${outputs.OfflineBucket}/raw/`, { s3: () => s3 });
        for await (const chunk of source.chunks) {
          for (const record of chunk) {
            ids.add((JSON.parse(Buffer.from(record.data).toString('utf8')) as { event_id: string }).event_id);
          }
        }
      } catch (error) {
        if (/no Parquet files/.test((error as Error).message)) return undefined;
        throw error;
      }
      return events.every((e) => ids.has(e.event_id)) ? true : undefined;
    });
  } finally {
    s3.destroy();
  }
}

interface RunWindow {
  readonly startedMs: number;
  readonly endedMs: number;
  readonly summary: Record<string, unknown>;
}

/**
 * `aws lambda invoke` of the monitor function as the schedule would, at the scheduled `time` (the CLI v1 here
 * takes the payload as JSON text; v2 would need `--cli-binary-format raw-in-base64-out`).
 */
async function invokeMonitor(label: string, timeMs: number): Promise<RunWindow> {
  const out = resolve(session.work, `${label}.json`);
  const startedMs = Date.now();
  const answer = (await aws(label, [
    'lambda',
    'invoke',
    '--function-name',
    functionName,
    '--payload',
    JSON.stringify({
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      time: new Date(timeMs).toISOString(),
    }),
    out,
  ])) as { StatusCode?: number; FunctionError?: string };
  const endedMs = Date.now();
  const summary = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
  expect(answer.FunctionError, JSON.stringify(summary)).toBeUndefined();
  expect(answer.StatusCode).toBe(200);
  return { startedMs, endedMs, summary };
}

/** A metric's datapoints published during a run: `aws cloudwatch get-metric-statistics`. */
async function metricOf(
  runWindow: RunWindow,
  metricName: string,
  dimensions: Record<string, string> = {},
): Promise<{ max: number; min: number; count: number } | undefined> {
  const answer = (await aws(`get ${metricName}`, [
    'cloudwatch',
    'get-metric-statistics',
    '--namespace',
    'streamfeatures',
    '--metric-name',
    metricName,
    '--dimensions',
    ...Object.entries({ service: SERVICE, ...dimensions }).map(
      ([Name, Value]) => `Name=${Name},Value=${Value}`,
    ),
    '--start-time',
    new Date(runWindow.startedMs - SECOND).toISOString(),
    '--end-time',
    new Date(runWindow.endedMs + SECOND).toISOString(),
    '--period',
    '60',
    '--statistics',
    'Maximum',
    'Minimum',
    'SampleCount',
  ])) as { Datapoints: { Maximum: number; Minimum: number; SampleCount: number }[] };
  const points = answer.Datapoints;
  if (points.length === 0) return undefined;
  return {
    max: Math.max(...points.map((p) => p.Maximum)),
    min: Math.min(...points.map((p) => p.Minimum)),
    count: points.reduce((sum, p) => sum + p.SampleCount, 0),
  };
}

let batchA: FraudEvent[];
let putAEnded = 0;
let scoredA: Scored[] = [];
let labelsA: number[] = [];
let run1: RunWindow;
/** FeaturePsi of the first run, by feature. */
const baselinePsi = new Map<string, number>();
let run2: RunWindow;

beforeAll(async () => {
  session = UserSession.open('model-monitoring', figures);
  const registry = resolve(session.work, 'models');
  mkdirSync(registry);
  writeFileSync(
    join(registry, `${DEFAULT_MODEL_VERSION}.json`),
    JSON.stringify({ ...modelDocument, featureDistributions: trainedLikeBatchA() }),
  );
  await session.startLocalCloud();
  await session.bootstrap();
  outputs = await session.deploy<typeof outputs>(STACK, [
    `offlineBufferInterval=${BUFFER_S}s`,
    `modelRegistry=${registry}`,
    `modelMonitoring={"servingWindowMinutes":${SERVING_MINUTES}}`,
  ]);
  const resources = (await aws('stack resources', [
    'cloudformation',
    'describe-stack-resources',
    '--stack-name',
    STACK,
  ])) as {
    StackResources: { LogicalResourceId: string; PhysicalResourceId: string; ResourceType: string }[];
  };
  const of = (type: string, prefix: string) =>
    resources.StackResources.find((r) => r.ResourceType === type && r.LogicalResourceId.startsWith(prefix))
      ?.PhysicalResourceId as string;
  functionName = of('AWS::Lambda::Function', 'ModelMonitoringHandlerFunction');
  const rule = of('AWS::Events::Rule', 'ModelMonitoringSchedule');
  expect(functionName).toBeTruthy();
  const described = (await aws('describe rule', ['events', 'describe-rule', '--name', rule])) as {
    ScheduleExpression: string;
    State: string;
  };
  expect(described).toMatchObject({ ScheduleExpression: 'rate(15 minutes)', State: 'ENABLED' });
  // The test runs the job itself, at the times it chooses; a scheduled run in between would blur its figures.
  await aws('disable rule', ['events', 'disable-rule', '--name', rule]);
}, 30 * MINUTES);

afterAll(() => session?.close('model monitoring on the local cloud'), 20 * MINUTES);

describe('the monitoring job on the local cloud', () => {
  it(
    'publishes quality metrics from delayed labels, with the AUC pair counting gives, and counts a bad label file',
    async () => {
      batchA = batch('a', Date.now(), 1);
      await put(batchA);
      putAEnded = Date.now();
      await counted('a');
      scoredA = await score('a');
      await featureLogHolds(CARDS);
      // Delayed labels, known 3 s after each request: the higher half of the scores mostly positive, a few not.
      const median = [...scoredA.map((s) => s.score)].sort((x, y) => x - y)[CARDS / 2] as number;
      labelsA = scoredA.map((s) => Number(s.score >= median !== (s.i % 7 === 0)));
      const lines = scoredA.map((s, k) => {
        const { card_id, merchant_id } = entitiesOf('a', s.i).card_merchant;
        return JSON.stringify({
          card_id,
          merchant_id,
          ts: s.t,
          label: labelsA[k],
          label_time: s.t + 3 * SECOND,
        });
      });
      writeFileSync(resolve(session.work, 'labels-a.jsonl'), `${lines.join('\n')}\n`);
      writeFileSync(resolve(session.work, 'bad.jsonl'), 'not json\n{"card_id": "a-card-1", "label": 7}\n');
      for (const file of ['labels-a.jsonl', 'bad.jsonl']) {
        await session.sh(`put ${file}`, 'aws', [
          's3',
          'cp',
          resolve(session.work, file),
          `s3://${outputs.OfflineBucket}/labels/${file}`,
        ]);
      }
      const lastRequest = Math.max(...scoredA.map((s) => s.t));
      run1 = await invokeMonitor('run1', lastRequest + LAG_MS + 5 * SECOND);
      figures['run 1 summary'] = JSON.stringify(run1.summary);

      const champion = { ModelVersion: DEFAULT_MODEL_VERSION, Variant: 'champion' };
      const expectedAuc = pairCountingAuc(
        labelsA,
        scoredA.map((s) => s.score),
      );
      const auc = await metricOf(run1, 'RocAuc', champion);
      expect(auc?.count).toBe(1);
      expect(auc?.max).toBeCloseTo(expectedAuc, 9);
      figures['ROC AUC'] = expectedAuc.toFixed(4);
      expect((await metricOf(run1, 'LabelsJoined', champion))?.max).toBe(CARDS);
      expect((await metricOf(run1, 'LabelsJoined'))?.max).toBe(CARDS);
      expect((await metricOf(run1, 'LabelCoverage', champion))?.max).toBe(1);
      // label_time is 3 s after the caller's t; the delay is counted from the function's request time, a little later.
      const delay = (await metricOf(run1, 'LabelDelayP50', champion))?.max;
      expect(delay).toBeGreaterThan(2 * SECOND);
      expect(delay).toBeLessThanOrEqual(3 * SECOND);
      for (const name of ['PrAuc', 'CalibrationRatio', 'LabelDelayP99']) {
        expect(await metricOf(run1, name, champion), name).toBeDefined();
      }
      // At the serving threshold (0.5): precision of the flagged, absent when none is; recall of the positives.
      const flagged = scoredA.map((s) => s.score >= 0.5);
      const truePositives = flagged.filter((f, k) => f && labelsA[k] === 1).length;
      const positives = labelsA.filter((l) => l === 1).length;
      const flaggedCount = flagged.filter(Boolean).length;
      const precision = await metricOf(run1, 'Precision', champion);
      if (flaggedCount === 0) expect(precision).toBeUndefined();
      else expect(precision?.max).toBeCloseTo(truePositives / flaggedCount, 9);
      expect((await metricOf(run1, 'Recall', champion))?.max).toBeCloseTo(truePositives / positives, 9);
      figures['flagged at 0.5'] = flaggedCount;
      expect((await metricOf(run1, 'LabelsSetAside'))?.max).toBe(2);
      // Served like training: every feature reads online as offline, PSI near 0. A standard deviation served by the
      // online store differs from the replay's in its last bits; the cut points sit between distinct training
      // values, with a tolerance at each, so that moves no row to another bin.
      for (const feature of MODEL_FEATURES) {
        const psi = await metricOf(run1, 'FeaturePsi', {
          ModelVersion: DEFAULT_MODEL_VERSION,
          Feature: feature,
        });
        expect(psi, feature).toBeDefined();
        baselinePsi.set(feature, psi?.max ?? Number.NaN);
        figures[`run 1 PSI ${feature}`] = (psi?.max ?? Number.NaN).toFixed(3);
        expect(psi?.max, feature).toBeLessThan(0.1);
      }
      // Stream quality of the window: its records and field rates; no archive a week earlier, so no ratio.
      expect((await metricOf(run1, 'FieldNullRate', { Field: 'amount' }))?.max).toBe(0);
      expect(await metricOf(run1, 'EventsVsLastWeek')).toBeUndefined();
    },
    30 * MINUTES,
  );

  it(
    'raises FeaturePsi above 0.25 for exactly the features computed from amount when amounts triple',
    async () => {
      // The second batch after the first has left the serving window: its own cards and merchants, amounts × 3.
      const scoredAEnded = Math.max(...scoredA.map((s) => s.t));
      const batchB = batch('b', Date.now(), 3);
      await put(batchB);
      await counted('b');
      await until('the first batch to leave the serving window', async () =>
        Date.now() > scoredAEnded + SERVING_MINUTES * MINUTES + 5 * SECOND ? true : undefined,
      );
      const scoredB = await score('b');
      await featureLogHolds(2 * CARDS);
      run2 = await invokeMonitor('run2', Math.max(...scoredB.map((s) => s.t)) + LAG_MS + 5 * SECOND);
      figures['run 2 summary'] = JSON.stringify(run2.summary);
      expect(run2.summary.predictions).toBe(CARDS);
      const drifted: string[] = [];
      for (const feature of MODEL_FEATURES) {
        const psi = await metricOf(run2, 'FeaturePsi', {
          ModelVersion: DEFAULT_MODEL_VERSION,
          Feature: feature,
        });
        expect(psi, feature).toBeDefined();
        const value = psi?.max ?? Number.NaN;
        figures[`PSI ${feature}`] = value.toFixed(3);
        if (value > 0.25) {
          drifted.push(feature);
          // Raised by the planted shift, far above what the same feature gave unshifted.
          expect(value, feature).toBeGreaterThan((baselinePsi.get(feature) ?? Number.NaN) + 1);
        } else expect(value, feature).toBeLessThan(0.1);
      }
      expect(drifted.sort()).toEqual(FROM_AMOUNT);
      expect(FROM_AMOUNT.length).toBe(7);
    },
    30 * MINUTES,
  );

  it(
    'gives EventsVsLastWeek 0 for a window with no events against the same window a week earlier',
    async () => {
      await archiveHolds(batchA);
      // A week after the first batch, nothing arrives: the week-earlier window holds the first batch's records.
      const run3 = await invokeMonitor('run3', putAEnded + WEEK_MS + LAG_MS + 5 * SECOND);
      figures['run 3 summary'] = JSON.stringify(run3.summary);
      expect(run3.summary).toMatchObject({ records: 0, recordsWeekEarlier: 3 * CARDS });
      const volume = await metricOf(run3, 'EventsVsLastWeek');
      expect(volume).toEqual({ max: 0, min: 0, count: 1 });
      expect((await metricOf(run3, 'StreamRecords'))?.max).toBe(0);
    },
    20 * MINUTES,
  );
});
