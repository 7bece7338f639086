/**
 * docs/runbook-add-a-feature.md end to end on the local cloud, the user's path with the user's tools: the local
 * cloud started by `streamfeatures local up`, the fraud app bootstrapped and deployed with the CDK CLI (spec A, the
 * repository's spec), steady traffic put with the SDK; then spec B (A plus one card feature, and one card feature
 * changed): `spec diff` (exit 3), `cdk deploy` of B, `streamfeatures backfill` of the two from the raw archive in the
 * local S3 while the traffic goes on; all the while the kept card features are sampled through FeatureClient (with
 * spec A, as a client not yet upgraded, and with spec B), and must never read empty nor go back; after the traffic
 * stops and the archive holds every event, `streamfeatures parity` with spec B finds no skew. The figures go to the
 * log.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEventSource } from '../../adapters/archive/event-source.js';
import { FeatureClient } from '../../adapters/feature-client.js';
import { compileSpec, parseSpecJson, type Spec } from '../../core/index.js';
import { until } from '../support/until.js';
import { UserSession } from '../support/user-session.js';

const MINUTES = 60_000;
const STACK = 'streamfeatures-dev';
const ADDED = 'card_txn_count_30m';
const CHANGED = 'card_amount_sum_1h';
const CARDS = Array.from({ length: 6 }, (_, i) => `sc-card-${i}`);
const MERCHANTS = Array.from({ length: 4 }, (_, i) => `sc-merchant-${i}`);
/** Firehose's buffering interval for this deploy (a documented setting), so the archive catches up in seconds. */
const BUFFER = '15s';
/** Features that only grow (or, a minimum, only shrink) while events accumulate within their window. */
const GROWING = [
  'card_txn_count_1h',
  'card_declines_1h',
  'card_amount_max_24h',
  'card_distinct_merchants_24h',
];
const SHRINKING = ['card_amount_min_1h'];
/** The shortest window among them (1 h, 5 min tiles): past this from the first event, growth is no longer sure. */
const GROWTH_HORIZON_MS = 50 * MINUTES;

const specA = parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8'));
const specB: Spec = {
  ...specA,
  features: [
    ...specA.features.map((f) => (f.name === CHANGED ? { ...f, window: '2h' } : f)),
    { name: ADDED, entity: 'card', agg: 'count', window: '30m', tile: '5m' },
  ],
};
/** The card features A and B define alike: their stored state must stay readable across the deploy. */
const KEPT = specA.features
  .filter((f) => f.entity === 'card')
  .filter((f) => JSON.stringify(specB.features.find((g) => g.name === f.name)) === JSON.stringify(f))
  .map((f) => f.name);
/**
 * Kept features that read 0 on an empty window rather than null (count, sum, distinct), and never 0 on this
 * traffic once their card has events: no filter, and every amount positive.
 */
const ZERO_WHEN_EMPTY = specA.features
  .filter(
    (f) => KEPT.includes(f.name) && ['count', 'sum', 'distinct'].includes(f.agg) && f.where === undefined,
  )
  .map((f) => f.name);

/** Whether a feature read as an empty window would (once its card has been counted, it must not). */
function readsEmpty(name: string, value: unknown): boolean {
  return value === null || value === undefined || (ZERO_WHEN_EMPTY.includes(name) && value === 0);
}

let session: UserSession;
let specAFile: string;
let specBFile: string;
let outputs: { StreamName: string; TableName: string; OfflineBucket: string };
const figures: Record<string, number | string> = {};
const sent = new Set<string>();
/** Ids of the events sent before the deploy of spec B finished: the archive must hold them before the backfill. */
let sentBeforeDeploy: string[] = [];
let producer: Loop | undefined;
let sampler: Loop | undefined;
const samples: Sample[] = [];
let deployBStarted = 0;
let trafficStarted = 0;

interface Sample {
  readonly at: number;
  readonly spec: 'A' | 'B';
  readonly card: string;
  readonly features: Record<string, unknown>;
}

/** A background loop that runs `step` until stopped; its first error fails `stop()`. */
interface Loop {
  stop(): Promise<void>;
}

