/**
 * Hostile records on a real DynamoDB Local: a key or id DynamoDB cannot store is quarantined with its rule and
 * never holds back its batch; a sum that overflows reads the same (null) from the store through the FeatureClient
 * as from the replay, and large but finite values the same finite values.
 */
import { readFileSync } from 'node:fs';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureClient, FeatureRequestError } from '../../adapters/feature-client.js';
import { MemoryRecordStreamWriter } from '../../adapters/firehose/record-stream-writer.js';
import { EmbeddedModel } from '../../adapters/model/embedded-model.js';
import { OnlineStore } from '../../adapters/online-store/online-store.js';
import { payloadOf } from '../../adapters/online-store/tile-item.js';
import type { RawArchiveLine, RejectionLine } from '../../adapters/side-outputs/layout.js';
import { MemorySideOutputWriter } from '../../adapters/side-outputs/side-output-writer.js';
import {
  ArrivalSweep,
  compileSpec,
  type InputRecord,
  labelLookup,
  MAX_KEY_BYTES,
  MemoryEngine,
  parseSpecJson,
  planTrainingSet,
  pointInTime,
  replay,
  trainingRow,
} from '../../core/index.js';
import modelDocument from '../../examples/fraud/models/placeholder-untrained-0.json' with { type: 'json' };
import { createFeaturesHandler } from '../../lambdas/features/features-handler.js';
import { createScoreHandler, type ScoreResponse } from '../../lambdas/score/score-handler.js';
import { httpApiEvent } from '../../lambdas/shared/http.js';
import { kinesisStreamEvent } from '../../lambdas/shared/kinesis-records.js';
import { createTestTable, type DynamoForTests, dynamoForTests } from '../support/dynamodb.js';
import { recorder } from '../support/observability.js';
import { jsonRecord, RECENT_START } from '../support/stream.js';

