import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRawArchive } from '../../adapters/archive/archive-writer.js';
import { EmbeddedModel } from '../../adapters/model/embedded-model.js';
import { OnlineStore } from '../../adapters/online-store/online-store.js';
import { compileSpec, type InputRecord, parseSpecJson } from '../../core/index.js';
import { generateFraudTraffic } from '../../examples/fraud/generate.js';
import { DEFAULT_MODEL_VERSION } from '../../lib/config.js';
import { runCli } from '../support/cli.js';
import { createTestTable, type DynamoForTests, dynamoForTests } from '../support/dynamodb.js';
import { jsonRecord, onShards, RECENT_START } from '../support/stream.js';

const SPEC = 'examples/fraud/spec.json';
const MODELS = 'examples/fraud/models';
const MODEL = DEFAULT_MODEL_VERSION;
const spec = compileSpec(parseSpecJson(readFileSync(SPEC, 'utf8')));
const dir = mkdtempSync(join(tmpdir(), 'streamfeatures-parity-'));
const decoder = new TextDecoder();

/**
 * The online half as the pipeline runs it: records applied to the online store in arrival order, a batch at a
 * time (runs of one shard), and now and then a scoring request read at the time of the last record applied and
 * logged the way the scoring Lambda logs it.
 */
async function runOnline(store: OnlineStore, records: readonly InputRecord[], model: EmbeddedModel) {
  const logged: Record<string, unknown>[] = [];
  let batch: InputRecord[] = [];
  let batches = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    expect((await store.applyBatch(batch)).retryFrom).toEqual([]);
    const last = batch[batch.length - 1] as InputRecord;
    batch = [];
    if (++batches % 3 !== 0) return;
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(decoder.decode(last.data));
    } catch {
      return;
    }
    if (typeof body.card_id !== 'string' || typeof body.merchant_id !== 'string') return;
    const entities = [
      { entity: 'card', key: { card_id: body.card_id } },
      { entity: 'merchant', key: { merchant_id: body.merchant_id } },
    ];
    const t = last.arrivalMs;
    const features = Object.assign({}, ...(await store.readFeatures(entities, t)));
    logged.push({
      request_id: `r${batches}`,
      request_ms: t,
      t,
      entities: Object.fromEntries(entities.map((e) => [e.entity, e.key])),
      features,
      score: model.scoreVector(features),
      model_version: model.version,
      backend: 'embedded',
      fallback: false,
    });
  };
  for (const record of records) {
    if (batch.length > 0 && (batch[0]?.shardId !== record.shardId || batch.length === 50)) await flush();
    batch.push(record);
  }
  await flush();
  return logged;
}

