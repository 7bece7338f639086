import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ArrivalSweep,
  compileSpec,
  type InputRecord,
  type Lookup,
  labelLookup,
  parseSpecJson,
  planTrainingSet,
  pointInTime,
  pointInTimeWith,
  replay,
  trainingRow,
} from '../../core/index.js';
import { ANSWER_BATCH, pointInTimeBatches } from '../../core/point-in-time.js';
import { generateFraudTraffic } from '../../examples/fraud/generate.js';
import { jsonRecord, onShards } from '../support/stream.js';

const spec = compileSpec(parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8')));

async function* chunksOf(records: readonly InputRecord[], size: number): AsyncGenerator<InputRecord[]> {
  for (let i = 0; i < records.length; i += size) yield records.slice(i, i + size);
}

describe('pointInTime', () => {
  const traffic = generateFraudTraffic({ events: 3_000, seed: 11 });
  const records = onShards(traffic.records, 2);
  const plan = planTrainingSet(spec, traffic.labels[0]);
  const lookups = traffic.labels.map((label, i) => labelLookup(spec, plan, label, i + 1));

  it('answers each label exactly as the in-memory replay does, for any chunking, and counts every record', async () => {
    const queries = lookups.flatMap((lookup) =>
      lookup.entities.map((e) => ({ entity: e.entity, key: e.key as Record<string, string>, t: lookup.t })),
    );
    const expected = replay(spec, records, queries);
    for (const size of [1, 333, 100_000]) {
      const sweep = new ArrivalSweep(spec);
      const rows: Record<string, unknown>[] = [];
      for await (const { features } of pointInTime(sweep, chunksOf(records, size), lookups))
        rows.push(features);
      expect(rows).toHaveLength(lookups.length);
      rows.forEach((features, i) => {
        const merged = Object.assign({}, ...expected.answers.slice(i * 3, i * 3 + 3).map((a) => a.features));
        expect(features).toEqual(merged);
      });
      expect(sweep.totals).toEqual(expected.totals);
      expect(Object.values(sweep.totals).reduce((a, b) => a + b, 0)).toBe(records.length);
    }
  });

  it('never lets a label see its own event or anything after it', async () => {
    const T = Date.parse('2026-11-26T10:00:00Z');
    const event = (id: string, tau: number, alpha: number, seq: number) =>
      jsonRecord(
        {
          event_id: id,
          card_id: 'c1',
          merchant_id: 'm1',
          ts: tau,
          amount: 10,
          status: 'approved',
          geo: { country: 'US' },
        },
        alpha,
        's',
        seq,
      );
    const stream = [event('e1', T, T + 500, 1), event('e2', T + 1_000, T + 1_200, 2)];
    const at = (ts: number) => labelLookup(spec, plan, { card_id: 'c1', merchant_id: 'm1', ts, label: 0 }, 1);
    const counts: unknown[] = [];
    const sweep = new ArrivalSweep(spec);
    for await (const { features } of pointInTime(sweep, chunksOf(stream, 1), [
      at(T),
      at(T + 600),
      at(T + 1_100),
    ])) {
      counts.push(features.card_txn_count_10m);
    }
    // At its own time e1 is not counted (τ < t fails); after it arrived it is; e2 (τ = T + 1000) is not yet
    // arrived at T + 1100.
    expect(counts).toEqual([0, 1, 1]);
  });

  it('answers in batches of at most ANSWER_BATCH, in order, what it answers one at a time, from an array or a stream of lookups', async () => {
    const answerT = (lookup: Lookup<unknown>) => lookup.t;
    const single: number[] = [];
    for await (const t of pointInTimeWith(new ArrivalSweep(spec), chunksOf(records, 400), lookups, answerT))
      single.push(t);
    async function* streamed() {
      yield* lookups;
    }
    for (const source of [lookups, streamed()]) {
      const sweep = new ArrivalSweep(spec);
      const batches: number[][] = [];
      for await (const batch of pointInTimeBatches(sweep, chunksOf(records, 400), source, answerT))
        batches.push(batch);
      expect(batches.flat()).toEqual(single);
      expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(ANSWER_BATCH);
      // A batch goes out before the sweep waits for records: more batches than the labels alone would make.
      expect(batches.length).toBeGreaterThan(Math.ceil(lookups.length / ANSWER_BATCH));
      expect(sweep.ingested).toBe(records.length);
    }
  });

  it('closes a stream of lookups when its consumer stops early', async () => {
    let closed = false;
    async function* streamed() {
      try {
        yield* lookups;
      } finally {
        closed = true;
      }
    }
    for await (const _ of pointInTimeBatches(
      new ArrivalSweep(spec),
      chunksOf(records, 400),
      streamed(),
      (l) => l,
    )) {
      break;
    }
    expect(closed).toBe(true);
  });

  it('fails on lookups out of time order, naming them', async () => {
    const sweep = new ArrivalSweep(spec);
    const reversed = [lookups[5], lookups[1]] as Lookup<unknown>[];
    const run = async () => {
      for await (const _ of pointInTime(sweep, chunksOf(records, 100), reversed)) {
        // drain
      }
    };
    await expect(run()).rejects.toThrow(
      /lookups must come in time order: lookup 2 is at t=\d+, after one at t=\d+/,
    );
  });
});

describe('training-set plan and rows', () => {
  const label = { card_id: 'c1', merchant_id: 'm1', ts: '2026-11-26T10:00:00Z', event_id: 'e1', label: true };

  it('joins every entity the label carries keys for, and lays out keys, t, id, label, then features', () => {
    const plan = planTrainingSet(spec, label);
    expect(plan.entities.map((e) => e.name)).toEqual(['card', 'merchant', 'card_merchant']);
    expect(plan.columns.slice(0, 5).map((c) => `${c.name}:${c.type}`)).toEqual([
      'card_id:STRING',
      'merchant_id:STRING',
      't:INT64',
      'event_id:STRING',
      'label:DOUBLE',
    ]);
    expect(plan.columns).toHaveLength(5 + spec.spec.features.length);
    const lookup = labelLookup(spec, plan, label, 1);
    expect(lookup.t).toBe(Date.parse('2026-11-26T10:00:00Z'));
    const row = trainingRow(plan, lookup, { card_txn_count_10m: 2 });
    expect(row.slice(0, 6)).toEqual(['c1', 'm1', lookup.t, 'e1', 1, 2]);
  });

  it('takes only the named entities, and only those whose keys a label carries by default', () => {
    expect(planTrainingSet(spec, label, { entities: ['merchant'] }).keyFields).toEqual(['merchant_id']);
    expect(planTrainingSet(spec, { merchant_id: 'm1', ts: 1, label: 0 }).entities.map((e) => e.name)).toEqual(
      ['merchant'],
    );
  });

  it('names the line, field and value of a bad label', () => {
    const plan = planTrainingSet(spec, label);
    expect(() => labelLookup(spec, plan, { ...label, ts: 'noon' }, 7)).toThrow(
      'line 7: time field "ts" must be epoch ms or ISO-8601 with a zone (got "noon")',
    );
    expect(() => labelLookup(spec, plan, { ...label, label: 'yes' }, 8)).toThrow(
      'line 8: field "label" must be a number or boolean (got "yes")',
    );
    expect(() => labelLookup(spec, plan, { ...label, merchant_id: '' }, 9)).toThrow(
      'line 9: key field "merchant_id" must be a non-empty string or a number (got "")',
    );
    expect(() => planTrainingSet(spec, { ts: 1, label: 0 })).toThrow(
      /the first label carries the key fields of no entity/,
    );
    expect(() => planTrainingSet(spec, label, { entities: ['shop'] })).toThrow('unknown entity "shop"');
  });
});
