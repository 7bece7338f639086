/**
 * The online store under `event.dedupeScope` (the fraud example's setting: card) on DynamoDB Local: id claims kept
 * in the card's item and written with its tiles, no id-ledger put; the global rule unchanged without the setting;
 * and the upgrade of a table written under the global rule.
 */
import { readFileSync } from 'node:fs';
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnlineStore } from '../../adapters/online-store/online-store.js';
import { compileSpec, type InputRecord, parseSpecJson } from '../../core/index.js';
import { createTestTable, type DynamoForTests, dynamoForTests } from '../support/dynamodb.js';
import { jsonRecord, RECENT_START } from '../support/stream.js';

const specText = readFileSync('examples/fraud/spec.json', 'utf8');
const scoped = compileSpec(parseSpecJson(specText));
const globalJson = JSON.parse(specText) as { event: Record<string, unknown> };
delete globalJson.event.dedupeScope;
const global = compileSpec(parseSpecJson(JSON.stringify(globalJson)));
const t0 = RECENT_START;

let dynamo: DynamoForTests;
beforeAll(async () => {
  dynamo = await dynamoForTests();
});
afterAll(async () => {
  await dynamo?.stop();
});

async function storeFor(spec = scoped, tableName?: string) {
  const table = tableName ?? (await createTestTable(dynamo.client));
  return { table, store: new OnlineStore({ client: dynamo.client, tableName: table, spec }) };
}

const event = (id: string, card: string, amount: number, merchant = 'm1') => ({
  event_id: id,
  ts: t0,
  card_id: card,
  merchant_id: merchant,
  amount,
  status: 'approved',
  geo: { country: 'FR' },
});

/** Counts the PutItem calls on id-ledger items while `run` runs. */
async function ledgerPutsDuring(client: DynamoDBClient, run: () => Promise<void>): Promise<number> {
  let puts = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Item?: { pk?: { S?: string } } };
      if (context.commandName === 'PutItemCommand' && input.Item?.pk?.S?.startsWith('id!')) puts++;
      return next(args);
    },
    { step: 'initialize', name: 'countLedgerPuts' },
  );
  try {
    await run();
  } finally {
    client.middlewareStack.remove('countLedgerPuts');
  }
  return puts;
}

async function read(store: OnlineStore, card: string, merchant = 'm1', t = t0 + 1_000) {
  const [c, m, cm] = await store.readFeatures(
    [
      { entity: 'card', key: { card_id: card } },
      { entity: 'merchant', key: { merchant_id: merchant } },
      { entity: 'card_merchant', key: { card_id: card, merchant_id: merchant } },
    ],
    t,
  );
  return { card: c, merchant: m, cardMerchant: cm };
}

function expectDone(result: { retryFrom: InputRecord[] }) {
  expect(result.retryFrom).toEqual([]);
}