describe('streamfeatures parity', () => {
  let dynamo: DynamoForTests;
  let store: OnlineStore;
  let table: string;
  const traffic = generateFraudTraffic({ events: 900, seed: 31, startMs: RECENT_START });
  const records = onShards(traffic.records, 2);
  const at = Math.max(...records.map((r) => r.arrivalMs)) + 1;
  const archive = join(dir, 'archive');
  const featureLog = join(dir, 'feature-log.jsonl');

  beforeAll(async () => {
    dynamo = await dynamoForTests();
    table = await createTestTable(dynamo.client);
    store = new OnlineStore({ client: dynamo.client, tableName: table, spec });
    const model = EmbeddedModel.fromDocument(JSON.parse(readFileSync(join(MODELS, `${MODEL}.json`), 'utf8')));
    const logged = await runOnline(store, records, model);
    writeFileSync(featureLog, logged.map((line) => JSON.stringify(line)).join('\n'));
    writeRawArchive(archive, spec.spec, records);
  });
  afterAll(async () => {
    await dynamo?.stop();
  });

  const env = () => ({
    ...process.env,
    AWS_ENDPOINT_URL: dynamo.endpoint,
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
  });

  async function parity(...args: string[]) {
    return runCli(['parity', '--spec', SPEC, '--archive', archive, '--table', table, ...args], env());
  }

  it('prints the real difference of a text feature (last), not Infinity', async () => {
    const lines = readFileSync(featureLog, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    lines[3].features.card_last_country_7d = 'XX';
    const tampered = join(dir, 'tampered-last.jsonl');
    writeFileSync(tampered, lines.map((line) => JSON.stringify(line)).join('\n'));
    const result = await parity('--feature-log', tampered, '--at', String(at));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('card_last_country_7d: 1 differ\n');
    expect(result.stdout).toMatch(/e\.g\. logged .* card_last_country_7d: replay "\w+", logged "XX"/);
    expect(result.stdout).not.toContain('Infinity');
  });

  it('tells lag from skew: online events the archive has not reached yet are lag, reported apart', async () => {
    // Traffic up to a few seconds ago, all of it online; the archive lacks the last fifth (Firehose's buffer).
    const recent = generateFraudTraffic({
      events: 400,
      seed: 41,
      startMs: Date.now() - 8_000 - 8_000 - 5_000,
    });
    const live = onShards(recent.records, 2).filter((r) => r.arrivalMs < Date.now());
    const liveTable = await createTestTable(dynamo.client);
    const liveStore = new OnlineStore({ client: dynamo.client, tableName: liveTable, spec });
    for (let i = 0; i < live.length; i += 100)
      expect((await liveStore.applyBatch(live.slice(i, i + 100))).retryFrom).toEqual([]);
    const byArrival = [...live].sort((a, b) => a.arrivalMs - b.arrivalMs);
    const delivered = byArrival.slice(0, Math.floor(byArrival.length * 0.8));
    const liveArchive = join(dir, 'live-archive');
    writeRawArchive(liveArchive, spec.spec, delivered);
    const args = [
      'parity',
      '--spec',
      SPEC,
      '--archive',
      liveArchive,
      '--table',
      liveTable,
      '--sample',
      '100000',
    ];

    // A scoring request logged just now saw every event online: the archive lacks some of them.
    const cutoff = (delivered.at(-1) as InputRecord).arrivalMs;
    const undelivered = recent.records.find((r) => r.kind === 'normal' && r.arrivalMs > cutoff);
    const body = JSON.parse(decoder.decode(undelivered?.data)) as { card_id: string };
    const t = Date.now();
    const [card] = await liveStore.readFeatures([{ entity: 'card', key: { card_id: body.card_id } }], t);
    const liveLog = join(dir, 'live-feature-log.jsonl');
    const line = {
      request_id: 'r1',
      request_ms: t,
      t,
      entities: { card: { card_id: body.card_id } },
      features: card,
    };
    writeFileSync(liveLog, `${JSON.stringify(line)}\n`);

    const result = await runCli([...args, '--feature-log', liveLog], env());
    expect(result.code, `${result.stdout}${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(
      /lag +\d+ more online keys differ only by events the archive has not reached yet/,
    );
    expect(result.stdout).toMatch(
      /lag +1 more logged vectors, later than the archive's latest arrival, differ only by/,
    );
    expect(result.stdout).toContain('no skew');

    // Read as of a time the user names, every difference is skew.
    const stated = await runCli([...args, '--at', String(Date.now())], env());
    expect(stated.code).toBe(1);
    expect(stated.stdout).toContain('SKEW');
  });

  it('finds no skew between the online store, the logged features and scores, and the replay', async () => {
    const report = join(dir, 'report.json');
    const result = await parity(
      ...['--feature-log', featureLog, '--models', MODELS, '--sample', '100000', '--at', String(at)],
      ...['--report', report],
    );
    expect(result.code, `${result.stdout}${result.stderr}`).toBe(0);
    expect(result.stdout).toContain('no skew');
    const json = JSON.parse(readFileSync(report, 'utf8'));
    const lines = readFileSync(featureLog, 'utf8').trim().split('\n').length;
    expect(lines).toBeGreaterThan(5);
    expect(json.logged).toMatchObject({
      vectors: lines,
      mismatches: 0,
      scores: { rescored: lines, mismatched: 0 },
    });
    expect(json.online.vectors).toBeGreaterThan(300);
    expect(json.online.mismatches).toBe(0);
    expect(json.events).toBe(records.length);
  });

  it('reports a logged feature and score that the replay does not give, naming them', async () => {
    const lines = readFileSync(featureLog, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    lines[2].features.card_txn_count_1h += 1;
    lines[4].score = 0.99;
    const tampered = join(dir, 'tampered.jsonl');
    writeFileSync(tampered, lines.map((line) => JSON.stringify(line)).join('\n'));
    const result = await parity('--feature-log', tampered, '--models', MODELS, '--at', String(at));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('card_txn_count_1h: 1 differ (max |diff| 1)');
    expect(result.stdout).toMatch(/scores +\d+ recomputed from the replayed features, 1 differ/);
    expect(result.stdout).toContain('SKEW');
  });

  it('reports online features the archive cannot explain', async () => {
    const first = JSON.parse(decoder.decode(records.find((r) => r.data.length > 50)?.data));
    const stray = jsonRecord(
      { ...first, event_id: 'not-in-the-archive', ts: at - 1_000 },
      at - 500,
      'shardId-000000000009',
      1,
    );
    expect((await store.applyBatch([stray])).retryFrom).toEqual([]);
    const result = await parity('--sample', '100000', '--at', String(at));
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/online +\d+ vectors \(\d+ values\) compared, [1-3] skewed/);
  });
});
