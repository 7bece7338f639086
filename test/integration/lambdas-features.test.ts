/**
 * The features handler over a real DynamoDB Local, through Lambda-shaped Kinesis events. S3 and Firehose are
 * replaced by in-memory writers behind the same interfaces (SideOutputWriter, RecordStreamWriter); their AWS
 * implementations get their integration test with the local cloud (fauxqs for S3, the Firehose emulator).
 */
import { readFileSync } from 'node:fs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisStreamBatchResponse } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MemoryRecordStreamWriter,
  type RecordStreamWriter,
} from '../../adapters/firehose/record-stream-writer.js';
import { OnlineStore } from '../../adapters/online-store/online-store.js';
import type { RawArchiveLine, RejectionLine } from '../../adapters/side-outputs/layout.js';
import {
  MemorySideOutputWriter,
  type SideOutputWriter,
} from '../../adapters/side-outputs/side-output-writer.js';
import {
  compileSpec,
  type FeatureValue,
  type InputRecord,
  MemoryEngine,
  parseSpecJson,
} from '../../core/index.js';
import { generateFraudTraffic } from '../../examples/fraud/generate.js';
import { createFeaturesHandler, type FeaturesHandler } from '../../lambdas/features/features-handler.js';
import { kinesisStreamEvent } from '../../lambdas/shared/kinesis-records.js';
import { createTestTable, type DynamoForTests, dynamoForTests } from '../support/dynamodb.js';
import { recorder } from '../support/observability.js';
import { batchesOf, jsonRecord, onShards, RECENT_START } from '../support/stream.js';

