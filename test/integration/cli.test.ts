import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnlineStore } from '../../adapters/online-store/online-store.js';
import { compileSpec, type InputRecord, parseSpecJson } from '../../core/index.js';
import { generateFraudTraffic, toJsonLines } from '../../examples/fraud/generate.js';
import { runCli } from '../support/cli.js';
import { createTestTable, type DynamoForTests, dynamoForTests } from '../support/dynamodb.js';
import { batchesOf, onShards, RECENT_START } from '../support/stream.js';

const SPEC = 'examples/fraud/spec.json';
const dir = mkdtempSync(join(tmpdir(), 'streamfeatures-cli-'));

const cli = (...args: string[]) => runCli(args);

describe('streamfeatures spec', () => {
  it('check accepts the fraud spec and says what it holds', async () => {
    const result = await cli('spec', 'check', SPEC);
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain('16 features over card (10), merchant (4), card_merchant (2)');
  });

  it('check fails with exit 1 and the path and value of each problem', async () => {
    const bad = join(dir, 'bad.json');
    const spec = JSON.parse(readFileSync(SPEC, 'utf8'));
    spec.features[2].window = '7m';
    writeFileSync(bad, JSON.stringify(spec));
    const result = await cli('spec', 'check', bad);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('features[2].window: "7m" is not a multiple of tile "5m"');
  });

  it('print gives the normalized spec, which checks again unchanged', async () => {
    const printed = await cli('spec', 'print', SPEC);
    const path = join(dir, 'normalized.json');
    writeFileSync(path, printed.stdout);
    expect((await cli('spec', 'print', path)).stdout).toBe(printed.stdout);
  });

  it('names a missing file and a bad command', async () => {
    expect((await cli('spec', 'check', join(dir, 'nope.json'))).stderr).toContain('cannot read spec file');
    const unknown = await cli('respec');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "respec"');
  });
});

describe('streamfeatures replay', () => {
  const spec = compileSpec(parseSpecJson(readFileSync(SPEC, 'utf8')));
  const traffic = generateFraudTraffic({ events: 600, seed: 5, startMs: RECENT_START });
  const records = onShards(traffic.records, 2);
  const t = Math.max(...records.map((r) => r.arrivalMs)) + 1;
  const decoder = new TextDecoder();
  let dynamo: DynamoForTests;

  beforeAll(async () => {
    dynamo = await dynamoForTests();
  });
  afterAll(async () => {
    await dynamo?.stop();
  });

  function queriesFor(input: readonly InputRecord[], at: number) {
    const queries = new Map<string, { entity: string; key: Record<string, string>; t: number }>();
    for (const record of input) {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(decoder.decode(record.data));
      } catch {
        continue;
      }
      if (typeof body.card_id !== 'string' || typeof body.merchant_id !== 'string') continue;
      const { card_id, merchant_id } = body;
      const keys: { entity: string; key: Record<string, string> }[] = [
        { entity: 'card', key: { card_id } },
        { entity: 'merchant', key: { merchant_id } },
        { entity: 'card_merchant', key: { card_id, merchant_id } },
      ];
      for (const query of keys) {
        queries.set(JSON.stringify(query), { ...query, t: at });
      }
    }
    return [...queries.values()];
  }

  it('answers what the online store answers after the same events, and accounts for every event', async () => {
    const { events } = toJsonLines(traffic);
    const queries = queriesFor(records, t);
    writeFileSync(join(dir, 'events.jsonl'), events);
    writeFileSync(join(dir, 'queries.jsonl'), queries.map((q) => JSON.stringify(q)).join('\n'));
    const out = join(dir, 'out.jsonl');

    const result = await cli(
      'replay',
      ...['--spec', SPEC, '--events', join(dir, 'events.jsonl'), '--queries', join(dir, 'queries.jsonl')],
      ...['--out', out, '--arrival-field', 'arrival_ms'],
    );
    expect(result.stderr).toMatch(/replayed \d+ events/);
    const counts = result.stderr.match(
      /counted (\d+), invalid (\d+), future (\d+), late (\d+), duplicate (\d+)/,
    );
    const [counted, invalid, future, late, duplicate] = (counts ?? []).slice(1).map(Number);
    expect({ counted, invalid, future, late, duplicate }).toEqual({
      counted: traffic.counts.normal + traffic.counts.fraud,
      invalid: traffic.counts.invalid,
      future: traffic.counts.future,
      late: traffic.counts.late,
      duplicate: traffic.counts.duplicate,
    });

    const answers = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(answers.map(({ entity, key, t }) => ({ entity, key, t }))).toEqual(queries);

    const store = new OnlineStore({
      client: dynamo.client,
      tableName: await createTestTable(dynamo.client),
      spec,
    });
    for (const batch of batchesOf(records, 100))
      expect((await store.applyBatch(batch)).retryFrom).toEqual([]);
    for (let i = 0; i < queries.length; i += 100) {
      const online = await store.readFeatures(queries.slice(i, i + 100), t);
      online.forEach((values, j) => {
        const offline = answers[i + j].features as Record<string, unknown>;
        for (const [name, value] of Object.entries(offline)) {
          if (typeof value === 'number') expect(values[name], name).toBeCloseTo(value, 6);
          else expect(values[name], name).toEqual(value);
        }
      });
    }
  });

  it('fails on a query it cannot answer, naming the line and value', async () => {
    writeFileSync(join(dir, 'bad-queries.jsonl'), '{"entity":"card","key":{"card_id":"c1"},"t":"noon"}\n');
    const result = await cli(
      ...['replay', '--spec', SPEC, '--events', join(dir, 'events.jsonl')],
      ...['--queries', join(dir, 'bad-queries.jsonl'), '--out', join(dir, 'o.jsonl')],
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'bad-queries.jsonl:1: "t" must be epoch ms or ISO-8601 with a zone (got "noon")',
    );
  });
});
