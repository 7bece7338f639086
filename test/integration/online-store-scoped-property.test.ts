/**
 * Under `event.dedupeScope`, the online store on DynamoDB Local answers what the replay's engine answers: random
 * traffic on two shards (partitioned by card) with producer copies of events (the same card, or another card
 * under the same id), copies re-sent in later batches and past the dedupe horizon, cut into batches of random
 * sizes, with whole batches redelivered at random and card writes failing at random (the shard then retries from
 * the record it was told to). At the end every key reads what one clean in-memory pass over the records says.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnlineStore } from '../../adapters/online-store/online-store.js';
import {
  compileSpec,
  type FeatureValue,
  type InputRecord,
  MemoryEngine,
  parseSpec,
  sameValue,
} from '../../core/index.js';
import { createTestTable, type DynamoForTests, dynamoForTests } from '../support/dynamodb.js';

const spec = compileSpec(
  parseSpec({
    version: 1,
    name: 'scoped_property',
    event: { timeField: 'ts', idField: 'id', dedupeHorizon: '20s', dedupeScope: 'card' },
    entities: { card: ['card'], merchant: ['merchant'], card_merchant: ['card', 'merchant'] },
    features: [
      { name: 'card_n', entity: 'card', agg: 'count', window: '1m', tile: '10s' },
      { name: 'card_sum', entity: 'card', agg: 'sum', field: 'amount', window: '1m', tile: '10s' },
      { name: 'merchant_n', entity: 'merchant', agg: 'count', window: '1m', tile: '10s' },
      { name: 'pair_sum', entity: 'card_merchant', agg: 'sum', field: 'amount', window: '1m', tile: '10s' },
    ],
  }),
);
const SHARDS = ['shardId-000000000000', 'shardId-000000000001'];
/**
 * Traffic starts ten minutes ago: the items' TTL (an hour past these short windows) must not pass before the
 * reads, or DynamoDB Local deletes them while the test runs.
 */
const START = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
const encoder = new TextEncoder();

const eventArb = fc.record({
  card: fc.integer({ min: 0, max: 4 }),
  merchant: fc.integer({ min: 0, max: 3 }),
  amount: fc.integer({ min: 1, max: 50 }),
  /** 0: a new id; otherwise a copy of the id of the event this many before (its card, or another). */
  copyOf: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 6 })),
  sameCard: fc.boolean(),
  /** Gap after the previous arrival, ms: sometimes past the 20 s horizon. */
  gap: fc.oneof(fc.integer({ min: 0, max: 2_000 }), fc.constant(21_000)),
});

interface Plan {
  events: (typeof eventArb extends fc.Arbitrary<infer T> ? T : never)[];
  batchSizes: number[];
  /** Per batch round: redeliver the batch before first, or not; the card whose put fails once (none past 4). */
  redeliver: boolean[];
  failCard: number[];
}

const planArb: fc.Arbitrary<Plan> = fc.record({
  events: fc.array(eventArb, { minLength: 5, maxLength: 60 }),
  batchSizes: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 6 }),
  redeliver: fc.array(fc.boolean(), { minLength: 1, maxLength: 6 }),
  failCard: fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 6 }),
});

/** The records a plan's traffic makes, on shards by card, in arrival order (so each shard's order too). */
function recordsOf(plan: Plan): InputRecord[] {
  const bodies: { id: string; card: string }[] = [];
  const sequences = SHARDS.map(() => 0n);
  let arrival = START;
  return plan.events.map((draft, i) => {
    arrival += draft.gap;
    const source = draft.copyOf > 0 ? bodies[i - draft.copyOf] : undefined;
    const card = source && draft.sameCard ? source.card : `c${draft.card}`;
    const id = source ? source.id : `e${i}`;
    bodies.push({ id, card });
    const shard = Number(card.slice(1)) % SHARDS.length;
    sequences[shard] = (sequences[shard] as bigint) + 1n;
    const body = { id, ts: arrival, card, merchant: `m${draft.merchant}`, amount: draft.amount };
    return {
      data: encoder.encode(JSON.stringify(body)),
      arrivalMs: arrival,
      shardId: SHARDS[shard] as string,
      sequenceNumber: String(sequences[shard]).padStart(10, '0'),
    };
  });
}