const spec = compileSpec(parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8')));
const traffic = generateFraudTraffic({
  events: 600,
  seed: 5,
  startMs: RECENT_START,
  lateRate: 0.02,
  futureRate: 0.02,
  duplicateRate: 0.02,
  invalidRate: 0.02,
});
const records = onShards(traffic.records, 2);
const readAt = Math.max(...records.map((r) => r.arrivalMs)) + 1;
const NOW = readAt + 5_000;
const decoder = new TextDecoder();

let dynamo: DynamoForTests;
beforeAll(async () => {
  dynamo = await dynamoForTests();
});
afterAll(async () => {
  await dynamo?.stop();
});

async function setup(
  options: { sideOutputs?: SideOutputWriter; rawArchive?: RecordStreamWriter; client?: DynamoDBClient } = {},
) {
  const table = await createTestTable(dynamo.client);
  const store = new OnlineStore({ client: options.client ?? dynamo.client, tableName: table, spec });
  const sideOutputs = new MemorySideOutputWriter();
  const rawArchive = new MemoryRecordStreamWriter();
  const r = recorder();
  const handler = createFeaturesHandler({
    store,
    sideOutputs: options.sideOutputs ?? sideOutputs,
    rawArchive: options.rawArchive ?? rawArchive,
    prefixes: { quarantine: 'quarantine/', late: 'late/', rawOversize: 'raw-oversize/' },
    logger: r.logger,
    metrics: r.metricsSink,
    now: () => NOW,
  });
  return { ...r, table, store, sideOutputs, rawArchive, handler };
}

/**
 * Delivers a shard's records as the event-source mapping does with ReportBatchItemFailures: batches of `size`;
 * after a partial failure, the next batch starts at the reported record.
 */
async function deliver(handler: FeaturesHandler, input: readonly InputRecord[], size = 100, maxRounds = 200) {
  const responses: KinesisStreamBatchResponse[] = [];
  for (const shard of new Set(input.map((r) => r.shardId))) {
    const list = input.filter((r) => r.shardId === shard);
    let start = 0;
    while (start < list.length) {
      const batch = list.slice(start, start + size);
      const response = await handler(kinesisStreamEvent(batch));
      responses.push(response);
      const failed = response.batchItemFailures[0]?.itemIdentifier;
      start = failed ? list.findIndex((r) => r.sequenceNumber === failed) : start + batch.length;
      if (responses.length > maxRounds) throw new Error('no progress');
    }
  }
  return responses;
}

function cleanPass(input: readonly InputRecord[]) {
  const engine = new MemoryEngine(spec);
  for (const batch of batchesOf(input, 100)) engine.ingest(batch);
  return engine;
}

async function expectStoreEquals(store: OnlineStore, input: readonly InputRecord[]) {
  const engine = cleanPass(input);
  const requests = [...engine.states.keys()].map((key) => {
    const [entity, ...values] = key.split('#').map(decodeURIComponent) as [string, ...string[]];
    const fields = spec.entityByName.get(entity)?.keyFields ?? [];
    return { entity, key: Object.fromEntries(fields.map((f, i) => [f, values[i] as string])) };
  });
  const actual: Record<string, FeatureValue>[] = [];
  for (let i = 0; i < requests.length; i += 100)
    actual.push(...(await store.readFeatures(requests.slice(i, i + 100), readAt)));
  requests.forEach((request, i) => {
    const expected = engine.read(request.entity, request.key, readAt);
    for (const [name, value] of Object.entries(expected)) {
      if (typeof value === 'number') expect(actual[i]?.[name], name).toBeCloseTo(value, 6);
      else expect(actual[i]?.[name], name).toEqual(value);
    }
  });
}

const key = (line: { shardId: string; sequenceNumber: string }) => `${line.shardId}/${line.sequenceNumber}`;

describe('features handler on DynamoDB Local', () => {
  it('applies every batch, sets aside each rejected record once, archives every record, and counts them', async () => {
    // Arrange
    const { handler, store, sideOutputs, rawArchive, sum, logs } = await setup();
    const totals = cleanPass(records).totals;

    // Act
    const responses = await deliver(handler, records);

    // Assert: nothing to retry; the store equals a clean in-memory pass of the engine.
    expect(responses.every((r) => r.batchItemFailures.length === 0)).toBe(true);
    await expectStoreEquals(store, records);

    // The quarantine holds the invalid and future records, the late output the late ones, each once.
    const quarantine = sideOutputs.lines('quarantine/') as RejectionLine[];
    const late = sideOutputs.lines('late/') as RejectionLine[];
    expect(totals.invalid + totals.future + totals.late).toBeGreaterThan(20);
    expect(quarantine.filter((l) => l.reason === 'invalid')).toHaveLength(totals.invalid);
    expect(quarantine.filter((l) => l.reason === 'future')).toHaveLength(totals.future);
    expect(quarantine).toHaveLength(totals.invalid + totals.future);
    expect(late).toHaveLength(totals.late);
    expect(late.every((l) => l.reason === 'late' && l.rule === 'late')).toBe(true);
    expect(new Set(quarantine.map(key)).size).toBe(quarantine.length);
    for (const line of [...quarantine, ...late]) {
      const original = records.find((r) => key(r) === key(line)) as InputRecord;
      expect(line.arrivalMs).toBe(original.arrivalMs);
      expect(line.partitionKey).toBe(original.partitionKey);
      expect(line.data).toBe(decoder.decode(original.data));
    }
    for (const objectKey of sideOutputs.objects.keys()) {
      expect(objectKey).toMatch(
        /^(quarantine|late)\/dt=\d{4}-\d\d-\d\d\/hour=\d\d\/shardId-\d{12}-\d+-\d+\.jsonl$/,
      );
    }

    // The raw archive holds every record, as it arrived.
    const archived = rawArchive.lines() as RawArchiveLine[];
    expect(archived).toHaveLength(records.length);
    expect(archived.map((l) => `${l.shard_id}/${l.sequence_number}`).sort()).toEqual(records.map(key).sort());
    const firstArchived = archived[0] as RawArchiveLine;
    const original = records.find(
      (r) => key(r) === `${firstArchived.shard_id}/${firstArchived.sequence_number}`,
    );
    expect(firstArchived.data).toBe(decoder.decode(original?.data));
    expect(firstArchived.arrival_ms).toBe(original?.arrivalMs);

    // The metrics add up to every record, once.
    expect(sum('RecordsCounted')).toBe(totals.counted);
    expect(sum('RecordsInvalid')).toBe(totals.invalid);
    expect(sum('RecordsFuture')).toBe(totals.future);
    expect(sum('RecordsLate')).toBe(totals.late);
    expect(sum('RecordsDuplicate')).toBe(totals.duplicate);
    expect(sum('BatchRetries')).toBe(0);

    // One summary line per batch, with the counts and no payload.
    const summaries = logs.filter((l) => l.message === 'batch');
    expect(summaries).toHaveLength(responses.length);
    expect(summaries[0]?.extra).toMatchObject({
      shardId: expect.stringMatching(/^shardId-/),
      firstSequenceNumber: expect.any(String),
      lastSequenceNumber: expect.any(String),
      records: 100,
    });
    expect(JSON.stringify(logs)).not.toMatch(/event_id|merchant_id/);
  });

  it('reports EventFreshness once per counted event: its Kinesis arrival to the store write, never per batch', async () => {
    const { handler, metrics } = await setup();
    const batch = records.slice(0, 50).filter((r) => r.shardId === records[0]?.shardId);
    await handler(kinesisStreamEvent(batch));
    const { counted } = new MemoryEngine(spec).ingest(batch);
    expect(counted.length).toBeGreaterThan(1);
    const byValue = (a: number, b: number) => a - b;
    expect([...(metrics.EventFreshness ?? [])].sort(byValue)).toEqual(
      counted.map((r) => NOW - r.arrivalMs).sort(byValue),
    );
    expect(metrics.FeatureFreshness).toBeUndefined();
  });

  it('a redelivered batch writes the same side-output objects again instead of adding copies', async () => {
    const { handler, store, sideOutputs } = await setup();
    await deliver(handler, records);
    const before = new Map(sideOutputs.objects);
    await deliver(handler, records);
    expect(sideOutputs.objects).toEqual(before);
    await expectStoreEquals(store, records);
  });

  it('when a side output cannot be written, fails the whole batch from its first record; the retry loses nothing', async () => {
    // Arrange: S3 is down for the first invocation.
    const memory = new MemorySideOutputWriter();
    let down = true;
    const flaky: SideOutputWriter = {
      put: async (objectKey, body) => {
        if (down) throw new Error('S3 is down');
        return memory.put(objectKey, body);
      },
    };
    const { handler, store, sum, logs } = await setup({ sideOutputs: flaky });
    const shard = records.filter((r) => r.shardId === records[0]?.shardId);
    const batch = shard.slice(0, 200);

    // Act
    const first = await handler(kinesisStreamEvent(batch));

    // Assert: the whole batch comes again, and the outcome metrics wait for it.
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: batch[0]?.sequenceNumber }]);
    expect(sum('SideOutputErrors')).toBe(1);
    expect(sum('BatchRetries')).toBe(1);
    expect(sum('RecordsCounted')).toBe(0);
    expect(logs.find((l) => l.level === 'error')?.extra.error).toContain('S3 is down');

    down = false;
    const responses = await deliver(handler, shard);
    expect(responses.every((r) => r.batchItemFailures.length === 0)).toBe(true);
    const totals = cleanPass(shard).totals;
    expect(memory.lines('quarantine/')).toHaveLength(totals.invalid + totals.future);
    expect(memory.lines('late/')).toHaveLength(totals.late);
    expect(sum('RecordsCounted')).toBe(totals.counted);
    await expectStoreEquals(store, shard);
  });

  it('when the raw archive cannot be written, fails the whole batch from its first record', async () => {
    const failing: RecordStreamWriter = {
      put: async () => {
        throw new Error('3 of 100 records still failed after 6 attempts (ServiceUnavailableException)');
      },
    };
    const { handler } = await setup({ rawArchive: failing });
    const batch = records.filter((r) => r.shardId === records[0]?.shardId).slice(0, 100);
    const response = await handler(kinesisStreamEvent(batch));
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: batch[0]?.sequenceNumber }]);
  });

  it('after a store failure mid-batch, reports the first record to retry and sets aside or archives none from it on', async () => {
    // Arrange: a tile write fails part-way through the batch, as a throttle would.
    const { handler, store, sideOutputs, rawArchive, sum } = await setup();
    const shard = records.filter((r) => r.shardId === records[0]?.shardId);
    let puts = 0;
    dynamo.client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Item?: { pk?: { S?: string } } };
        const tilePut = context.commandName === 'PutItemCommand' && !input.Item?.pk?.S?.startsWith('id!');
        if (tilePut && ++puts === 60)
          throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
        return next(args);
      },
      { step: 'initialize', name: 'failOnePut' },
    );

    // Act
    let first: KinesisStreamBatchResponse;
    try {
      first = await handler(kinesisStreamEvent(shard.slice(0, 250)));
    } finally {
      dynamo.client.middlewareStack.remove('failOnePut');
    }

    // Assert: the reported record and everything after it were not archived or set aside.
    const retry = first.batchItemFailures[0]?.itemIdentifier as string;
    expect(retry).toBeDefined();
    const cut = shard.findIndex((r) => r.sequenceNumber === retry);
    const after = new Set(shard.slice(cut).map(key));
    const archived = (rawArchive.lines() as RawArchiveLine[]).map(
      (l) => `${l.shard_id}/${l.sequence_number}`,
    );
    expect(archived).toEqual(shard.slice(0, cut).map(key));
    expect((sideOutputs.lines() as RejectionLine[]).some((l) => after.has(key(l)))).toBe(false);
    expect(sum('BatchRetries')).toBe(1);

    // The event-source mapping resends from the reported record; then everything is there, once.
    await deliver(handler, shard.slice(cut));
    await expectStoreEquals(store, shard);
    const totals = cleanPass(shard).totals;
    const setAside = sideOutputs.lines() as RejectionLine[];
    expect(new Set(setAside.map(key)).size).toBe(totals.invalid + totals.future + totals.late);
    expect(new Set((rawArchive.lines() as RawArchiveLine[]).map((l) => l.sequence_number)).size).toBe(
      shard.length,
    );
  });

  it('retries each shard from its first record when the store cannot be written at all', async () => {
    const r = recorder();
    const handler = createFeaturesHandler({
      store: new OnlineStore({ client: dynamo.client, tableName: 'no-such-table', spec }),
      sideOutputs: new MemorySideOutputWriter(),
      prefixes: { quarantine: 'q/', late: 'l/', rawOversize: 'o/' },
      logger: r.logger,
      metrics: r.metricsSink,
    });
    const batch = records.filter((record) => record.shardId === records[0]?.shardId).slice(0, 10);
    const response = await handler(kinesisStreamEvent(batch));
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: batch[0]?.sequenceNumber }]);
    const warning = r.logs.find((l) => l.level === 'warn');
    expect(warning?.message).toBe('batch done in part: the rest will come again');
    expect(String(warning?.extra.errors)).toMatch(/ResourceNotFoundException/);
  });

  it('quarantines a payload that is not UTF-8 as base64, and archives a record too large for Firehose to S3', async () => {
    const { handler, sideOutputs, rawArchive } = await setup();
    const garbage = {
      ...jsonRecord('', RECENT_START, 'shardId-000000000009', 1),
      data: new Uint8Array([0xff, 0x00]),
    };
    const huge = jsonRecord(`"${'x'.repeat(1_030_000)}"`, RECENT_START + 1, 'shardId-000000000009', 2);
    const response = await handler(kinesisStreamEvent([garbage, huge]));
    expect(response.batchItemFailures).toEqual([]);
    const [first, second] = sideOutputs.lines('quarantine/') as RejectionLine[];
    expect(first).toMatchObject({ rule: 'not-json', data: '/wA=', dataEncoding: 'base64' });
    expect(second).toMatchObject({ rule: 'not-object' });
    expect((rawArchive.lines() as RawArchiveLine[]).map((l) => l.sequence_number)).toEqual(['1']);
    const oversize = sideOutputs.lines('raw-oversize/') as RawArchiveLine[];
    expect(oversize.map((l) => l.sequence_number)).toEqual(['2']);
    expect([...sideOutputs.objects.keys()].find((k) => k.startsWith('raw-oversize/'))).toMatch(
      /^raw-oversize\/dt=.*\/shardId-000000000009-1-2\.jsonl$/,
    );
  });

  it('throws, for the whole batch to come again, when the store itself throws', async () => {
    const r = recorder();
    const handler = createFeaturesHandler({
      store: {
        applyBatch: async () => {
          throw new Error('connection reset');
        },
      },
      sideOutputs: new MemorySideOutputWriter(),
      prefixes: { quarantine: 'q/', late: 'l/', rawOversize: 'o/' },
      logger: r.logger,
      metrics: r.metricsSink,
    });
    await expect(handler(kinesisStreamEvent(records.slice(0, 3)))).rejects.toThrow('connection reset');
    expect(r.logs.find((l) => l.level === 'error')?.message).toMatch(/^the online store failed/);
    expect(r.sum('BatchRetries')).toBe(1);
  });

  it('answers an empty event with no failures', async () => {
    const { handler } = await setup();
    expect(await handler({ Records: [] })).toEqual({ batchItemFailures: [] });
  });
});
