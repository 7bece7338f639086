import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { EntityState } from '../../core/engine/entity-state.js';
import {
  ArrivalSweep,
  compileSpec,
  type FeatureValue,
  type InputRecord,
  labelLookup,
  parseSpecJson,
  planTrainingSet,
  pointInTimeWith,
  trainingRow,
  trainingRows,
  trainingRowsInto,
} from '../../core/index.js';
import { generateFraudTraffic } from '../../examples/fraud/generate.js';
import { onShards } from '../support/stream.js';

const spec = compileSpec(parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8')));

async function* chunksOf(records: readonly InputRecord[], size: number): AsyncGenerator<InputRecord[]> {
  for (let i = 0; i < records.length; i += size) yield records.slice(i, i + size);
}

describe('trainingRows', () => {
  const traffic = generateFraudTraffic({ events: 3_000, seed: 5 });
  const records = onShards(traffic.records, 2);
  const plan = planTrainingSet(spec, traffic.labels[0]);
  // Every transaction labelled, plus labels of keys no event carries (a card and a merchant never seen).
  const labels = traffic.labels.flatMap((label, i) =>
    i % 500 === 7 ? [label, { ...label, card_id: 'never-seen', merchant_id: 424242 }] : [label],
  );
  const lookups = labels.map((label, i) => labelLookup(spec, plan, label, i + 1));

  it('writes every row, value for value and bit for bit, as trainingRow of the merged partials of each state', async () => {
    // The reference reads each key with EntityState.read: partials merged oldest first (aggregates.ts).
    const reference = new ArrivalSweep(spec);
    const expected: (string | number | null)[][] = [];
    for await (const row of pointInTimeWith(reference, chunksOf(records, 250), lookups, (lookup) => {
      const features: Record<string, FeatureValue> = {};
      plan.entities.forEach((entity, e) => {
        const key = lookup.entities[e]?.key ?? {};
        (reference.stateOf(entity, key) ?? new EntityState(entity)).read(lookup.t, features);
      });
      return trainingRow(plan, lookup, features);
    }))
      expected.push(row);

    const rows: (string | number | null)[][] = [];
    for await (const row of trainingRows(new ArrivalSweep(spec), plan, chunksOf(records, 250), lookups))
      rows.push(row);

    expect(rows).toHaveLength(lookups.length);
    const differing = rows.flatMap((row, i) =>
      isDeepStrictEqual(row, expected[i]) ? [] : [{ i, row, want: expected[i] }],
    );
    expect(differing.slice(0, 3)).toEqual([]);
    // The unseen keys read as empty windows: counts 0, the rest null.
    const unseen = rows[lookups.findIndex((l) => l.payload.keys.includes('never-seen'))] as unknown[];
    expect(unseen[plan.columns.findIndex((c) => c.name === 'card_txn_count_1h')]).toBe(0);
    expect(unseen[plan.columns.findIndex((c) => c.name === 'card_amount_avg_24h')]).toBeNull();
    // Some rows carry a country (a STRING column) and some a distinct count past one tile.
    expect(
      rows.some(
        (row) => typeof row[plan.columns.findIndex((c) => c.name === 'card_last_country_7d')] === 'string',
      ),
    ).toBe(true);
  });

  it('hands on the same rows one at a time into one array, in label order, each before the next is read', async () => {
    const expected: (string | number | null)[][] = [];
    for await (const row of trainingRows(new ArrivalSweep(spec), plan, chunksOf(records, 250), lookups))
      expected.push(row);
    const rows: (string | number | null)[][] = [];
    const arrays = new Set<readonly unknown[]>();
    let handedOn = 0;
    const take = (row: readonly (string | number | null)[]) => {
      arrays.add(row);
      rows.push([...row]);
    };
    for await (const n of trainingRowsInto(
      new ArrivalSweep(spec),
      plan,
      chunksOf(records, 250),
      lookups,
      take,
    ))
      handedOn += n;
    expect(handedOn).toBe(lookups.length);
    expect(arrays.size).toBe(1);
    expect(rows).toHaveLength(expected.length);
    expect(rows.findIndex((row, i) => !isDeepStrictEqual(row, expected[i]))).toBe(-1);
  });

  it("fails on a lookup whose entities are not the plan's, naming both", async () => {
    const [first] = lookups;
    if (!first) throw new Error('no lookups');
    const wrong = { ...first, entities: [...first.entities].reverse() };
    const rows = trainingRows(new ArrivalSweep(spec), plan, chunksOf(records, 1000), [wrong]);
    await expect(rows.next()).rejects.toThrow(/names entity "card_merchant" where the plan has "card"/);
  });
});