const spec = compileSpec(parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8')));
const SHARD = 'shardId-000000000001';

let dynamo: DynamoForTests;
beforeAll(async () => {
  dynamo = await dynamoForTests();
}, 120_000);
afterAll(async () => {
  await dynamo?.stop();
});

/** Fraud-shaped events on one shard, a second apart from RECENT_START, each arriving 100 ms after its time. */
function stream(bodies: readonly Record<string, unknown>[]): InputRecord[] {
  return bodies.map((fields, i) => {
    const ts = RECENT_START + i * 1000;
    const body = { event_id: `e${i}`, ts, amount: 10, status: 'approved', geo: { country: 'US' }, ...fields };
    return jsonRecord(body, ts + 100, SHARD, i + 1);
  });
}

describe('a key or id DynamoDB cannot store', () => {
  it('is quarantined with its rule while its neighbours are counted and archived, and the batch is not retried', async () => {
    // Arrange: valid neighbours, four records DynamoDB would refuse (keys, an id, an item too large), and one whose keys are exactly at the limit.
    const atLimitCard = 'c'.repeat(MAX_KEY_BYTES - 'card_merchant#'.length - '#m1'.length);
    const bodies: Record<string, unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      bodies.push({ card_id: `c${i % 5}`, merchant_id: `m${(i % 2) + 1}` });
      if (i === 3) bodies.push({ card_id: 'c'.repeat(3000), merchant_id: 'm1' });
      if (i === 8) bodies.push({ card_id: 'c1', merchant_id: 'm'.repeat(2100) });
      if (i === 12) bodies.push({ event_id: 'e'.repeat(3000), card_id: 'c2', merchant_id: 'm1' });
      // The last event of card c4: its value would be the one the card's item keeps.
      if (i === 19) bodies.push({ card_id: 'c4', merchant_id: 'm2', geo: { country: 'x'.repeat(500_000) } });
      if (i === 15)
        bodies.push({ event_id: 'i'.repeat(MAX_KEY_BYTES), card_id: atLimitCard, merchant_id: 'm1' });
    }
    const records = stream(bodies);
    const table = await createTestTable(dynamo.client);
    const store = new OnlineStore({ client: dynamo.client, tableName: table, spec });
    const sideOutputs = new MemorySideOutputWriter();
    const rawArchive = new MemoryRecordStreamWriter();
    const r = recorder();
    const handler = createFeaturesHandler({
      store,
      sideOutputs,
      rawArchive,
      prefixes: { quarantine: 'quarantine/', late: 'late/', rawOversize: 'raw-oversize/' },
      logger: r.logger,
      metrics: r.metricsSink,
      now: () => RECENT_START + bodies.length * 1000,
    });

    // Act
    const response = await handler(kinesisStreamEvent(records));

    // Assert: no record comes again; the three are quarantined with their rules and byte lengths.
    expect(response.batchItemFailures).toEqual([]);
    const quarantine = sideOutputs.lines('quarantine/') as RejectionLine[];
    expect(quarantine.map((line) => line.rule)).toEqual([
      'key-too-long',
      'key-too-long',
      'id-too-long',
      'value-too-long',
    ]);
    expect(quarantine[0]?.message).toContain('"card_id" 3000 bytes');
    expect(quarantine[1]?.message).toContain('"merchant_id" 2100 bytes');
    expect(quarantine[2]?.message).toContain('"event_id" is 3000 bytes');
    expect(quarantine[3]?.message).toContain('"geo.country" (for card_last_country_7d) is 500002 bytes');
    expect(r.sum('RecordsInvalid')).toBe(4);
    expect(r.sum('RecordsCounted')).toBe(21);
    expect(r.sum('BatchRetries')).toBe(0);

    // Every record is archived, the refused ones too.
    expect((rawArchive.lines() as RawArchiveLine[]).map((line) => line.sequence_number)).toEqual(
      records.map((record) => record.sequenceNumber),
    );

    // Nothing partly applied: the merchants count exactly their valid events (m1: 10 + the one at the limit),
    // card c1 does not count the event refused for its merchant, and only counted ids are claimed.
    const readAt = RECENT_START + bodies.length * 1000;
    const [m1, m2, c1, c2, c4, atLimit] = await store.readFeatures(
      [
        { entity: 'merchant', key: { merchant_id: 'm1' } },
        { entity: 'merchant', key: { merchant_id: 'm2' } },
        { entity: 'card', key: { card_id: 'c1' } },
        { entity: 'card', key: { card_id: 'c2' } },
        { entity: 'card', key: { card_id: 'c4' } },
        { entity: 'card_merchant', key: { card_id: atLimitCard, merchant_id: 'm1' } },
      ],
      readAt,
    );
    expect(m1?.merchant_txn_count_10m).toBe(11);
    expect(m2?.merchant_txn_count_10m).toBe(10);
    expect(c1?.card_txn_count_10m).toBe(4);
    expect(c2?.card_txn_count_10m).toBe(4);
    expect(c4).toMatchObject({ card_txn_count_10m: 4, card_last_country_7d: 'US' });
    expect(atLimit?.card_merchant_txn_count_7d).toBe(1);
    const engine = new MemoryEngine(spec);
    engine.ingest(records);
    expect(engine.read('merchant', { merchant_id: 'm1' }, readAt)).toEqual(m1);
    // The fraud spec scopes its dedupe to the card: the card items hold a claim per counted id, the ledger nothing.
    const items = await dynamo.client.send(
      new ScanCommand({ TableName: table, ProjectionExpression: 'pk, s, c, z' }),
    );
    const ledger = (items.Items ?? []).filter((item) => item.pk?.S?.startsWith('id!'));
    expect(ledger).toHaveLength(0);
    const claims = (items.Items ?? []).flatMap((item) =>
      // Packed items keep their claims in `z` (tile-item.ts): read them as the store does.
      (payloadOf(item.pk?.S ?? '', item).claims?.split(';')[1] ?? '').split(',').filter(Boolean),
    );
    expect(claims).toHaveLength(21);
    expect((items.Items ?? []).some((item) => (item.pk?.S ?? '').includes('c'.repeat(3000)))).toBe(false);
  });
});

