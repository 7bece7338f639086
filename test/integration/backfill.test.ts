/**
 * `backfill` on DynamoDB Local from a Parquet archive written by the archive writer, while live traffic under the
 * new spec keeps writing the same items: afterwards every feature of the new spec equals one clean pass of it over
 * all the traffic; a resume from the checkpoint writes nothing again, and a rerun without it changes nothing.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRawArchive } from '../../adapters/archive/archive-writer.js';
import { OnlineStore } from '../../adapters/online-store/online-store.js';
import { runBackfill } from '../../cli/backfill-command.js';
import { runCli } from '../../cli/main.js';
import {
  CleanPass,
  type CompiledSpec,
  compileSpec,
  EntityState,
  type FeatureSpec,
  type InputRecord,
  isRejection,
  parseSpec,
  parseSpecJson,
  type Spec,
  sameValue,
} from '../../core/index.js';
import { generateFraudTraffic } from '../../examples/fraud/generate.js';
import { createTestTable, type DynamoForTests, dynamoForTests } from '../support/dynamodb.js';
import { batchesOf, onShards, RECENT_START } from '../support/stream.js';

const specJsonA = parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8'));
const ADDED: FeatureSpec = {
  name: 'card_distinct_countries_24h',
  entity: 'card',
  agg: 'distinct',
  field: 'geo.country',
  window: '24h',
  tile: '1h',
};
const CHANGED = 'merchant_amount_avg_1h';
const specJsonB: Spec = parseSpec({
  ...specJsonA,
  features: [
    ...specJsonA.features.map((f) => (f.name === CHANGED ? { ...f, window: '3h', tile: '15m' } : f)),
    ADDED,
  ],
});
const specA = compileSpec(specJsonA);
const specB = compileSpec(specJsonB);
const backfilled = [ADDED.name, CHANGED];

const traffic = generateFraudTraffic({ events: 1500, seed: 5, startMs: RECENT_START });
const records = onShards(traffic.records, 2);
const byArrival = [...records].sort((a, b) => a.arrivalMs - b.arrivalMs);
const cut = (byArrival[Math.floor(byArrival.length / 2)] as InputRecord).arrivalMs;
const eraA = records.filter((r) => r.arrivalMs < cut);
const eraB = records.filter((r) => r.arrivalMs >= cut);
const readAt = Math.max(...records.map((r) => r.arrivalMs)) + 1;

let dynamo: DynamoForTests;
let dir: string;
beforeAll(async () => {
  dynamo = await dynamoForTests();
  dir = mkdtempSync(join(tmpdir(), 'backfill-'));
});
afterAll(async () => {
  await dynamo?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Every key one clean pass of `spec` over `input` holds, with its values at t. */
function cleanPass(spec: CompiledSpec, input: readonly InputRecord[], t: number) {
  const pass = new CleanPass(spec);
  const states = new Map<string, EntityState>();
  for (const record of [...input].sort((a, b) => a.arrivalMs - b.arrivalMs)) {
    const event = pass.decide(record);
    if (isRejection(event)) continue;
    spec.entities.forEach((entity, ei) => {
      const key = event.itemKeys[ei] as string;
      const state = states.get(key) ?? new EntityState(entity);
      state.apply(event);
      states.set(key, state);
    });
  }
  return [...states].map(([key, state]) => {
    const [entity, ...values] = key.split('#').map(decodeURIComponent) as [string, ...string[]];
    const fields = spec.entityByName.get(entity)?.keyFields ?? [];
    return {
      key,
      request: { entity, key: Object.fromEntries(fields.map((f, i) => [f, values[i] as string])) },
      expected: state.read(t),
    };
  });
}

async function skew(store: OnlineStore): Promise<string[]> {
  const pass = cleanPass(specB, records, readAt);
  const found: string[] = [];
  for (let i = 0; i < pass.length; i += 100) {
    const chunk = pass.slice(i, i + 100);
    const actual = await store.readFeatures(
      chunk.map((c) => c.request),
      readAt,
    );
    chunk.forEach(({ key, expected }, j) => {
      for (const [name, value] of Object.entries(expected)) {
        const got = actual[j]?.[name];
        if (!sameValue(got, value))
          found.push(`${key} ${name}: ${JSON.stringify(got)}, expected ${JSON.stringify(value)}`);
      }
    });
  }
  return found;
}

