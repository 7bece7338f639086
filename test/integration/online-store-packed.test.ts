/**
 * Packed online-store items on DynamoDB Local (tile-item.ts): billed by their stored bytes, items written plain
 * before packing read as they were and are rewritten packed, id claims kept in the packed value still decide
 * redeliveries and duplicates, and the size guard judges the item as stored.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type AttributeValue, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapacityMeter } from '../../adapters/online-store/capacity.js';
import { itemBytes, writeUnitsOf } from '../../adapters/online-store/item-bytes.js';
import { ItemCache } from '../../adapters/online-store/item-cache.js';
import { MAX_ITEM_BYTES, writeItem } from '../../adapters/online-store/item-writer.js';
import { OnlineStore } from '../../adapters/online-store/online-store.js';
import { fromAttributes, PACKED_MARK, payloadOf } from '../../adapters/online-store/tile-item.js';
import {
  compileSpec,
  type EntityState,
  entityNamed,
  type InputRecord,
  MemoryEngine,
  parseSpecJson,
} from '../../core/index.js';
import { createTestTable, type DynamoForTests, dynamoForTests } from '../support/dynamodb.js';
import { jsonRecord, RECENT_START } from '../support/stream.js';

const spec = compileSpec(parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8')));
const SHARD = 'shardId-000000000000';

let dynamo: DynamoForTests;
beforeAll(async () => {
  dynamo = await dynamoForTests();
}, 120_000);
afterAll(async () => {
  await dynamo?.stop();
});

/** A card's transactions an hour apart, each at another merchant: its item passes 1 KB plain after a few dozen. */
function transactions(count: number, card = 'c1'): InputRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const ts = RECENT_START - (count - i) * 3_600_000;
    return jsonRecord(
      {
        event_id: `${card}-e${i}`,
        ts,
        card_id: card,
        merchant_id: `m${i}`,
        amount: 10 + i * 1.37,
        status: 'approved',
        geo: { country: i % 2 ? 'FR' : 'DE' },
      },
      ts + 50,
      SHARD,
      1000 + i,
    );
  });
}

const cardKey = (card: string) => [{ entity: 'card', key: { card_id: card } }];

async function storedItem(table: string, pk: string) {
  const response = await dynamo.client.send(
    new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }),
  );
  return response.Item ?? {};
}

/** A packed item as the store wrote items before packing: tiles in `s`, watermarks in `w`, claims in `c`. */
function plainOf(packed: Record<string, AttributeValue>): Record<string, AttributeValue> {
  const { state, marks, claims } = payloadOf(packed.pk?.S ?? '', packed);
  const { z: _z, ...rest } = packed;
  return {
    ...rest,
    s: { S: state },
    w: { M: Object.fromEntries(marks.map(([shard, mark]) => [shard, { S: mark }])) },
    ...(claims === undefined ? {} : { c: { S: claims } }),
  };
}

function expected(records: readonly InputRecord[], t: number) {
  const engine = new MemoryEngine(spec);
  engine.ingest(records);
  return engine.read('card', { card_id: 'c1' }, t);
}