let dynamo: DynamoForTests;
beforeAll(async () => {
  dynamo = await dynamoForTests();
});
afterAll(async () => {
  await dynamo?.stop();
});

/** Applies each shard's records as the event-source mapping would, with the plan's faults and redeliveries. */
async function applyOnline(store: OnlineStore, records: InputRecord[], plan: Plan): Promise<void> {
  let round = 0;
  const failedAt = new Set<string>();
  for (const shard of SHARDS) {
    const mine = records.filter((r) => r.shardId === shard);
    let start = 0;
    let previous: InputRecord[] = [];
    for (let guard = 0; start < mine.length; guard++) {
      if (guard > 500) throw new Error('no progress');
      const size = plan.batchSizes[round % plan.batchSizes.length] as number;
      const batch = mine.slice(start, start + size);
      if (plan.redeliver[round % plan.redeliver.length] && previous.length > 0) {
        const again = await store.applyBatch(previous);
        expect(again.retryFrom).toEqual([]);
      }
      // The batch starting here fails once at most: its retry goes through, as after a crash.
      const failing = failedAt.has(`${shard}/${start}`)
        ? ''
        : `card#c${plan.failCard[round % plan.failCard.length]}`;
      failedAt.add(`${shard}/${start}`);
      round++;
      let failed = false;
      dynamo.client.middlewareStack.add(
        (next, context) => async (args) => {
          const pk = (args.input as { Item?: { pk?: { S?: string } } }).Item?.pk?.S ?? '';
          if (context.commandName === 'PutItemCommand' && pk === failing && !failed) {
            failed = true;
            throw new Error('simulated crash');
          }
          return next(args);
        },
        { step: 'initialize', name: 'failCardPut' },
      );
      const result = await store
        .applyBatch(batch)
        .finally(() => dynamo.client.middlewareStack.remove('failCardPut'));
      const retry = result.retryFrom[0];
      start = retry ? mine.indexOf(retry) : start + batch.length;
      previous = batch;
    }
  }
}

function expected(records: InputRecord[], t: number) {
  const engine = new MemoryEngine(spec);
  engine.ingest(records);
  const requests = [...engine.states.keys()].map((key) => {
    const [entity, ...values] = key.split('#').map(decodeURIComponent) as [string, ...string[]];
    const fields = spec.entityByName.get(entity)?.keyFields ?? [];
    return { entity, key: Object.fromEntries(fields.map((f, i) => [f, values[i] as string])) };
  });
  return { requests, values: requests.map((r) => engine.read(r.entity, r.key, t)) };
}

describe('online store under event.dedupeScope equals the replay', () => {
  it('answers what one clean pass answers, whatever the batches, redeliveries and failed card writes', async () => {
    await fc.assert(
      fc.asyncProperty(planArb, async (plan) => {
        const records = recordsOf(plan);
        const table = await createTestTable(dynamo.client);
        const store = new OnlineStore({ client: dynamo.client, tableName: table, spec });
        await applyOnline(store, records, plan);
        const t = Math.max(...records.map((r) => r.arrivalMs)) + 1;
        const { requests, values } = expected(records, t);
        const online: Record<string, FeatureValue>[] = await store.readFeatures(requests, t);
        requests.forEach((request, i) => {
          for (const [name, value] of Object.entries(values[i] as object)) {
            const actual = (online[i] as Record<string, FeatureValue>)[name];
            if (!sameValue(actual as FeatureValue, value as FeatureValue))
              throw new Error(`${name} of ${JSON.stringify(request)}: online ${actual}, replay ${value}`);
          }
        });
      }),
      { numRuns: 25, seed: 20261206 },
    );
  }, 600_000);
});
