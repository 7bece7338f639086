import { readFileSync } from 'node:fs';
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbClient } from '../../adapters/dynamodb-client.js';
import { OnlineStore } from '../../adapters/online-store/online-store.js';
import {
  compileSpec,
  type FeatureValue,
  type InputRecord,
  MemoryEngine,
  parseSpecJson,
} from '../../core/index.js';
import { generateFraudTraffic } from '../../examples/fraud/generate.js';
import { createTestTable, type DynamoForTests, dynamoForTests } from '../support/dynamodb.js';
import { batchesOf, jsonRecord, onShards, RECENT_START } from '../support/stream.js';

const spec = compileSpec(parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8')));
const traffic = generateFraudTraffic({ events: 800, seed: 11, startMs: RECENT_START });
const records = onShards(traffic.records, 2);
const readAt = Math.max(...records.map((r) => r.arrivalMs)) + 1;

let dynamo: DynamoForTests;
beforeAll(async () => {
  dynamo = await dynamoForTests();
});
afterAll(async () => {
  await dynamo?.stop();
});

async function freshStore(client: DynamoDBClient = dynamo.client, tableName?: string) {
  const table = tableName ?? (await createTestTable(dynamo.client));
  return { table, store: new OnlineStore({ client, tableName: table, spec }) };
}

/** Every entity key the records touch, with what a single clean in-memory pass says at `t`. */
function cleanPass(input: readonly InputRecord[], t: number) {
  const engine = new MemoryEngine(spec);
  for (const batch of batchesOf(input, 100)) engine.ingest(batch);
  const requests: { entity: string; key: Record<string, string> }[] = [];
  const expected: Record<string, FeatureValue>[] = [];
  for (const key of engine.states.keys()) {
    const [entity, ...values] = key.split('#').map(decodeURIComponent) as [string, ...string[]];
    const fields = spec.entityByName.get(entity)?.keyFields ?? [];
    const request = { entity, key: Object.fromEntries(fields.map((f, i) => [f, values[i] as string])) };
    requests.push(request);
    expected.push(engine.read(request.entity, request.key, t));
  }
  return { requests, expected, totals: engine.totals };
}

async function expectStoreEquals(store: OnlineStore, input: readonly InputRecord[], t = readAt) {
  const { requests, expected } = cleanPass(input, t);
  const actual: Record<string, FeatureValue>[] = [];
  for (let i = 0; i < requests.length; i += 100)
    actual.push(...(await store.readFeatures(requests.slice(i, i + 100), t)));
  expect(actual.length).toBe(expected.length);
  actual.forEach((values, i) => {
    for (const [name, value] of Object.entries(expected[i] as object)) {
      if (typeof value === 'number')
        expect(values[name], `${name} of ${JSON.stringify(requests[i])}`).toBeCloseTo(value, 6);
      else expect(values[name], `${name} of ${JSON.stringify(requests[i])}`).toEqual(value);
    }
  });
}

// Shards 0 and 4 write the same writer slot (writer-slots.ts), so both write each merchant's one item.
const sharing = records.map((r) => ({
  ...r,
  shardId: r.shardId === records[0]?.shardId ? 'shardId-000000000000' : 'shardId-000000000004',
}));

/** Two writers, one a shard of `sharing`, applying their batches at the same time: they race on the merchants. */
function raceOnSharedItems(a: OnlineStore, b: OnlineStore) {
  const byShard = batchesOf(sharing, 100);
  return Promise.all([
    applyAll(
      a,
      byShard.filter((batch) => batch[0]?.shardId === sharing[0]?.shardId),
    ),
    applyAll(
      b,
      byShard.filter((batch) => batch[0]?.shardId !== sharing[0]?.shardId),
    ),
  ]);
}

/** Counts the calls `client` sees refused by their condition, until `remove`. */
function countConflicts(client: DynamoDBClient) {
  const counter = { count: 0, remove: () => client.middlewareStack.remove('countConflicts') };
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if ((error as Error).name === 'ConditionalCheckFailedException') counter.count++;
        throw error;
      }
    },
    { step: 'initialize', name: 'countConflicts' },
  );
  return counter;
}

