/**
 * A spec change on DynamoDB Local: traffic under spec A (the fraud spec); then spec B = A less one card feature, with
 * one card feature changed and one added, takes the rest of the traffic. The features B kept read as a clean pass
 * says at every point; the changed and added ones start empty and count B's traffic; the removed one's partials go
 * from every item B writes; a backfill from the archive, twice, makes every feature of B what one clean pass of B
 * over all the traffic says.
 */
import { readFileSync } from 'node:fs';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnlineStore } from '../../adapters/online-store/online-store.js';
import {
  CleanPass,
  type CompiledSpec,
  compileSpec,
  EntityState,
  type FeatureSpec,
  type FeatureValue,
  featureFingerprint,
  type InputRecord,
  isRejection,
  parseSpec,
  parseSpecJson,
  type Spec,
  sameValue,
  type ValidEvent,
} from '../../core/index.js';
import { generateFraudTraffic } from '../../examples/fraud/generate.js';
import { createTestTable, type DynamoForTests, dynamoForTests } from '../support/dynamodb.js';
import { batchesOf, onShards, RECENT_START } from '../support/stream.js';

const specJsonA = parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8'));
const ADDED: FeatureSpec = {
  name: 'card_txn_count_30m',
  entity: 'card',
  agg: 'count',
  window: '30m',
  tile: '5m',
};
const CHANGED = 'card_amount_sum_1h';
const REMOVED = 'card_amount_min_1h';
const specJsonB: Spec = parseSpec({
  ...specJsonA,
  features: [
    ...specJsonA.features
      .filter((f) => f.name !== REMOVED)
      .map((f) => (f.name === CHANGED ? { ...f, window: '2h' } : f)),
    ADDED,
  ],
});
const specA = compileSpec(specJsonA);
const specB = compileSpec(specJsonB);
const namesB = specJsonB.features.map((f) => f.name);
const fresh = new Set([ADDED.name, CHANGED]);
const kept = namesB.filter((name) => !fresh.has(name));

const traffic = generateFraudTraffic({ events: 800, seed: 23, startMs: RECENT_START });
const records = onShards(traffic.records, 2);
const byArrival = [...records].sort((a, b) => a.arrivalMs - b.arrivalMs);
const cut = (byArrival[Math.floor(byArrival.length / 2)] as InputRecord).arrivalMs;
const eraA = records.filter((r) => r.arrivalMs < cut);
const eraB = records.filter((r) => r.arrivalMs >= cut);
const lastArrival = (list: readonly InputRecord[]) => Math.max(...list.map((r) => r.arrivalMs));

let dynamo: DynamoForTests;
beforeAll(async () => {
  dynamo = await dynamoForTests();
});
afterAll(async () => {
  await dynamo?.stop();
});

/**
 * Every entity key the records touch, with a clean pass's values at t; with `from`, counting only the events a
 * clean pass of all the records counts that arrived at or after it.
 */
function cleanPass(spec: CompiledSpec, input: readonly InputRecord[], t: number, from?: number) {
  const states = new Map<string, EntityState>();
  for (const event of counted(spec, input)) {
    if (from !== undefined && event.alpha < from) continue;
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
    const request = { entity, key: Object.fromEntries(fields.map((f, i) => [f, values[i] as string])) };
    return { key, request, expected: state.read(t) };
  });
}

