/**
 * Non-finite results (README, Semantics): a sum, avg or stddev whose running state stops being a finite double
 * reads as null, stays null while the tile that overflowed is in the window, and reads the same from the memory
 * engine (the replay, the training set) and from the state as the online store keeps it (JSON).
 */
import { describe, expect, it } from 'vitest';
import {
  type CompiledSpec,
  compileSpec,
  EntityState,
  type EntityStateJson,
  type InputRecord,
  MemoryEngine,
  parseSpec,
} from '../../core/index.js';

/** A whole minute: the 2 s tiles have a boundary on it. */
const T = 1_699_999_980_000;
const encoder = new TextEncoder();
const AGGS = ['count', 'sum', 'avg', 'min', 'max', 'stddev', 'last'] as const;

const spec: CompiledSpec = compileSpec(
  parseSpec({
    version: 1,
    name: 'overflow',
    event: { timeField: 'ts' },
    entities: { card: ['card_id'] },
    features: AGGS.map((agg) => ({
      name: agg,
      entity: 'card',
      agg,
      window: '10s',
      tile: '2s',
      ...(agg === 'count' ? {} : { field: 'x' }),
    })),
  }),
);
const entity = spec.entityByName.get('card') as NonNullable<ReturnType<typeof spec.entityByName.get>>;

/** Events of card c1 with these raw JSON values of x, at T, T+1, ... (offsets in ms). */
function events(values: readonly (readonly [offsetMs: number, x: string])[]): InputRecord[] {
  return values.map(([offset, x], i) => ({
    data: encoder.encode(`{"ts": ${T + offset}, "card_id": "c1", "x": ${x}}`),
    arrivalMs: T + offset + 1,
    shardId: 'shard-1',
    sequenceNumber: String(i + 1),
  }));
}

/** The features at t from the memory engine, and from the state after a JSON round trip as the store keeps it. */
function bothWays(records: InputRecord[], t: number) {
  const engine = new MemoryEngine(spec);
  engine.ingest(records);
  const memory = engine.read('card', { card_id: 'c1' }, t);
  const state = engine.states.get('card#c1') as EntityState;
  const stored = JSON.parse(JSON.stringify(state)) as EntityStateJson;
  const online = EntityState.fromJSON(entity, stored).read(t);
  return { memory, online };
}

describe('overflow reads as null, the same in memory and as stored', () => {
  it('sum and avg of two 1e308 are null (not 0, not Infinity); stddev, min, max, count stay exact', () => {
    const { memory, online } = bothWays(
      events([
        [0, '1e308'],
        [1, '1e308'],
      ]),
      T + 5000,
    );
    expect(memory).toEqual({
      count: 2,
      sum: null,
      avg: null,
      min: 1e308,
      max: 1e308,
      stddev: 0,
      last: 1e308,
    });
    expect(online).toEqual(memory);
  });

  it('stddev whose squared deviations overflow is null', () => {
    const { memory, online } = bothWays(
      events([
        [0, '1e308'],
        [1, '-1e308'],
      ]),
      T + 5000,
    );
    expect(memory.stddev).toBeNull();
    expect(memory.sum).toBe(0);
    expect(online).toEqual(memory);
  });

  it('a tile that overflowed keeps its window null though later events bring the sum back, until it leaves', () => {
    const records = events([
      [0, '1e308'],
      [1, '1e308'],
      [4000, '-1e308'],
      [4001, '5'],
    ]);
    const inWindow = bothWays(records, T + 5000);
    expect(inWindow.memory).toMatchObject({ sum: null, avg: null, count: 4 });
    expect(inWindow.online).toEqual(inWindow.memory);
    // At T+10s the tile [T, T+2s) has left the 10 s window; the one from T+4s remains.
    const later = bothWays(records, T + 10_000);
    expect(later.memory).toMatchObject({ count: 2, sum: -1e308 + 5, avg: (-1e308 + 5) / 2, max: 5 });
    expect(later.online).toEqual(later.memory);
  });

  it('overflow across tiles (each tile finite) is null too', () => {
    const { memory, online } = bothWays(
      events([
        [0, '1e308'],
        [2000, '1e308'],
      ]),
      T + 5000,
    );
    expect(memory).toMatchObject({ sum: null, avg: null, stddev: 0 });
    expect(online).toEqual(memory);
  });

  it('large but finite values (1e120) give the same finite values both ways', () => {
    const { memory, online } = bothWays(
      events([
        [0, '1e120'],
        [1, '3e120'],
      ]),
      T + 5000,
    );
    const { stddev, ...exact } = memory;
    expect(exact).toEqual({ count: 2, sum: 4e120, avg: 2e120, min: 1e120, max: 3e120, last: 3e120 });
    expect(Math.abs((stddev as number) / 1e120 - 1)).toBeLessThan(1e-12);
    expect(online).toEqual(memory);
  });

  it('last of a number JSON cannot hold (1e999 parses to Infinity) reads null, as the store keeps it', () => {
    const spec = compileSpec(
      parseSpec({
        version: 1,
        name: 'last',
        event: { timeField: 'ts' },
        entities: { card: ['card_id'] },
        features: [{ name: 'last', entity: 'card', agg: 'last', field: 'x', window: '10s', tile: '2s' }],
      }),
    );
    const engine = new MemoryEngine(spec);
    engine.ingest(events([[0, '1e999']]));
    expect(engine.read('card', { card_id: 'c1' }, T + 5000)).toEqual({ last: null });
  });

  it('reads a partial stored as null by an earlier version (Infinity in JSON) as overflowed, not as 0', () => {
    const engine = new MemoryEngine(spec);
    engine.ingest(events([[0, '1']]));
    const stored = JSON.parse(JSON.stringify(engine.states.get('card#c1'))) as EntityStateJson;
    const [, fingerprints, rows] = stored.g[0] as EntityStateJson['g'][number];
    const partials = (rows[0] as [number, unknown[]])[1];
    partials[AGGS.indexOf('sum')] = null;
    partials[AGGS.indexOf('avg')] = [1, null];
    partials[AGGS.indexOf('stddev')] = [1, null, 0];
    expect(fingerprints).toHaveLength(AGGS.length);
    const values = EntityState.fromJSON(entity, stored).read(T + 5000);
    expect(values).toMatchObject({ sum: null, avg: null, stddev: null, count: 1 });
  });
});