function loop(step: () => Promise<void>, pauseMs: number): Loop {
  let running = true;
  let failure: unknown;
  const done = (async () => {
    while (running) {
      try {
        await step();
      } catch (error) {
        failure ??= error;
        running = false;
      }
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      if (failure !== undefined) throw failure;
    },
  };
}

async function deploy(specFile: string, extra: string[], out: string) {
  outputs = await session.deploy<typeof outputs>(
    STACK,
    [`specFile=${specFile}`, `offlineBufferInterval=${BUFFER}`, ...extra],
    { label: out.replace('out-', 'deploy '), outDir: out },
  );
}

/** Steady traffic: one event per card every round, stamped now, over rotating merchants, some declined. */
function startTraffic(): Loop {
  const kinesis = new KinesisClient(session.clientConfig());
  let n = 0;
  const l = loop(async () => {
    const now = Date.now();
    const round = n++;
    const events = CARDS.map((card, i) => ({
      event_id: `sc-${round}-${i}`,
      ts: now - 500 + i,
      card_id: card,
      merchant_id: MERCHANTS[(round + i) % MERCHANTS.length],
      amount: 5 + ((round * 7 + i * 13) % 300),
      status: (round + i) % 9 === 0 ? 'declined' : 'approved',
      geo: { country: ['NL', 'DE', 'FR'][(round + i) % 3] },
    }));
    const answer = await kinesis.send(
      new PutRecordsCommand({
        StreamName: outputs.StreamName,
        Records: events.map((e) => ({ Data: Buffer.from(JSON.stringify(e)), PartitionKey: e.card_id })),
      }),
    );
    // A throttled record is sent again next round under a new id: only what Kinesis took counts as sent.
    answer.Records?.forEach((r, i) => {
      if (r.ErrorCode === undefined) sent.add(events[i]?.event_id as string);
    });
  }, 500);
  return {
    async stop() {
      try {
        await l.stop();
      } finally {
        kinesis.destroy();
      }
    },
  };
}

/** Reads every card's features with both specs, as two clients would (one not yet upgraded). */
function startSampling(): Loop {
  const dynamodb = new DynamoDBClient(session.clientConfig());
  const readers = {
    A: new FeatureClient({ client: dynamodb, tableName: outputs.TableName, spec: specA }),
    B: new FeatureClient({ client: dynamodb, tableName: outputs.TableName, spec: specB }),
  };
  const l = loop(async () => {
    for (const spec of ['A', 'B'] as const) {
      const at = Date.now();
      const read = await readers[spec].readFeatures(
        CARDS.map((card) => ({ entity: 'card', key: { card_id: card } })),
        at,
      );
      read.forEach((features, i) => {
        samples.push({ at, spec, card: CARDS[i] as string, features });
      });
    }
  }, 1_000);
  return {
    async stop() {
      try {
        await l.stop();
      } finally {
        dynamodb.destroy();
      }
    },
  };
}

/** Polls until `accept` holds for every card's features read with `spec`. */
async function untilCards(what: string, spec: Spec, accept: (features: Record<string, unknown>) => boolean) {
  const dynamodb = new DynamoDBClient(session.clientConfig());
  const reader = new FeatureClient({ client: dynamodb, tableName: outputs.TableName, spec });
  try {
    await until(what, async () => {
      const read = await reader.readFeatures(
        CARDS.map((card) => ({ entity: 'card', key: { card_id: card } })),
      );
      return read.every(accept) ? true : undefined;
    });
  } finally {
    dynamodb.destroy();
  }
}

/** The event ids the raw archive in S3 holds now (none while Firehose has delivered nothing). */
async function archivedIds(): Promise<Set<string>> {
  const ids = new Set<string>();
  const s3 = new S3Client({ ...session.clientConfig(), forcePathStyle: true });
  try {
    const source = await openEventSource(compileSpec(specB), `s3://${outputs.OfflineBucket}/raw/`, {
      s3: () => s3,
    });
    const taken = new Set<string>();
    let copies = 0;
    for await (const chunk of source.chunks) {
      for (const record of chunk) {
        const at = `${record.shardId}/${record.sequenceNumber}`;
        if (taken.has(at)) copies++;
        taken.add(at);
        const id = (JSON.parse(Buffer.from(record.data).toString('utf8')) as { event_id?: string }).event_id;
        if (id !== undefined) ids.add(id);
      }
    }
    // Records archived twice: the features function ran a batch again (a retry, or the deploy's switch-over).
    figures['archive redelivered copies'] = copies;
  } catch (error) {
    if (!/no Parquet files/.test((error as Error).message)) throw error;
  } finally {
    s3.destroy();
  }
  return ids;
}

async function archiveHolds(ids: readonly string[], what: string) {
  const started = performance.now();
  await until(`the raw archive to hold ${what} (${ids.length} events)`, async () => {
    const archived = await archivedIds();
    return ids.every((id) => archived.has(id)) ? true : undefined;
  });
  return (performance.now() - started) / 1000;
}

interface ParityAnswer {
  events: number;
  skew: boolean;
  online: {
    vectors: number;
    values: number;
    mismatches: number;
    byFeature: Record<string, { count: number }>;
    lag: { vectors: number };
  };
  /** Values computed under another definition than spec B's, or added and not backfilled: not compared. */
  notComparable: { online: Record<string, { anotherDefinition: number; sinceAdded: number }> };
}

/** `streamfeatures parity` of the deployed table against the raw archive in S3, with spec B. */
async function parityOnline(reportName: string) {
  const report = resolve(session.work, reportName);
  const parity = await session.streamfeatures([
    'parity',
    '--spec',
    specBFile,
    '--archive',
    `s3://${outputs.OfflineBucket}/raw/`,
    '--table',
    outputs.TableName,
    '--report',
    report,
  ]);
  expect(parity.code, `${parity.stdout}\n${parity.stderr}`).not.toBe(2);
  return { parity, answer: JSON.parse(readFileSync(report, 'utf8')) as ParityAnswer };
}

beforeAll(async () => {
  session = UserSession.open('spec-change', figures);
  specAFile = resolve(session.work, 'spec-a.json');
  specBFile = resolve(session.work, 'spec-b.json');
  writeFileSync(specAFile, JSON.stringify(specA, null, 2));
  writeFileSync(specBFile, JSON.stringify(specB, null, 2));
  await session.startLocalCloud();
  await session.bootstrap();
}, 20 * MINUTES);

afterAll(async () => {
  await producer?.stop().catch(() => {});
  await sampler?.stop().catch(() => {});
  await session?.close('spec change on the local cloud');
}, 20 * MINUTES);

describe('a spec change on the local cloud, deployed and backfilled while traffic flows', () => {
  it(
    'deploys spec A with the CDK CLI and counts the steady traffic put with the SDK',
    async () => {
      await deploy(specAFile, [], 'out-a');
      expect(outputs.TableName).toMatch(/^streamfeatures-dev-/);
      trafficStarted = Date.now();
      producer = startTraffic();
      await untilCards(
        'every card counted under spec A',
        specA,
        (f) => typeof f.card_txn_count_1h === 'number' && f.card_txn_count_1h > 0,
      );
      sampler = startSampling();
    },
    30 * MINUTES,
  );

  it(
    '`spec diff` says the added and the changed feature need a backfill (exit 3)',
    async () => {
      const diff = await session.streamfeatures(['spec', 'diff', specAFile, specBFile]);
      expect(diff.code, diff.stderr).toBe(3);
      expect(diff.stdout).toMatch(new RegExp(`features added\\s+${ADDED}`));
      expect(diff.stdout).toMatch(new RegExp(`features changed\\s+${CHANGED}`));
      expect(diff.stdout).toContain(`--features ${ADDED},${CHANGED}`);
    },
    5 * MINUTES,
  );

  it(
    'deploys spec B with the CDK CLI while the traffic flows',
    async () => {
      // The spec guard refuses a change that empties features unless the user says a backfill is planned.
      deployBStarted = Date.now();
      await deploy(specBFile, ['backfillPlanned=true'], 'out-b');
      sentBeforeDeploy = [...sent];
      // The new function counts the added feature from live traffic.
      await untilCards(
        `${ADDED} counted by the new function`,
        specB,
        (f) => typeof f[ADDED] === 'number' && f[ADDED] > 0,
      );
    },
    30 * MINUTES,
  );

  it(
    '`backfill` of the two features from the raw archive in S3, while the traffic goes on',
    async () => {
      figures['archive caught up with the deploy s'] = (
        await archiveHolds(sentBeforeDeploy, 'every event sent before the deploy')
      ).toFixed(1);
      // Before the backfill, the added and the changed feature hold only the events since the deploy, on every
      // card: parity compares like with like, so it reports them apart, not compared until backfilled.
      const before = await parityOnline('parity-before-backfill.json');
      expect(before.answer.notComparable.online[ADDED]?.sinceAdded).toBe(CARDS.length);
      expect(before.answer.notComparable.online[CHANGED]?.sinceAdded).toBe(CARDS.length);
      expect(before.answer.online.byFeature[ADDED]).toBeUndefined();
      // The table and the bucket as the runbook finds them, with the AWS CLI.
      const output = async (key: string) => {
        const query = `Stacks[0].Outputs[?OutputKey=='${key}'].OutputValue`;
        const args = ['cloudformation', 'describe-stacks', '--stack-name', STACK, '--query', query];
        return (await session.sh('describe-stacks', 'aws', [...args, '--output', 'text'])).stdout.trim();
      };
      const table = await output('TableName');
      const bucket = await output('OfflineBucket');
      expect([table, bucket]).toEqual([outputs.TableName, outputs.OfflineBucket]);
      const backfill = await session.streamfeatures([
        'backfill',
        '--spec',
        specBFile,
        '--archive',
        `s3://${bucket}/raw/`,
        '--table',
        table,
        '--features',
        `${ADDED},${CHANGED}`,
      ]);
      expect(backfill.code, `${backfill.stdout}\n${backfill.stderr}`).toBe(0);
      const line = /(\d+) events written .* (\d+) events\/s/.exec(backfill.stdout);
      expect(line, backfill.stdout).not.toBeNull();
      const written = Number(line?.[1]);
      expect(written).toBeGreaterThanOrEqual(sentBeforeDeploy.length);
      figures['backfill events written'] = written;
      figures['backfill events/s'] = Number(line?.[2]);
      // Traffic goes on a little after the backfill, then stops.
      const sentAtBackfill = sent.size;
      await until('traffic after the backfill', async () => (sent.size > sentAtBackfill ? true : undefined));
      await producer?.stop();
      producer = undefined;
      figures['events sent'] = sent.size;
    },
    30 * MINUTES,
  );

  it(
    'the kept card features never read empty and never go back, through the deploy and the backfill',
    async () => {
      // Until every sent event has been applied, so the samples span the whole run.
      await archiveHolds([...sent], 'every sent event');
      await sampler?.stop();
      sampler = undefined;
      figures['samples taken'] = samples.length;
      figures['samples after the deploy of B began'] = samples.filter((s) => s.at >= deployBStarted).length;
      expect(samples.filter((s) => s.at >= deployBStarted).length).toBeGreaterThan(0);
      expect(KEPT.length).toBe(9);
      const problems: string[] = [];
      for (const spec of ['A', 'B'] as const) {
        for (const card of CARDS) {
          const series = samples.filter((s) => s.spec === spec && s.card === card);
          let previous: Sample | undefined;
          for (const sample of series) {
            const where = `spec ${spec} card ${card} at ${new Date(sample.at).toISOString()}`;
            for (const name of KEPT) {
              const value = sample.features[name];
              if (readsEmpty(name, value)) problems.push(`${where}: ${name} read empty (${value})`);
            }
            if (previous && sample.at - trafficStarted < GROWTH_HORIZON_MS) {
              for (const name of GROWING) {
                if ((sample.features[name] as number) < (previous.features[name] as number))
                  problems.push(
                    `${where}: ${name} fell ${previous.features[name]} -> ${sample.features[name]}`,
                  );
              }
              for (const name of SHRINKING) {
                if ((sample.features[name] as number) > (previous.features[name] as number))
                  problems.push(
                    `${where}: ${name} rose ${previous.features[name]} -> ${sample.features[name]}`,
                  );
              }
            }
            previous = sample;
          }
        }
      }
      expect({ problems: problems.length, first: problems.slice(0, 20) }).toEqual({ problems: 0, first: [] });
    },
    30 * MINUTES,
  );

  it(
    '`parity` with spec B finds no skew in the online store against the archive, for old and new features',
    async () => {
      const { parity, answer } = await parityOnline('parity.json');
      figures['deploy of B to parity clean s'] = ((Date.now() - deployBStarted) / 1000).toFixed(1);
      expect(parity.code, `${parity.stdout}\n${parity.stderr}`).toBe(0);
      expect(answer.skew).toBe(false);
      // At least every sent event (a batch the function retried is archived again, and replayed as a duplicate).
      expect(answer.events).toBeGreaterThanOrEqual(sent.size);
      expect(answer.online.mismatches).toBe(0);
      expect(answer.online.lag.vectors).toBe(0);
      // Every card, merchant and card-merchant pair the traffic touched (each card meets every merchant within
      // four rounds), each with all of its features under spec B, the added and the changed one among them.
      const keys = {
        card: CARDS.length,
        merchant: MERCHANTS.length,
        card_merchant: CARDS.length * MERCHANTS.length,
      };
      const values = specB.features.reduce((sum, f) => sum + keys[f.entity as keyof typeof keys], 0);
      expect(answer.online.vectors).toBe(keys.card + keys.merchant + keys.card_merchant);
      expect(answer.online.values).toBe(values);
    },
    30 * MINUTES,
  );
});
