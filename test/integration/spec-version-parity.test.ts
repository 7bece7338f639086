/**
 * Like with like, on DynamoDB Local: traffic under spec A (the fraud spec), then spec B (one card feature's window
 * changed, one feature added) takes the rest. A read says which definition each value was computed under; parity
 * of B against the online store and a feature log written under A reports the values computed by another
 * definition, or added and not backfilled yet, apart and not as skew; after a backfill every value compares.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRawArchive } from '../../adapters/archive/archive-writer.js';
import { FeatureClient } from '../../adapters/feature-client.js';
import { OnlineStore } from '../../adapters/online-store/online-store.js';
import { runBackfill } from '../../cli/backfill-command.js';
import type { CliIO } from '../../cli/io.js';
import { measureParity } from '../../cli/parity-command.js';
import {
  compileSpec,
  featureFingerprint,
  type InputRecord,
  parseSpec,
  parseSpecJson,
  specVersionOf,
} from '../../core/index.js';
import { generateFraudTraffic } from '../../examples/fraud/generate.js';
import { createTestTable, type DynamoForTests, dynamoForTests } from '../support/dynamodb.js';
import { batchesOf, onShards, RECENT_START } from '../support/stream.js';

const quietIO: CliIO = { out: () => {}, err: () => {} };
const CHANGED = 'card_amount_sum_1h';
const ADDED = 'card_txn_count_30m';
const jsonA = parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8'));
const jsonB = parseSpec({
  ...jsonA,
  features: [
    ...jsonA.features.map((f) => (f.name === CHANGED ? { ...f, window: '2h' } : f)),
    { name: ADDED, entity: 'card', agg: 'count', window: '30m', tile: '5m' },
  ],
});
const specA = compileSpec(jsonA);
const specB = compileSpec(jsonB);
const fingerprint = (spec: typeof specA, name: string) =>
  featureFingerprint(
    spec.entities.flatMap((e) => e.features).find(({ feature }) => feature.name === name)?.feature as never,
  );

const traffic = generateFraudTraffic({ events: 800, seed: 29, startMs: RECENT_START });
const records = onShards(traffic.records, 2);
const byArrival = [...records].sort((a, b) => a.arrivalMs - b.arrivalMs);
const cut = (byArrival[Math.floor(byArrival.length / 2)] as InputRecord).arrivalMs;
const eraA = records.filter((r) => r.arrivalMs < cut);
const eraB = records.filter((r) => r.arrivalMs >= cut);
const readAt = Math.max(...records.map((r) => r.arrivalMs)) + 1;
const decoder = new TextDecoder();

const dir = mkdtempSync(join(tmpdir(), 'sf-like-with-like-'));
const specFileB = join(dir, 'spec-b.json');
const archive = join(dir, 'archive');
const featureLog = join(dir, 'feature-log.jsonl');

/** Cards by the era their records arrived in: only before the cut, and both before and after. */
function cardsByEra() {
  const cardsOf = (list: readonly InputRecord[]) => {
    const cards = new Set<string>();
    for (const record of list) {
      try {
        const body = JSON.parse(decoder.decode(record.data)) as { card_id?: unknown };
        if (typeof body.card_id === 'string') cards.add(body.card_id);
      } catch {}
    }
    return cards;
  };
  const before = cardsOf(eraA);
  const after = cardsOf(eraB);
  return {
    onlyA: [...before].filter((card) => !after.has(card)),
    both: [...before].filter((card) => after.has(card)),
  };
}

let dynamo: DynamoForTests;
let table: string;
beforeAll(async () => {
  dynamo = await dynamoForTests();
  table = await createTestTable(dynamo.client);
  writeFileSync(specFileB, JSON.stringify(jsonB));
  writeRawArchive(archive, jsonB, records);
  // Era A, with the scoring path's log lines under A: its spec hash and fingerprints, as the score function logs.
  const storeA = new OnlineStore({ client: dynamo.client, tableName: table, spec: specA });
  const versionA = specVersionOf(specA);
  const lines: string[] = [];
  // In arrival order, runs of one shard: a log line read at a batch's last arrival has seen every earlier record.
  for (const batch of shardRuns(eraA, 50)) {
    expect((await storeA.applyBatch(batch)).retryFrom).toEqual([]);
    const last = batch[batch.length - 1] as InputRecord;
    const body = JSON.parse(decoder.decode(last.data)) as { card_id?: unknown };
    if (typeof body.card_id !== 'string') continue;
    const [features] = await storeA.readFeatures(
      [{ entity: 'card', key: { card_id: body.card_id } }],
      last.arrivalMs,
    );
    lines.push(
      JSON.stringify({
        t: last.arrivalMs,
        entities: { card: { card_id: body.card_id } },
        features,
        spec_hash: versionA.hash,
        fingerprints: versionA.fingerprints,
      }),
    );
  }
  writeFileSync(featureLog, `${lines.join('\n')}\n`);
  const storeB = new OnlineStore({ client: dynamo.client, tableName: table, spec: specB });
  for (const batch of batchesOf(eraB, 50)) expect((await storeB.applyBatch(batch)).retryFrom).toEqual([]);
}, 240_000);
afterAll(async () => {
  await dynamo?.stop();
});