const quietIO = () => {
  const lines: string[] = [];
  return { io: { out: (t: string) => lines.push(t), err: (t: string) => lines.push(t) }, lines };
};

describe('backfill beside live traffic', () => {
  it('makes every feature of the new spec equal one clean pass, while live batches keep coming; resumes and reruns change nothing', async () => {
    const table = await createTestTable(dynamo.client);
    const live = (spec: CompiledSpec) => new OnlineStore({ client: dynamo.client, tableName: table, spec });
    const storeA = live(specA);
    for (const batch of batchesOf(eraA, 100)) expect((await storeA.applyBatch(batch)).retryFrom).toEqual([]);
    const batchesB = batchesOf(eraB, 60).sort(
      (a, b) => (a[0] as InputRecord).arrivalMs - (b[0] as InputRecord).arrivalMs,
    );
    const storeB = live(specB);
    const half = Math.floor(batchesB.length / 2);
    for (const batch of batchesB.slice(0, half))
      expect((await storeB.applyBatch(batch)).retryFrom).toEqual([]);

    // The archive holds all the traffic: some of it live traffic has not reached yet.
    const archive = join(dir, 'archive');
    writeRawArchive(archive, specJsonB, byArrival);
    const specPath = join(dir, 'spec-b.json');
    writeFileSync(specPath, JSON.stringify(specJsonB));
    const checkpoint = join(dir, 'checkpoint.json');
    const options = {
      spec: specPath,
      archive,
      table,
      features: backfilled,
      from: 0,
      checkpoint,
      clients: { dynamodb: dynamo.client, s3: () => undefined as never },
    };
    const { io } = quietIO();
    const [report] = await Promise.all([
      runBackfill(options, io),
      (async () => {
        for (const batch of batchesB.slice(half))
          expect((await storeB.applyBatch(batch)).retryFrom).toEqual([]);
      })(),
    ]);
    expect(report.records).toBe(records.length);
    expect(report.written).toBeGreaterThan(1000);
    expect(await skew(storeB)).toEqual([]);
    console.log(
      `backfill: ${report.written} events in ${report.seconds.toFixed(1)} s, ${Math.round(report.eventsPerSecond)} events/s`,
    );

    const resumed = await runBackfill(options, io);
    expect(resumed.written).toBe(0);
    expect(resumed.skipped).toBe(report.written);
    rmSync(checkpoint);
    const rerun = await runBackfill(options, io);
    expect(rerun.written).toBe(report.written);
    expect(rerun.itemsChanged).toBe(0);
    expect(await skew(storeB)).toEqual([]);
  });

  it('refuses a feature the spec does not have, naming it and the ones it has', async () => {
    const specPath = join(dir, 'spec-a.json');
    writeFileSync(specPath, JSON.stringify(specJsonA));
    const { io, lines } = quietIO();
    const code = await runCli(
      [
        'backfill',
        '--spec',
        specPath,
        '--archive',
        dir,
        '--table',
        't',
        '--features',
        'card_txn_count_10m,nope',
      ],
      io,
    );
    expect(code).toBe(2);
    expect(lines.join('')).toContain('--features names "nope", not in the spec (it has: card_txn_count_10m,');
  });

  it('refuses to resume from the checkpoint of another backfill, naming the file', async () => {
    const specPath = join(dir, 'spec-a.json');
    writeFileSync(specPath, JSON.stringify(specJsonA));
    const checkpoint = join(dir, 'other.checkpoint.json');
    writeFileSync(checkpoint, JSON.stringify({ job: 'another', done: 10, at: '2026-01-01T00:00:00Z' }));
    const { io, lines } = quietIO();
    const code = await runCli(
      ['backfill', '--spec', specPath, '--archive', dir, '--table', 't', '--checkpoint', checkpoint],
      io,
    );
    expect(code).toBe(1);
    expect(lines.join('')).toContain(`${checkpoint} is the checkpoint of another backfill`);
  });
});