describe('online store with event.dedupeScope on DynamoDB', () => {
  it('keeps the claims in the card item and puts no id-ledger item', async () => {
    const { store, table } = await storeFor();
    const puts = await ledgerPutsDuring(dynamo.client, async () => {
      expectDone(
        await store.applyBatch([jsonRecord(event('e-1', 'c1', 10), t0 + 100, 'shardId-000000000000', 1)]),
      );
    });
    expect(puts).toBe(0);
    const item = await dynamo.client.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: 'card#c1' } }, ConsistentRead: true }),
    );
    expect(item.Item?.c?.S).toMatch(/^0;[0-9a-z]+\.[0-9a-z]+\.[0-9a-z]+$/);
  });

  it('counts once a whole batch redelivered, with a copy of an event inside it', async () => {
    const { store, table } = await storeFor();
    const batch = [
      jsonRecord(event('e-1', 'c1', 10), t0 + 100, 'shardId-000000000000', 1),
      jsonRecord(event('e-2', 'c1', 5), t0 + 150, 'shardId-000000000000', 2),
      jsonRecord(event('e-1', 'c1', 10), t0 + 200, 'shardId-000000000000', 3),
    ];
    const first = await store.applyBatch(batch);
    expectDone(first);
    expect(first.counted.map((e) => e.id)).toEqual(['e-1', 'e-2']);
    expect(first.rejected.map((r) => r.record.sequenceNumber)).toEqual(['3']);
    // Again to this instance, then to a fresh one (another Lambda, an empty cache).
    const again = await store.applyBatch(batch);
    const fresh = await new OnlineStore({ client: dynamo.client, tableName: table, spec: scoped }).applyBatch(
      batch,
    );
    for (const result of [again, fresh]) {
      expectDone(result);
      expect(result.counted.map((e) => e.id)).toEqual(['e-1', 'e-2']);
      expect(result.rejected.map((r) => r.reason)).toEqual(['duplicate']);
    }
    const values = await read(store, 'c1');
    expect(values.card).toMatchObject({ card_txn_count_10m: 2, card_amount_sum_1h: 15 });
    expect(values.merchant).toMatchObject({ merchant_txn_count_10m: 2 });
    expect(values.cardMerchant).toMatchObject({ card_merchant_txn_count_7d: 2 });
  });

  it('skips a copy re-sent in a later batch within the horizon, and counts one re-sent past it', async () => {
    const { store } = await storeFor();
    expectDone(
      await store.applyBatch([jsonRecord(event('e-1', 'c1', 10), t0 + 100, 'shardId-000000000000', 1)]),
    );
    // Re-sent by its producer two minutes later (within the allowed lateness), in a batch of its own.
    const copy = await store.applyBatch([
      jsonRecord(event('e-1', 'c1', 99), t0 + 120_000, 'shardId-000000000000', 2),
    ]);
    expect(copy.counted).toEqual([]);
    expect(copy.rejected.map((r) => [r.reason, r.message])).toEqual([
      ['duplicate', 'event id "e-1" was already counted'],
    ]);
    expect((await read(store, 'c1')).merchant).toMatchObject({ merchant_txn_count_10m: 1 });

    const pastHorizon = t0 + 100 + scoped.dedupeHorizonMs + 1;
    // Its event time is its arrival, so it is timely: a transaction again, a day later.
    const late = jsonRecord(
      { ...event('e-1', 'c1', 7), ts: pastHorizon },
      pastHorizon,
      'shardId-000000000000',
      3,
    );
    const result = await store.applyBatch([late]);
    expect(result.counted.map((e) => e.id)).toEqual(['e-1']);
    const [card] = await store.readFeatures([{ entity: 'card', key: { card_id: 'c1' } }], pastHorizon + 1);
    expect(card).toMatchObject({ card_txn_count_10m: 1, card_amount_sum_1h: 7 });
  });

  it('counts an id sent with two different cards twice, once under the global rule', async () => {
    const records = [
      jsonRecord(event('e-1', 'c1', 10), t0 + 100, 'shardId-000000000000', 1),
      jsonRecord(event('e-1', 'c2', 10), t0 + 200, 'shardId-000000000001', 1),
    ];
    const { store } = await storeFor(scoped);
    for (const record of records) expectDone(await store.applyBatch([record]));
    expect((await read(store, 'c2')).merchant).toMatchObject({ merchant_txn_count_10m: 2 });

    const { store: plain } = await storeFor(global);
    const puts = await ledgerPutsDuring(dynamo.client, async () => {
      for (const record of records) expectDone(await plain.applyBatch([record]));
    });
    expect(puts).toBe(2);
    const values = await read(plain, 'c2');
    expect(values.merchant).toMatchObject({ merchant_txn_count_10m: 1 });
    expect(values.card).toMatchObject({ card_txn_count_10m: 0 });
  });

  it('after the upgrade from the global rule, honours ledger claims and counts no redelivered duplicate twice', async () => {
    // Before: the global rule. e-1 counted; its copy (record 2) a duplicate; record 3 (e-3) counted after it.
    const shard = 'shardId-000000000000';
    const before = [
      jsonRecord(event('e-1', 'c1', 10), t0 + 100, shard, 1),
      jsonRecord(event('e-1', 'c1', 10), t0 + 150, shard, 2),
      jsonRecord(event('e-3', 'c9', 1, 'm2'), t0 + 160, shard, 3),
    ];
    const { store: old, table } = await storeFor(global);
    expectDone(await old.applyBatch(before));

    // After: the scoped rule on the same table. The batch comes again (its response was lost), then a copy.
    const { store } = await storeFor(scoped, table);
    const redelivered = await store.applyBatch(before);
    expectDone(redelivered);
    expect(redelivered.counted.map((e) => e.record.sequenceNumber)).toEqual(['1', '3']);
    expect(redelivered.rejected.map((r) => r.record.sequenceNumber)).toEqual(['2']);
    const copy = await store.applyBatch([jsonRecord(event('e-1', 'c1', 10), t0 + 300, shard, 4)]);
    expect(copy.rejected.map((r) => r.reason)).toEqual(['duplicate']);

    const values = await read(store, 'c1');
    expect(values.card).toMatchObject({ card_txn_count_10m: 1, card_amount_sum_1h: 10 });
    expect(values.merchant).toMatchObject({ merchant_txn_count_10m: 1 });
    expect(values.cardMerchant).toMatchObject({ card_merchant_txn_count_7d: 1 });
  });

  it('after a card write fails, the shard retries from its first record and counts each event once', async () => {
    const { store } = await storeFor();
    const shard = 'shardId-000000000000';
    const batch = [
      jsonRecord(event('e-1', 'c1', 10), t0 + 100, shard, 1),
      jsonRecord(event('e-2', 'c2', 20), t0 + 110, shard, 2),
      jsonRecord(event('e-1', 'c1', 10), t0 + 120, shard, 3),
      jsonRecord(event('e-4', 'c1', 40), t0 + 130, shard, 4),
    ];
    let failed = 0;
    dynamo.client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Item?: { pk?: { S?: string } } };
        if (context.commandName === 'PutItemCommand' && input.Item?.pk?.S === 'card#c2' && failed++ === 0)
          throw new Error('simulated crash');
        return next(args);
      },
      { step: 'initialize', name: 'failCardPut' },
    );
    const crashed = await store
      .applyBatch(batch)
      .finally(() => dynamo.client.middlewareStack.remove('failCardPut'));
    expect(crashed.retryFrom.map((r) => r.sequenceNumber)).toEqual(['2']);
    expect(crashed.counted.map((e) => e.record.sequenceNumber)).toEqual(['1']);
    const retried = await store.applyBatch(batch.slice(1));
    expectDone(retried);
    expect(retried.counted.map((e) => e.record.sequenceNumber)).toEqual(['2', '4']);
    expect(retried.rejected.map((r) => r.record.sequenceNumber)).toEqual(['3']);
    expect((await read(store, 'c1')).merchant).toMatchObject({ merchant_txn_count_10m: 3 });
    expect((await read(store, 'c1')).card).toMatchObject({ card_txn_count_10m: 2, card_amount_sum_1h: 50 });
  });
});