/** Fails DynamoDB calls that `shouldFail` picks, as a crash or a throttle would, before they reach the table. */
function failing(
  client: DynamoDBClient,
  shouldFail: (command: string, input: Record<string, unknown>) => Error | undefined,
) {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const error = shouldFail(context.commandName as string, args.input as Record<string, unknown>);
      if (error) throw error;
      return next(args);
    },
    { step: 'initialize', name: 'injectFailures' },
  );
  return () => client.middlewareStack.remove('injectFailures');
}

const isTilePut = (command: string, input: Record<string, unknown>) =>
  command === 'PutItemCommand' && !String((input.Item as { pk: { S: string } }).pk.S).startsWith('id!');

async function applyAll(store: OnlineStore, batches: readonly InputRecord[][]) {
  for (const batch of batches) {
    const result = await store.applyBatch(batch);
    expect(result.retryFrom).toEqual([]);
  }
}

describe('online store on DynamoDB', () => {
  it('equals a clean in-memory pass of the engine', async () => {
    const { store } = await freshStore();
    await applyAll(store, batchesOf(records, 100));
    await expectStoreEquals(store, records);
  });

  it('writes blind once most uncached items prove new, and still equals a clean pass', async () => {
    const { store } = await freshStore();
    let reads = 0;
    dynamo.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'BatchGetItemCommand') reads++;
        return next(args);
      },
      { step: 'initialize', name: 'countReads' },
    );
    const batches = batchesOf(records, 50);
    await applyAll(store, batches).finally(() => dynamo.client.middlewareStack.remove('countReads'));
    // Fresh traffic: nearly every item is new, so after the first batches the store stops reading before writing.
    expect(reads).toBeLessThan(batches.length / 2);
    await expectStoreEquals(store, records);
  });

  it('goes back to reading first once blind writes find that the items exist', async () => {
    // A cache that holds one batch's items, not the traffic's: items come back to it uncached, so each batch
    // either reads them first or writes them blind.
    const table = await createTestTable(dynamo.client);
    const store = new OnlineStore({ client: dynamo.client, tableName: table, spec, cacheItems: 300 });
    const calls = { reads: 0, tilePuts: 0, refusedTilePuts: 0 };
    dynamo.client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = context.commandName as string;
        const tilePut = isTilePut(command, args.input as Record<string, unknown>);
        if (command === 'BatchGetItemCommand') calls.reads++;
        if (tilePut) calls.tilePuts++;
        try {
          return await next(args);
        } catch (error) {
          if ((error as Error).name === 'ConditionalCheckFailedException' && tilePut) calls.refusedTilePuts++;
          throw error;
        }
      },
      { step: 'initialize', name: 'countCalls' },
    );
    try {
      // New traffic: the items prove new, and the store stops reading before writing.
      await applyAll(store, batchesOf(records, 50));
      // The same keys again (new event ids, later records of the same shards): now every item exists.
      const again = records.map((record) => {
        const body = JSON.parse(new TextDecoder().decode(record.data)) as Record<string, unknown>;
        const data =
          typeof body.event_id === 'string'
            ? new TextEncoder().encode(JSON.stringify({ ...body, event_id: `${body.event_id}-again` }))
            : record.data;
        return {
          ...record,
          data,
          arrivalMs: record.arrivalMs + 1,
          sequenceNumber: (BigInt(record.sequenceNumber) + 10n ** 9n).toString(),
        };
      });
      const batches = batchesOf(again, 50);
      Object.assign(calls, { reads: 0, tilePuts: 0, refusedTilePuts: 0 });
      await applyAll(store, batches);
      // It learns from the refused blind creates and reads first again for most batches; stuck blind, it would
      // read none and have about every item's put refused.
      expect(calls.reads).toBeGreaterThan(batches.length / 2);
      expect(calls.refusedTilePuts).toBeLessThan(calls.tilePuts / 4);
      await expectStoreEquals(store, [...records, ...again]);
    } finally {
      dynamo.client.middlewareStack.remove('countCalls');
    }
  });

  it('applying the same batches twice changes no value', async () => {
    const { store, table } = await freshStore();
    const batches = batchesOf(records, 100);
    await applyAll(store, batches);
    await applyAll(store, batches);
    // A new instance with an empty cache (another Lambda) redelivers too.
    await applyAll(new OnlineStore({ client: dynamo.client, tableName: table, spec }), batches);
    await expectStoreEquals(store, records);
  });

  it('a crash after k of n item writes, then redelivery, counts every event once', async () => {
    const { store, table } = await freshStore();
    const batches = batchesOf(records, 250);
    const [first, ...rest] = batches as [InputRecord[], ...InputRecord[][]];
    let puts = 0;
    const heal = failing(dynamo.client, (command, input) =>
      isTilePut(command, input) && ++puts > 40 ? new Error('simulated crash') : undefined,
    );
    const crashed = await store.applyBatch(first).finally(heal);
    expect(crashed.retryFrom.length).toBeGreaterThan(0);
    // The whole batch comes again, to a fresh instance, as after a crash.
    const redelivered = new OnlineStore({ client: dynamo.client, tableName: table, spec });
    await applyAll(redelivered, [first, ...rest]);
    await expectStoreEquals(redelivered, records);
  });

  it('a throttle mid-batch, then redelivery from the reported record, loses and doubles nothing', async () => {
    const { store } = await freshStore();
    const shard = records.filter((r) => r.shardId === records[0]?.shardId);
    let puts = 0;
    const heal = failing(dynamo.client, (command, input) => {
      if (!isTilePut(command, input) || ++puts % 7 !== 0) return undefined;
      return Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
        name: 'ThrottlingException',
        $metadata: {},
        $retryable: undefined,
      });
    });
    // Like the event-source mapping with ReportBatchItemFailures: retry from the first failed record, with
    // the batch then filled up with later records.
    let start = 0;
    let rounds = 0;
    try {
      while (start < shard.length) {
        const batch = shard.slice(start, start + 200);
        const result = await store.applyBatch(batch);
        const retry = result.retryFrom[0];
        start = retry ? shard.indexOf(retry) : start + batch.length;
        if (++rounds > 100) throw new Error(`no progress after ${rounds} rounds`);
      }
    } finally {
      heal();
    }
    expect(rounds).toBeGreaterThan(Math.ceil(shard.length / 200));
    await expectStoreEquals(store, shard);
  });

  it('two writers on different shards updating the same items lose no update', async () => {
    const { store: a, table } = await freshStore();
    const b = new OnlineStore({ client: dynamo.client, tableName: table, spec });
    const conflicts = countConflicts(dynamo.client);
    await raceOnSharedItems(a, b).finally(() => conflicts.remove());
    // Merchants are shared by both shards, so the writers did race; the version condition made them retry.
    expect(conflicts.count).toBeGreaterThan(0);
    await expectStoreEquals(a, sharing);
  });

  it("two writers sharing the product's client (middleware resolved once) lose no update either", async () => {
    const client = createDynamoDbClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    // Before the client's first call: it resolves its middleware once, on that call.
    const conflicts = countConflicts(client);
    const { store: a, table } = await freshStore(client);
    const b = new OnlineStore({ client, tableName: table, spec });
    await raceOnSharedItems(a, b).finally(() => client.destroy());
    expect(conflicts.count).toBeGreaterThan(0);
    await expectStoreEquals(new OnlineStore({ client: dynamo.client, tableName: table, spec }), sharing);
  });

  it('a redelivered batch that overlaps an applied one in part applies only the rest', async () => {
    const { store } = await freshStore();
    const shard = records.filter((r) => r.shardId === records[0]?.shardId);
    await applyAll(store, [shard.slice(0, 300)]);
    await applyAll(store, [shard.slice(150, 450)]);
    await applyAll(store, [shard.slice(0, shard.length)]);
    await expectStoreEquals(store, shard);
  });

  it('dedupes an event id across batches and shards within the horizon; first arrival wins', async () => {
    const { store } = await freshStore();
    const t0 = RECENT_START;
    const event = (amount: number) => ({
      event_id: 'e-1',
      ts: t0,
      card_id: 'c1',
      merchant_id: 'm1',
      amount,
      status: 'approved',
      geo: { country: 'FR' },
    });
    const first = await store.applyBatch([jsonRecord(event(10), t0 + 100, 'shard-a', 1)]);
    const again = await store.applyBatch([jsonRecord(event(99), t0 + 200, 'shard-b', 1)]);
    const redelivered = await store.applyBatch([jsonRecord(event(10), t0 + 100, 'shard-a', 1)]);
    expect(first.counted).toHaveLength(1);
    expect(again.rejected.map((r) => [r.reason, r.message])).toEqual([
      ['duplicate', 'event id "e-1" was already counted'],
    ]);
    expect(redelivered.counted).toHaveLength(1);
    const [card] = await store.readFeatures([{ entity: 'card', key: { card_id: 'c1' } }], t0 + 1_000);
    expect(card).toMatchObject({ card_txn_count_10m: 1, card_amount_sum_1h: 10, card_last_country_7d: 'FR' });
  });

  it('reads the feature vector of several entities in one round trip', async () => {
    const { store } = await freshStore();
    await applyAll(store, batchesOf(records, 500));
    const before = store.meter.snapshot();
    const vector = await store.readFeatures(
      [
        { entity: 'card', key: { card_id: 'c1' } },
        { entity: 'merchant', key: { merchant_id: 'm1' } },
        { entity: 'card_merchant', key: { card_id: 'c1', merchant_id: 'm1' } },
      ],
      readAt,
    );
    expect(store.meter.requests - before.requests).toBe(1);
    expect(vector).toHaveLength(3);
    expect(Object.keys(vector[0] as object)).toContain('card_amount_stddev_7d');
  });

  it('answers an entity key it never saw with empty values, and sets each item to expire after its windows', async () => {
    const { store, table } = await freshStore();
    const [empty] = await store.readFeatures([{ entity: 'card', key: { card_id: 'never' } }], readAt);
    expect(empty).toMatchObject({
      card_txn_count_10m: 0,
      card_distinct_merchants_24h: 0,
      card_amount_avg_24h: null,
    });

    const t0 = RECENT_START;
    const body = {
      event_id: 'x',
      ts: t0,
      card_id: 'c9',
      merchant_id: 'm9',
      amount: 1,
      status: 'ok',
      geo: { country: 'FR' },
    };
    await store.applyBatch([jsonRecord(body, t0 + 50, 'shard-a', 1)]);
    const { Item } = await dynamo.client.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: 'card#c9' } } }),
    );
    const longestWindowPlusLatenessAndSkew = 7 * 86_400_000 + 5 * 60_000 + 60_000;
    expect(Number(Item?.x?.N)).toBe(Math.ceil((t0 + 50 + longestWindowPlusLatenessAndSkew) / 1000) + 3600);
  });

  it('refuses a read for an unknown entity or an incomplete key, naming it', async () => {
    const { store } = await freshStore();
    await expect(store.readFeatures([{ entity: 'user', key: {} }])).rejects.toThrow('unknown entity "user"');
    await expect(store.readFeatures([{ entity: 'card_merchant', key: { card_id: 'c1' } }])).rejects.toThrow(
      'needs field "merchant_id"',
    );
  });
});