describe('spec versions, like with like', { timeout: 240_000 }, () => {
  it('says on read which definition each value was computed under', async () => {
    const client = new FeatureClient({ spec: specB, tableName: table, client: dynamo.client });
    const { onlyA, both } = cardsByEra();
    expect(onlyA.length).toBeGreaterThan(0);
    expect(both.length).toBeGreaterThan(0);
    const [untouched, rewritten, unseen] = await client.readWithDefinitions(
      [
        { entity: 'card', key: { card_id: onlyA[0] as string } },
        { entity: 'card', key: { card_id: both[0] as string } },
        { entity: 'card', key: { card_id: 'never-seen' } },
      ],
      readAt,
    );
    // Written only under A: B's changed and added features are not there, A's definition of the changed one is.
    expect(untouched?.definitions.features[CHANGED]).toEqual({
      fingerprint: fingerprint(specB, CHANGED),
      stored: 'none',
    });
    expect(untouched?.definitions.features[ADDED]?.stored).toBe('none');
    expect(untouched?.definitions.features.card_txn_count_10m?.stored).toBe('computed');
    expect(untouched?.definitions.others).toContain(fingerprint(specA, CHANGED));
    // Written under B too: its changed and added features count only the records since.
    expect(rewritten?.definitions.features[CHANGED]?.stored).toBe('since-added');
    expect(rewritten?.definitions.features[ADDED]?.stored).toBe('since-added');
    expect(rewritten?.definitions.features.card_txn_count_10m?.stored).toBe('computed');
    expect(rewritten?.definitions.others).toEqual([]);
    expect(unseen?.definitions.exists).toBe(false);
  });

  it('reports values of another definition apart from skew, in the online store and the feature log', async () => {
    const report = await measureParity(
      {
        spec: specFileB,
        archive,
        table,
        featureLog,
        at: readAt,
        sample: 400,
        clients: { dynamodb: dynamo.client, s3: () => never() },
      },
      quietIO,
    );
    expect(report.online?.mismatches).toBe(0);
    expect(report.logged?.examples).toEqual([]);
    expect(report.logged?.mismatches).toBe(0);
    expect(report.skew).toBe(false);
    expect(report.notComparable.online[CHANGED]?.anotherDefinition).toBeGreaterThan(0);
    expect(report.notComparable.online[CHANGED]?.sinceAdded).toBeGreaterThan(0);
    expect(report.notComparable.online[ADDED]?.sinceAdded).toBeGreaterThan(0);
    // The log holds A's definition of the changed feature and nothing of the added one; the others were compared.
    expect(Object.keys(report.notComparable.logged).sort()).toEqual([CHANGED, ADDED].sort());
    expect(report.logged?.values).toBeGreaterThan(0);
  });

  it('compares every value once a backfill has computed them under the replay spec', async () => {
    await runBackfill(
      {
        spec: specFileB,
        archive,
        table,
        features: [CHANGED, ADDED],
        now: readAt,
        checkpoint: join(dir, 'backfill.checkpoint.json'),
        clients: { dynamodb: dynamo.client, s3: () => never() },
      },
      quietIO,
    );
    const report = await measureParity(
      {
        spec: specFileB,
        archive,
        table,
        at: readAt,
        sample: 400,
        clients: { dynamodb: dynamo.client, s3: () => never() },
      },
      quietIO,
    );
    expect(report.notComparable.online).toEqual({});
    expect(report.online?.mismatches).toBe(0);
    expect(report.skew).toBe(false);
  });
});

function shardRuns(list: readonly InputRecord[], size: number): InputRecord[][] {
  const runs: InputRecord[][] = [];
  let run: InputRecord[] = [];
  for (const record of [...list].sort((a, b) => a.arrivalMs - b.arrivalMs)) {
    if (run.length > 0 && (run[0]?.shardId !== record.shardId || run.length === size)) {
      runs.push(run);
      run = [];
    }
    run.push(record);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

function never(): never {
  throw new Error('no S3 in this test');
}
