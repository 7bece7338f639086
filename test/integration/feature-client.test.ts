import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureClient, FeatureRequestError } from '../../adapters/feature-client.js';
import { OnlineStore } from '../../adapters/online-store/online-store.js';
import { compileSpec, defineSpec, MemoryEngine, parseSpecJson } from '../../core/index.js';
import { generateFraudTraffic } from '../../examples/fraud/generate.js';
import { runCli } from '../support/cli.js';
import { createTestTable, type DynamoForTests, dynamoForTests } from '../support/dynamodb.js';
import { batchesOf, onShards, RECENT_START } from '../support/stream.js';

const SPEC = 'examples/fraud/spec.json';
const spec = compileSpec(parseSpecJson(readFileSync(SPEC, 'utf8')));
const traffic = generateFraudTraffic({ events: 500, seed: 23, startMs: RECENT_START });
const records = onShards(traffic.records, 2);
const readAt = Math.max(...records.map((r) => r.arrivalMs)) + 1;
const decoder = new TextDecoder();

/** The busiest card of the traffic with a merchant it used: keys whose features are not all empty. */
function busyKeys() {
  const uses = new Map<string, { n: number; merchant: string }>();
  for (const record of traffic.records) {
    try {
      const body = JSON.parse(decoder.decode(record.data)) as Record<string, unknown>;
      if (typeof body.card_id !== 'string' || typeof body.merchant_id !== 'string') continue;
      const entry = uses.get(body.card_id) ?? { n: 0, merchant: body.merchant_id };
      entry.n++;
      uses.set(body.card_id, entry);
    } catch {}
  }
  const [card, { merchant }] = [...uses.entries()].sort((a, b) => b[1].n - a[1].n)[0] as [
    string,
    { n: number; merchant: string },
  ];
  return { card, merchant };
}

const engine = new MemoryEngine(spec);
for (const batch of batchesOf(records, 100)) engine.ingest(batch);
const { card, merchant } = busyKeys();

let dynamo: DynamoForTests;
let table: string;
beforeAll(async () => {
  dynamo = await dynamoForTests();
  table = await createTestTable(dynamo.client);
  const store = new OnlineStore({ client: dynamo.client, tableName: table, spec });
  for (const batch of batchesOf(records, 100)) expect((await store.applyBatch(batch)).retryFrom).toEqual([]);
});
afterAll(async () => {
  await dynamo?.stop();
});

function expectSameFeatures(actual: Record<string, unknown>, expected: Record<string, unknown>) {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [name, value] of Object.entries(expected)) {
    if (typeof value === 'number') expect(actual[name], name).toBeCloseTo(value, 6);
    else expect(actual[name], name).toEqual(value);
  }
}

describe('FeatureClient', () => {
  it('answers the engine values of several entities at once, as of a time', async () => {
    const client = new FeatureClient({ spec: spec.spec, tableName: table, client: dynamo.client });
    const got = await client.get(
      { card: { card_id: card }, merchant: { merchant_id: merchant } },
      { at: new Date(readAt) },
    );
    expect(Object.keys(got).sort()).toEqual(['card', 'merchant']);
    expectSameFeatures(got.card, engine.read('card', { card_id: card }, readAt));
    expectSameFeatures(got.merchant, engine.read('merchant', { merchant_id: merchant }, readAt));
    expect(got.card.card_txn_count_10m).toBeGreaterThan(0);
  });

  it('takes a builder spec and an ISO time, and reads empty windows for an unseen key', async () => {
    const builder = defineSpec('fraud', { timeField: 'ts', idField: 'event_id' })
      .entity('card', 'card_id')
      .count('card_txn_count_10m', { entity: 'card', window: '10m', tile: '1m' });
    const client = new FeatureClient({ spec: builder, tableName: table, client: dynamo.client });
    const { card: unseen } = await client.get(
      { card: { card_id: 'never-seen' } },
      { at: new Date(readAt).toISOString() },
    );
    expect(unseen).toEqual({ card_txn_count_10m: 0 });
  });

  it('fails before reading, naming every bad entity, key field and time', async () => {
    const client = new FeatureClient({ spec, tableName: table, client: dynamo.client });
    const error = await client
      .get({ cardd: { card_id: 'c1' }, card_merchant: { card_id: 'c1', mid: 'm1' } } as never)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FeatureRequestError);
    expect((error as FeatureRequestError).problems).toEqual([
      'unknown entity "cardd" (the spec has: card, merchant, card_merchant)',
      'card_merchant.merchant_id: missing (the key of "card_merchant" is card_id, merchant_id)',
      'card_merchant.mid: not a key field of "card_merchant" (its key is card_id, merchant_id)',
    ]);
    await expect(client.get({ card: { card_id: 'c1' } }, { at: 'noon' })).rejects.toThrow(
      'at: must be epoch ms, an ISO-8601 time with a zone or a Date (got "noon")',
    );
  });
});

describe('streamfeatures features get', () => {
  const env = () => ({
    ...process.env,
    AWS_ENDPOINT_URL: dynamo.endpoint,
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
  });

  it('prints the engine values of every entity asked, as JSON', async () => {
    const result = await runCli(
      [
        ...['features', 'get', '--spec', SPEC, '--table', table, '--at', String(readAt)],
        ...['--entity', 'card', '--key', `card_id=${card}`],
        ...['--entity', 'card_merchant', '--key', `card_id=${card}`, '--key', `merchant_id=${merchant}`],
        ...['--entity', 'merchant', '--key', `merchant_id=${merchant}`],
      ],
      env(),
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const answer = JSON.parse(result.stdout) as {
      t: number;
      entities: { entity: string; key: Record<string, string>; features: Record<string, unknown> }[];
    };
    expect(answer.t).toBe(readAt);
    expect(answer.entities.map(({ entity, key }) => ({ entity, key }))).toEqual([
      { entity: 'card', key: { card_id: card } },
      { entity: 'card_merchant', key: { card_id: card, merchant_id: merchant } },
      { entity: 'merchant', key: { merchant_id: merchant } },
    ]);
    for (const { entity, key, features } of answer.entities)
      expectSameFeatures(features, engine.read(entity, key, readAt));
  });

  it('fails with exit 2 naming a bad entity or key, before any read', async () => {
    const result = await runCli(
      [
        ...['features', 'get', '--spec', SPEC, '--table', table],
        ...['--entity', 'card', '--key', 'card=c1', '--entity', 'shop', '--key', 'shop_id=s1'],
      ],
      env(),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('card.card_id: missing (the key of "card" is card_id)');
    expect(result.stderr).toContain('unknown entity "shop"');
    const orphan = await runCli(['features', 'get', '--spec', SPEC, '--table', table, '--key', 'card_id=c1']);
    expect(orphan.code).toBe(2);
    expect(orphan.stderr).toContain('--entity');
  });

  it('names the table when it cannot be read', async () => {
    const result = await runCli(
      [
        ...['features', 'get', '--spec', SPEC, '--table', 'no-such-table'],
        ...['--entity', 'card', '--key', 'card_id=c1'],
      ],
      env(),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot read table "no-such-table": ResourceNotFoundException');
  });
});