/** The differences between the store (read under spec B) and a clean pass of `spec` over `input`, for `names`. */
async function differences(
  store: OnlineStore,
  spec: CompiledSpec,
  input: readonly InputRecord[],
  names: readonly string[],
  t: number,
  options: { sample?: number; from?: number } = {},
): Promise<string[]> {
  const pass = cleanPass(spec, input, t, options.from);
  const sample = options.sample;
  const wanted =
    sample === undefined ? pass : pass.filter((_, i) => i % Math.ceil(pass.length / sample) === 0);
  const found: string[] = [];
  for (let i = 0; i < wanted.length; i += 100) {
    const chunk = wanted.slice(i, i + 100);
    const actual = await store.readFeatures(
      chunk.map((c) => c.request),
      t,
    );
    chunk.forEach(({ key, expected }, j) => {
      for (const name of names) {
        if (!(name in expected)) continue;
        const value = (actual[j] as Record<string, FeatureValue>)[name];
        if (!sameValue(value, expected[name]))
          found.push(`${key} ${name}: ${JSON.stringify(value)}, expected ${JSON.stringify(expected[name])}`);
      }
    });
  }
  return found;
}

function counted(spec: CompiledSpec, input: readonly InputRecord[]): ValidEvent[] {
  const pass = new CleanPass(spec);
  const events: ValidEvent[] = [];
  for (const record of [...input].sort((a, b) => a.arrivalMs - b.arrivalMs)) {
    const decided = pass.decide(record);
    if (!isRejection(decided)) events.push(decided);
  }
  return events;
}

describe('online store across a spec change', () => {
  it('keeps the unchanged features, starts the new and changed ones empty, drops the removed one, and backfills', async () => {
    const table = await createTestTable(dynamo.client);
    const storeA = new OnlineStore({ client: dynamo.client, tableName: table, spec: specA });
    for (const batch of batchesOf(eraA, 100)) expect((await storeA.applyBatch(batch)).retryFrom).toEqual([]);

    // Right after the deploy, before B wrote anything: kept features read as A left them, new ones empty.
    const storeB = new OnlineStore({ client: dynamo.client, tableName: table, spec: specB });
    const tA = lastArrival(eraA) + 1;
    expect(await differences(storeB, specB, eraA, kept, tA)).toEqual([]);
    const cards = cleanPass(specB, eraA, tA).filter((c) => c.request.entity === 'card');
    const atDeploy = await storeB.readFeatures(
      cards.map((c) => c.request),
      tA,
    );
    expect(cards.length).toBeGreaterThan(50);
    expect(atDeploy.filter((v) => v.card_txn_count_30m !== 0 || v[CHANGED] !== 0)).toEqual([]);

    // B's traffic, batch by batch: a sample of the kept features checked after every batch.
    const applied = [...eraA];
    const batchesB = batchesOf(eraB, 50).sort(
      (a, b) => (a[0] as InputRecord).arrivalMs - (b[0] as InputRecord).arrivalMs,
    );
    for (const batch of batchesB) {
      expect((await storeB.applyBatch(batch)).retryFrom).toEqual([]);
      applied.push(...batch);
      const t = lastArrival(applied) + 1;
      expect(await differences(storeB, specB, applied, kept, t, { sample: 25 })).toEqual([]);
    }
    const tB = lastArrival(records) + 1;
    expect(await differences(storeB, specB, records, kept, tB)).toEqual([]);
    // The new and changed features counted B's traffic only (the items they were born in had A's before).
    expect(await differences(storeB, specB, records, [...fresh], tB, { from: cut })).toEqual([]);

    // The removed feature's partials are gone from an item B wrote.
    const removedFingerprint = featureFingerprint(
      specA.entityByName.get('card')?.features.find((f) => f.feature.name === REMOVED)?.feature as never,
    );
    const touched = counted(specB, eraB)[0]?.itemKeys[0] as string;
    const item = await dynamo.client.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: touched } }, ConsistentRead: true }),
    );
    expect(item.Item?.s?.S).toContain('"v":2');
    expect(item.Item?.s?.S).not.toContain(removedFingerprint);

    // The backfill from the archive (all the traffic), in chunks; then again, as after a resume: no change.
    const archive = counted(specB, records);
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < archive.length; i += 200)
        await storeB.backfill(archive.slice(i, i + 200), [...fresh]);
      expect(await differences(storeB, specB, records, namesB, tB)).toEqual([]);
    }
  });
});