describe('reading a key longer than the store holds', () => {
  it('fails as a request error naming the entity, its bytes and the limit, before DynamoDB is asked', async () => {
    const table = await createTestTable(dynamo.client);
    const client = new FeatureClient({ spec, tableName: table, client: dynamo.client });
    const error = await client
      .get({ card: { card_id: 'c'.repeat(3000) }, merchant: { merchant_id: 'm1' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FeatureRequestError);
    expect((error as FeatureRequestError).problems).toEqual([
      `card: the key is ${'card#'.length + 3000} bytes in UTF-8 after escaping, over the limit of ${MAX_KEY_BYTES}`,
    ]);
    const fits = 'c'.repeat(MAX_KEY_BYTES - 'card#'.length);
    expect((await client.get({ card: { card_id: fits } })).card.card_txn_count_10m).toBe(0);
  });
});

describe('non-finite results read the same online and offline', () => {
  it('a sum of two 1e308 is null from the FeatureClient, the scoring API, the replay and the training set; 1e120 gives the same finite values', async () => {
    // Arrange
    const records = stream([
      { card_id: 'huge', merchant_id: 'm1', amount: 1e308 },
      { card_id: 'huge', merchant_id: 'm1', amount: 1e308 },
      { card_id: 'large', merchant_id: 'm2', amount: 1e120 },
      { card_id: 'large', merchant_id: 'm2', amount: 3e120 },
    ]);
    const table = await createTestTable(dynamo.client);
    const store = new OnlineStore({ client: dynamo.client, tableName: table, spec });
    const applied = await store.applyBatch(records);
    expect(applied.errors).toEqual([]);
    expect(applied.counted).toHaveLength(4);
    const client = new FeatureClient({
      spec,
      tableName: table,
      client: dynamo.client,
      consistentReads: true,
    });
    const t = RECENT_START + 10_000;

    // Act
    const online = await client.get(
      { card: { card_id: 'huge' }, merchant: { merchant_id: 'm1' } },
      { at: t },
    );
    const onlineLarge = await client.get({ card: { card_id: 'large' } }, { at: t });
    const { answers } = replay(spec, records, [
      { entity: 'card', key: { card_id: 'huge' }, t },
      { entity: 'merchant', key: { merchant_id: 'm1' }, t },
      { entity: 'card', key: { card_id: 'large' }, t },
    ]);

    const r = recorder();
    const score = createScoreHandler({
      spec,
      store: client,
      model: EmbeddedModel.fromDocument(modelDocument),
      logger: r.logger,
      metrics: r.metricsSink,
      now: () => t,
    });
    const scored = await score(httpApiEvent({ entities: { card: { card_id: 'huge' } }, t }));
    const label = { card_id: 'huge', ts: t, label: 1 };
    const plan = planTrainingSet(spec, label, { entities: ['card'] });
    const lookup = labelLookup(spec, plan, label, 1);
    async function* chunks() {
      yield records;
    }
    const rows: (string | number | null)[][] = [];
    for await (const answer of pointInTime(new ArrivalSweep(spec), chunks(), [lookup]))
      rows.push(trainingRow(plan, lookup, answer.features));

    // Assert
    const trainingValues = Object.fromEntries(
      plan.columns.flatMap((column, i) => (column.name in online.card ? [[column.name, rows[0]?.[i]]] : [])),
    );
    expect(trainingValues).toEqual(online.card);
    expect(scored.statusCode).toBe(200);
    expect((JSON.parse(scored.body as string) as ScoreResponse).features).toEqual(online.card);
    expect(online.card).toMatchObject({
      card_txn_count_1h: 2,
      card_amount_sum_1h: null,
      card_amount_avg_24h: null,
      card_amount_min_1h: 1e308,
      card_amount_max_24h: 1e308,
      card_amount_stddev_7d: 0,
    });
    expect(online.merchant).toMatchObject({ merchant_txn_count_10m: 2, merchant_amount_avg_1h: null });
    expect(online.card).toEqual(answers[0]?.features);
    expect(online.merchant).toEqual(answers[1]?.features);
    expect(onlineLarge.card).toMatchObject({
      card_amount_sum_1h: 4e120,
      card_amount_avg_24h: 2e120,
      card_amount_min_1h: 1e120,
      card_amount_max_24h: 3e120,
    });
    expect(Math.abs((onlineLarge.card.card_amount_stddev_7d as number) / 1e120 - 1)).toBeLessThan(1e-12);
    expect(onlineLarge.card).toEqual(answers[2]?.features);
  });
});