describe('packed online-store items on DynamoDB', () => {
  it('is billed by its stored bytes: a packed item costs fewer write units than the same item plain', async () => {
    const table = await createTestTable(dynamo.client);
    const store = new OnlineStore({ client: dynamo.client, tableName: table, spec });
    expect((await store.applyBatch(transactions(40))).retryFrom).toEqual([]);
    const packed = await storedItem(table, 'card#c1');
    expect(packed.s?.S).toBe(PACKED_MARK);
    const plain = { ...plainOf(packed), pk: { S: 'card#c2' } };
    const units = [];
    for (const item of [packed, plain]) {
      const response = await dynamo.client.send(
        new PutItemCommand({ TableName: table, Item: item, ReturnConsumedCapacity: 'TOTAL' }),
      );
      expect(response.ConsumedCapacity?.CapacityUnits).toBe(writeUnitsOf(itemBytes(item)));
      units.push(response.ConsumedCapacity?.CapacityUnits ?? 0);
    }
    expect(units[0]).toBeLessThan(units[1] as number);
  });

  it('reads an item written plain before packing as it was, and rewrites it packed on its next write', async () => {
    const table = await createTestTable(dynamo.client);
    const records = transactions(40);
    const t = RECENT_START;
    const first = new OnlineStore({ client: dynamo.client, tableName: table, spec });
    expect((await first.applyBatch(records.slice(0, 39))).retryFrom).toEqual([]);
    // The item as the store wrote it before packing: tiles in `s`, claims in `c`, no `z`.
    const written = await storedItem(table, 'card#c1');
    expect(written.z?.B).toBeDefined();
    await dynamo.client.send(new PutItemCommand({ TableName: table, Item: plainOf(written) }));
    expect((await storedItem(table, 'card#c1')).z).toBeUndefined();

    const second = new OnlineStore({ client: dynamo.client, tableName: table, spec });
    expect(await second.readFeatures(cardKey('c1'), t)).toEqual([expected(records.slice(0, 39), t)]);
    expect((await second.applyBatch(records.slice(39))).retryFrom).toEqual([]);
    const rewritten = await storedItem(table, 'card#c1');
    expect(rewritten.s?.S).toBe(PACKED_MARK);
    expect(rewritten.c).toBeUndefined();
    expect(rewritten.w).toBeUndefined();
    expect(Number(rewritten.v?.N)).toBe(Number(written.v?.N) + 1);
    expect(await second.readFeatures(cardKey('c1'), t)).toEqual([expected(records, t)]);
  });

  it('decides a redelivered record and a copy of an event against the claims packed in the item', async () => {
    const table = await createTestTable(dynamo.client);
    const records = transactions(40);
    const store = new OnlineStore({ client: dynamo.client, tableName: table, spec });
    expect((await store.applyBatch(records)).retryFrom).toEqual([]);
    expect((await storedItem(table, 'card#c1')).z?.B).toBeDefined();
    // A fresh store (no cache): it learns what counted from the packed item alone.
    const again = new OnlineStore({ client: dynamo.client, tableName: table, spec });
    const last = records[39] as InputRecord;
    const copy = { ...last, sequenceNumber: '5000' };
    const result = await again.applyBatch([last, copy]);
    expect(result.retryFrom).toEqual([]);
    expect(result.counted.map((event) => event.record.sequenceNumber)).toEqual([last.sequenceNumber]);
    expect(result.rejected.map((rejection) => rejection.reason)).toEqual(['duplicate']);
    expect(await again.readFeatures(cardKey('c1'), RECENT_START)).toEqual([expected(records, RECENT_START)]);
  });

  it('judges the item size guard on the item as stored: large but packable passes, past the limit packed fails naming the key', async () => {
    const table = await createTestTable(dynamo.client);
    const options = {
      client: dynamo.client,
      tableName: table,
      spec,
      cache: new ItemCache(10),
      meter: new CapacityMeter(),
      watermarkRetentionMs: 86_400_000,
    };
    const change = (key: string, claims: string) => ({
      key,
      entity: entityNamed(spec, 'card'),
      pending: () => true,
      apply: (state: EntityState) => {
        state.maxArrival = RECENT_START; // what the item's expiry counts from
        return { watermarks: new Map(), claims };
      },
    });
    const packable = 'x'.repeat(MAX_ITEM_BYTES + 100_000);
    expect((await writeItem(options, change('card#big', packable))).applied).toBe(true);
    expect(fromAttributes(await storedItem(table, 'card#big')).claims).toBe(packable);

    const noise = randomBytes(MAX_ITEM_BYTES).toString('base64');
    await expect(writeItem(options, change('card#noise', noise))).rejects.toThrow(
      /online-store item card#noise would take \d+ bytes as stored .* over 408576/,
    );
    expect(await storedItem(table, 'card#noise')).toEqual({});
  });
});
