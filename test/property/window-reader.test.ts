/**
 * The point-in-time join's window reads (core/engine/window-reader.ts, window-fold.ts: no partials made; by name and
 * by position) against the state's own read, which merges partials (aggregates.ts), bit for bit: random streams of
 * floating-point amounts, late events (into tiles behind the newest), events ahead of their arrival, settles,
 * sketches past their exact range, and reads of each key at times that mostly advance, sometimes step back, sometimes
 * repeat.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { itemKeyOf } from '../../core/engine/memory-engine.js';
import { readWindows, readWindowsInto } from '../../core/engine/window-reader.js';
import {
  compileSpec,
  type FeatureValue,
  type InputRecord,
  MemoryEngine,
  parseSpec,
} from '../../core/index.js';

const T0 = 1_699_999_980_000;

/** Every aggregation, on tiles of 1 s to 4 s, windows of several tiles; lateness reaches tiles behind the newest. */
const SPEC = compileSpec(
  parseSpec({
    version: 1,
    name: 'windows',
    event: { timeField: 'ts', allowedLateness: '6s', maxFutureSkew: '2s' },
    entities: { card: ['card_id'], merchant: ['merchant_id'] },
    features: [
      { name: 'count_5s', entity: 'card', agg: 'count', window: '5s', tile: '1s' },
      { name: 'sum_8s', entity: 'card', agg: 'sum', field: 'amount', window: '8s', tile: '1s' },
      { name: 'avg_12s', entity: 'card', agg: 'avg', field: 'amount', window: '12s', tile: '2s' },
      { name: 'stddev_12s', entity: 'card', agg: 'stddev', field: 'amount', window: '12s', tile: '2s' },
      { name: 'min_6s', entity: 'card', agg: 'min', field: 'amount', window: '6s', tile: '2s' },
      { name: 'max_6s', entity: 'card', agg: 'max', field: 'amount', window: '6s', tile: '2s' },
      { name: 'last_8s', entity: 'card', agg: 'last', field: 'merchant_id', window: '8s', tile: '4s' },
      {
        name: 'distinct_8s',
        entity: 'card',
        agg: 'distinct',
        field: 'merchant_id',
        window: '8s',
        tile: '1s',
      },
      {
        name: 'm_distinct_20s',
        entity: 'merchant',
        agg: 'distinct',
        field: 'card_id',
        window: '20s',
        tile: '4s',
      },
      { name: 'm_sum_20s', entity: 'merchant', agg: 'sum', field: 'amount', window: '20s', tile: '4s' },
      {
        name: 'm_ok_10s',
        entity: 'merchant',
        agg: 'count',
        window: '10s',
        tile: '1s',
        where: { field: 'ok', eq: true },
      },
    ],
  }),
);

const opArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('event' as const),
      gapMs: fc.integer({ min: 0, max: 700 }),
      // Mostly on time; some late by up to the lateness (into older tiles), some ahead of their arrival.
      skewMs: fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min: -300, max: 0 }) },
        { weight: 2, arbitrary: fc.integer({ min: -6_000, max: -300 }) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: 2_000 }) },
      ),
      card: fc.nat(3),
      merchant: fc.nat(1),
      amount: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      // Many cards at a merchant: its sketches pass the exact range and go dense.
      cardTag: fc.nat(400),
      ok: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('read' as const),
      entity: fc.constantFrom('card', 'merchant'),
      key: fc.nat(3),
      // Mostly at or after the last arrival; sometimes back in time, past a tile or two.
      offsetMs: fc.oneof(
        { weight: 5, arbitrary: fc.integer({ min: 0, max: 3_000 }) },
        { weight: 1, arbitrary: fc.integer({ min: -9_000, max: 0 }) },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('settle' as const) }) },
);

describe('window reads without partials', () => {
  it('give every value exactly as the state reads it afresh, through late events, ahead events and settles', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 20, maxLength: 400 }), (ops) => {
        const engine = new MemoryEngine(SPEC);
        const encoder = new TextEncoder();
        let arrival = T0;
        let sequence = 0;
        const mismatches: unknown[] = [];
        for (const op of ops) {
          if (op.kind === 'event') {
            arrival += op.gapMs;
            const body = {
              ts: arrival + op.skewMs,
              card_id: op.card === 0 ? `c${op.cardTag}` : `card-${op.card}`,
              merchant_id: `m${op.merchant}`,
              amount: op.amount,
              ok: op.ok,
            };
            const record: InputRecord = {
              data: encoder.encode(JSON.stringify(body)),
              arrivalMs: arrival,
              shardId: 'shard-0',
              sequenceNumber: String(++sequence).padStart(10, '0'),
            };
            engine.ingest([record]);
          } else if (op.kind === 'settle') {
            engine.settle(arrival);
          } else {
            const entity = SPEC.entityByName.get(op.entity);
            if (!entity) throw new Error(op.entity);
            const key =
              op.entity === 'card' ? { card_id: `card-${op.key}` } : { merchant_id: `m${op.key % 2}` };
            const state = engine.states.get(itemKeyOf(entity, key));
            if (!state) continue;
            const t = arrival + op.offsetMs;
            const cached = readWindows(state, t);
            const fresh = state.read(t);
            // By position, as a training row reads (features sharing a window fold from one walk of its tiles).
            const row: FeatureValue[] = [];
            readWindowsInto(
              entity,
              state,
              t,
              row,
              entity.features.map((_, position) => position),
            );
            entity.features.forEach(({ feature: { name } }, position) => {
              for (const [how, value] of [
                ['cached', cached[name]],
                ['by position', row[position]],
              ] as const) {
                if (!isDeepStrictEqual(value, fresh[name]) && !Object.is(value, fresh[name])) {
                  mismatches.push({ name, t, how, value, fresh: fresh[name] });
                }
              }
            });
          }
        }
        expect(mismatches).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });
});
