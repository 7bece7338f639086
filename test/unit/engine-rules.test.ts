/**
 * The normative feature semantics (README, "Semantics"), one rule at a time, through the public API: classify, MemoryEngine
 * and replay. Each test names the behaviour it pins down.
 */
import { describe, expect, it } from 'vitest';
import {
  type CompiledSpec,
  classify,
  compileSpec,
  type InputRecord,
  isRejection,
  MemoryEngine,
  parseSpec,
  type Rejection,
  replay,
} from '../../core/index.js';

/** A whole minute: every tile size used here has a boundary on it. */
const T = 1_699_999_980_000;
const encoder = new TextEncoder();

const countFeature = { name: 'n', entity: 'card', agg: 'count', window: '10s', tile: '2s' };

function specWith(
  features: object[] = [countFeature],
  event: object = {},
  entities: Record<string, string[]> = { card: ['card_id'] },
): CompiledSpec {
  return compileSpec(
    parseSpec({ version: 1, name: 'rules', event: { timeField: 'ts', ...event }, entities, features }),
  );
}

/**
 * Records with rising sequence numbers, each on a shard of its own unless told otherwise: records given out of
 * arrival order must not look redelivered.
 */
function recorder() {
  let n = 0;
  return (
    body: unknown,
    arrivalMs: number,
    at: { shardId?: string; sequenceNumber?: string } = {},
  ): InputRecord => {
    n++;
    return {
      data:
        body instanceof Uint8Array
          ? body
          : encoder.encode(typeof body === 'string' ? body : JSON.stringify(body)),
      arrivalMs,
      shardId: at.shardId ?? `shard-${n}`,
      sequenceNumber: at.sequenceNumber ?? String(n),
    };
  };
}

function rejectionOf(spec: CompiledSpec, record: InputRecord): Rejection {
  const result = classify(spec, record);
  if (!isRejection(result)) throw new Error(`expected a rejection, got a valid event at τ=${result.tau}`);
  return result;
}

/** Each record's outcome after one MemoryEngine ingests them all in one batch, in the order given. */
function outcomes(spec: CompiledSpec, records: InputRecord[]): string[] {
  const { counted, rejected } = new MemoryEngine(spec).ingest(records);
  return records.map((r) => {
    if (counted.includes(r)) return 'counted';
    const rejection = rejected.find((x) => x.record === r);
    return rejection ? `${rejection.reason}/${rejection.rule}` : 'lost';
  });
}

/** The features of one entity key as of t, by replay. */
function valuesAt(
  spec: CompiledSpec,
  records: InputRecord[],
  t: number,
  key: Record<string, string | number> = { card_id: 'c1' },
  entity = 'card',
): Record<string, unknown> {
  return replay(spec, records, [{ entity, key, t }]).answers[0]?.features as Record<string, unknown>;
}

const at = (tau: number | string, extra: object = {}) => ({ ts: tau, card_id: 'c1', ...extra });

describe('invalid records go to the quarantine with a reason that names the bad value', () => {
  const spec = specWith();
  const record = recorder();

  it('quarantines a record that is not JSON', () => {
    const r = rejectionOf(spec, record('{"ts": 1, "card_id": ', T));
    expect([r.reason, r.rule]).toEqual(['invalid', 'not-json']);
  });

  it('quarantines a record that is not UTF-8', () => {
    const r = rejectionOf(spec, record(Uint8Array.from([0x7b, 0x22, 0xff, 0x22, 0x7d]), T));
    expect([r.reason, r.rule]).toEqual(['invalid', 'not-json']);
  });

  it('reads a payload led by a UTF-8 byte-order mark as the JSON after it', () => {
    const json = encoder.encode(JSON.stringify(at(T)));
    const result = classify(spec, record(Uint8Array.from([0xef, 0xbb, 0xbf, ...json]), T));
    expect(isRejection(result)).toBe(false);
  });

  it('names the bytes that are not UTF-8 in the message, and refuses an overlong encoding', () => {
    const r = rejectionOf(spec, record(Uint8Array.from([0x7b, 0x22, 0xff, 0x22, 0x7d]), T));
    expect(r.message).toBe('record is not UTF-8 JSON: The encoded data was not valid for encoding utf-8');
    // "/" as two bytes (C0 AF): a decoder that took it would let a payload hide characters.
    const overlong = rejectionOf(spec, record(Uint8Array.from([0x22, 0xc0, 0xaf, 0x22]), T));
    expect(overlong.rule).toBe('not-json');
  });

  it.each([
    ['an array', '[1,2]'],
    ['a number', '42'],
    ['null', 'null'],
    ['a string', '"hello"'],
  ])('quarantines JSON that is %s, not an object', (_, text) => {
    const r = rejectionOf(spec, record(text, T));
    expect([r.reason, r.rule]).toEqual(['invalid', 'not-object']);
    expect(r.message).toContain(text);
  });

  it('quarantines an event without its time field, naming the field', () => {
    const r = rejectionOf(spec, record({ card_id: 'c1' }, T));
    expect([r.reason, r.rule]).toEqual(['invalid', 'time-missing']);
    expect(r.message).toContain('"ts"');
  });

  it('quarantines an event whose time has no zone', () => {
    const r = rejectionOf(spec, record(at('2023-11-14T22:13:00.000'), T));
    expect([r.reason, r.rule]).toEqual(['invalid', 'time-unparsable']);
    expect(r.message).toContain('2023-11-14T22:13:00.000');
  });

  it.each([
    ['a word', 'yesterday'],
    ['a boolean', true],
    ['a numeric string', String(T)],
    ['an object', { ms: T }],
  ])('quarantines an event whose time is %s', (_, value) => {
    const r = rejectionOf(spec, record(at(value as never), T));
    expect([r.reason, r.rule]).toEqual(['invalid', 'time-unparsable']);
    expect(r.message).toContain(JSON.stringify(value));
  });

  it('quarantines an event whose time is not finite (1e999 in the JSON), and says so', () => {
    const r = rejectionOf(spec, record(`{"ts": 1e999, "card_id": "c1"}`, T));
    expect([r.reason, r.rule]).toEqual(['invalid', 'time-unparsable']);
    // The message must name the bad value; "got null" would send whoever reads the quarantine the wrong way.
    expect(r.message).not.toContain('got null');
    expect(r.message).toMatch(/Infinity|1e999/);
  });

  it('reads ISO-8601 times with Z and with an offset as the instants they name', () => {
    const z = classify(spec, record(at('2023-11-14T22:13:00.000Z'), T));
    const offset = classify(spec, record(at('2023-11-15T00:13:00.000+02:00'), T));
    const ms = Date.UTC(2023, 10, 14, 22, 13);
    expect(isRejection(z) ? z.rule : z.tau).toBe(ms);
    expect(isRejection(offset) ? offset.rule : offset.tau).toBe(ms);
  });

  it.each([
    ['missing', {}],
    ['empty', { card_id: '' }],
    ['a boolean', { card_id: true }],
    ['null', { card_id: null }],
  ])('quarantines an event whose entity key is %s, naming the key field', (_, key) => {
    const r = rejectionOf(spec, record({ ts: T, ...key }, T));
    expect([r.reason, r.rule]).toEqual(['invalid', 'key-missing']);
    expect(r.message).toContain('card_id');
  });

  it('accepts a number as an entity key, the same key as its decimal string', () => {
    const rec = recorder();
    const records = [rec({ ts: T, card_id: 7 }, T), rec({ ts: T + 1, card_id: '7' }, T + 1)];
    expect(valuesAt(spec, records, T + 2, { card_id: 7 })).toEqual({ n: 2 });
    expect(valuesAt(spec, records, T + 2, { card_id: '7' })).toEqual({ n: 2 });
  });

  it('quarantines an event missing any field of a two-field key, even if another entity could count it', () => {
    const twoEntities = specWith(
      [countFeature, { ...countFeature, name: 'n_cm', entity: 'card_merchant' }],
      {},
      { card: ['card_id'], card_merchant: ['card_id', 'merchant_id'] },
    );
    const r = rejectionOf(twoEntities, record(at(T), T));
    expect([r.reason, r.rule]).toEqual(['invalid', 'key-missing']);
    expect(r.message).toContain('merchant_id');
    expect(valuesAt(twoEntities, [record(at(T), T)], T + 1)).toEqual({ n: 0 });
  });

  it('quarantines an event without an id when the spec names an id field, and needs none otherwise', () => {
    const withId = specWith([countFeature], { idField: 'event_id' });
    const r = rejectionOf(withId, record(at(T), T));
    expect([r.reason, r.rule]).toEqual(['invalid', 'id-missing']);
    expect(r.message).toContain('event_id');
    expect(rejectionOf(withId, record(at(T, { event_id: '' }), T)).rule).toBe('id-missing');
    expect(isRejection(classify(spec, record(at(T), T)))).toBe(false);
  });

  describe('aggregated fields', () => {
    const amounts = specWith([
      { name: 'total', entity: 'card', agg: 'sum', field: 'amount', window: '10s', tile: '2s' },
      {
        name: 'shops',
        entity: 'card',
        agg: 'distinct',
        field: 'merchant',
        window: '10s',
        tile: '2s',
        where: { field: 'status', eq: 'ok' },
      },
      { name: 'latest', entity: 'card', agg: 'last', field: 'label', window: '10s', tile: '2s' },
    ]);
    const body = (extra: object) => at(T, { amount: 1, label: 'x', ...extra });

    it('quarantines an event missing a numeric field a feature aggregates, naming the field and feature', () => {
      const r = rejectionOf(amounts, record(body({ amount: undefined }), T));
      expect([r.reason, r.rule]).toEqual(['invalid', 'field-missing']);
      expect(r.message).toContain('amount');
      expect(r.message).toContain('total');
    });

    it('quarantines a numeric field given as a string, quoting the value', () => {
      const r = rejectionOf(amounts, record(body({ amount: '12.5' }), T));
      expect([r.reason, r.rule]).toEqual(['invalid', 'field-type']);
      expect(r.message).toContain('"12.5"');
    });

    it('quarantines a numeric field that is not finite (1e999), and says so', () => {
      const r = rejectionOf(
        amounts,
        record(`{"ts": ${T}, "card_id": "c1", "label": "x", "amount": 1e999}`, T),
      );
      expect([r.reason, r.rule]).toEqual(['invalid', 'field-type']);
      expect(r.message).not.toContain('got null');
      expect(r.message).toMatch(/Infinity|1e999/);
    });

    it('requires a distinct field only of events that pass the feature filter', () => {
      expect(isRejection(classify(amounts, record(body({ status: 'declined' }), T)))).toBe(false);
      const r = rejectionOf(amounts, record(body({ status: 'ok' }), T));
      expect([r.reason, r.rule]).toEqual(['invalid', 'field-missing']);
      expect(r.message).toContain('merchant');
    });

    it('quarantines a distinct value that is neither a string nor a number, quoting it', () => {
      const r = rejectionOf(amounts, record(body({ status: 'ok', merchant: false }), T));
      expect([r.reason, r.rule]).toEqual(['invalid', 'field-type']);
      expect(r.message).toContain('false');
      expect(rejectionOf(amounts, record(body({ status: 'ok', merchant: '' }), T)).rule).toBe('field-type');
    });

    it('names the first feature in spec order that refuses the field, however many read it', () => {
      const shared = specWith([
        {
          name: 'big',
          entity: 'card',
          agg: 'max',
          field: 'amount',
          window: '10s',
          tile: '2s',
          where: { field: 'status', eq: 'ok' },
        },
        { name: 'total', entity: 'card', agg: 'sum', field: 'amount', window: '10s', tile: '2s' },
        { name: 'small', entity: 'card', agg: 'min', field: 'amount', window: '10s', tile: '2s' },
        { name: 'seen', entity: 'card', agg: 'distinct', field: 'amount', window: '10s', tile: '2s' },
      ]);
      expect(rejectionOf(shared, record(body({ amount: 'x' }), T)).message).toContain('(for total)');
      expect(rejectionOf(shared, record(body({ amount: 'x', status: 'ok' }), T)).message).toContain(
        '(for big)',
      );
      // Only a distinct feature reads a string amount as valid; a number feature before it still refuses it.
      expect(rejectionOf(shared, record(body({ amount: true }), T)).message).toContain('(for total)');
      expect(isRejection(classify(shared, record(body({ amount: 3 }), T)))).toBe(false);
    });

    it('takes any non-null value for last, and quarantines a null one', () => {
      for (const label of [false, 0, { a: 1 }, [1, 2]]) {
        expect(isRejection(classify(amounts, record(body({ label }), T)))).toBe(false);
      }
      expect(rejectionOf(amounts, record(body({ label: null }), T)).rule).toBe('field-missing');
    });
  });
});

describe('time rules', () => {
  const spec = specWith([countFeature], { allowedLateness: '5s', maxFutureSkew: '2s' });

  it('counts an event exactly maxFutureSkew ahead of its arrival, and sets aside one a millisecond further', () => {
    const record = recorder();
    expect(outcomes(spec, [record(at(T + 2_000), T), record(at(T + 2_001), T)])).toEqual([
      'counted',
      'future/future',
    ]);
  });

  it('counts an event exactly allowedLateness after its time, and sends one a millisecond later to the late output', () => {
    const record = recorder();
    expect(outcomes(spec, [record(at(T), T + 5_000), record(at(T), T + 5_001)])).toEqual([
      'counted',
      'late/late',
    ]);
  });

  it('names the skew and the lateness in the messages', () => {
    const record = recorder();
    expect(rejectionOf(spec, record(at(T + 2_001), T)).message).toContain('2001');
    expect(rejectionOf(spec, record(at(T), T + 5_001)).message).toContain('5001');
  });

  it('applies the default lateness of 5 minutes and skew of 1 minute', () => {
    const defaults = specWith();
    const record = recorder();
    expect(
      outcomes(defaults, [
        record(at(T), T + 300_000),
        record(at(T), T + 300_001),
        record(at(T + 60_000), T),
        record(at(T + 60_001), T),
      ]),
    ).toEqual(['counted', 'late/late', 'counted', 'future/future']);
  });

  it('checks validity before the future rule: an invalid event from the future is invalid', () => {
    const record = recorder();
    expect(outcomes(spec, [record({ ts: T + 60_000 }, T)])).toEqual(['invalid/key-missing']);
  });

  it('a future-skewed event within the skew is not counted by a read before its time', () => {
    const record = recorder();
    const records = [record(at(T + 1_500), T)];
    expect(valuesAt(spec, records, T + 1_000)).toEqual({ n: 0 });
    expect(valuesAt(spec, records, T + 1_500)).toEqual({ n: 0 });
    expect(valuesAt(spec, records, T + 1_501)).toEqual({ n: 1 });
  });

  it('a late-arriving event is not counted by a read before its arrival', () => {
    const record = recorder();
    const records = [record(at(T), T + 3_000)];
    expect(valuesAt(spec, records, T + 2_999)).toEqual({ n: 0 });
    expect(valuesAt(spec, records, T + 3_000)).toEqual({ n: 1 });
  });
});

describe('duplicates', () => {
  const spec = specWith(
    [countFeature, { name: 'total', entity: 'card', agg: 'sum', field: 'amount', window: '10s', tile: '2s' }],
    { idField: 'event_id', dedupeHorizon: '3s' },
  );
  const event = (id: string, amount: number, tau = T) => at(tau, { event_id: id, amount });

  it('first arrival of an id wins, whatever the order the records are given in', () => {
    const record = recorder();
    const records = [record(event('e1', 5), T + 200), record(event('e1', 7), T + 100)];
    expect(valuesAt(spec, records, T + 1_000)).toEqual({ n: 1, total: 7 });
    const { totals } = replay(spec, records, []);
    expect(totals).toMatchObject({ counted: 1, duplicate: 1 });
    expect(outcomes(spec, [records[1] as InputRecord, records[0] as InputRecord])).toEqual([
      'counted',
      'duplicate/duplicate',
    ]);
  });

  it('of two copies arriving at the same time, the one given first wins', () => {
    const record = recorder();
    const records = [record(event('e1', 5), T), record(event('e1', 7), T)];
    expect(valuesAt(spec, records, T + 1)).toEqual({ n: 1, total: 5 });
    expect(outcomes(spec, records)).toEqual(['counted', 'duplicate/duplicate']);
  });

  it('skips a copy that arrives within the horizon, counts one that arrives after it', () => {
    const record = recorder();
    expect(
      outcomes(spec, [
        record(event('e1', 1), T),
        record(event('e1', 1), T + 3_000),
        record(event('e1', 1), T + 3_001),
      ]),
    ).toEqual(['counted', 'duplicate/duplicate', 'counted']);
  });

  it('names the id in the duplicate message', () => {
    const engine = new MemoryEngine(spec);
    const record = recorder();
    const { rejected } = engine.ingest([record(event('e-42', 1), T), record(event('e-42', 1), T)]);
    expect(rejected[0]?.message).toContain('e-42');
  });

  it('registers only ids that counted: a late, future or invalid copy does not shadow a later good one', () => {
    const record = recorder();
    expect(
      outcomes(spec, [
        record(event('late', 1, T - 400_000), T),
        record(event('late', 2), T + 1),
        record(event('future', 1, T + 400_000), T + 2),
        record(event('future', 2), T + 3),
        record(at(T, { event_id: 'bad' }), T + 4),
        record(event('bad', 2), T + 5),
      ]),
    ).toEqual(['late/late', 'counted', 'future/future', 'counted', 'invalid/field-missing', 'counted']);
  });

  it('applies the late rule before the duplicate rule', () => {
    const record = recorder();
    expect(outcomes(spec, [record(event('e1', 1), T), record(event('e1', 1, T - 400_000), T + 1)])).toEqual([
      'counted',
      'late/late',
    ]);
  });

  // e1 counts at T; the copy at T+1 is a duplicate; the copy at T+3001 is past the horizon of the copy that counted
  // (3001 > 3000) and must count, however the records are cut into batches.
  const pastHorizon = () => {
    const record = recorder();
    return [record(event('e1', 1), T), record(event('e1', 2), T + 1), record(event('e1', 4), T + 3_001)];
  };

  it('measures the horizon from the copy that counted, not from a skipped copy that began a batch', () => {
    const records = pastHorizon();
    const oneBatch = new MemoryEngine(spec);
    oneBatch.ingest(records);
    expect(oneBatch.totals).toMatchObject({ counted: 2, duplicate: 1 });

    const twoBatches = new MemoryEngine(spec);
    twoBatches.ingest(records.slice(0, 1));
    const second = twoBatches.ingest(records.slice(1));
    expect(second.counted).toEqual([records[2]]);
    expect(twoBatches.totals).toMatchObject({ counted: 2, duplicate: 1 });
  });

  it('a query between the copies of an id does not change which copies replay counts', () => {
    const records = pastHorizon();
    const card = { entity: 'card', key: { card_id: 'c1' } };
    const without = replay(spec, records, [{ ...card, t: T + 3_002 }]).answers[0]?.features;
    const withQuery = replay(spec, records, [
      { ...card, t: T },
      { ...card, t: T + 3_002 },
    ]).answers[1]?.features;
    expect(without).toEqual({ n: 2, total: 5 });
    expect(withQuery).toEqual({ n: 2, total: 5 });
  });

  it('dedupes without an id field only redelivered records', () => {
    const noId = specWith([countFeature]);
    const record = recorder();
    expect(outcomes(noId, [record(event('e1', 1), T), record(event('e1', 1), T)])).toEqual([
      'counted',
      'counted',
    ]);
  });
});

describe('redelivered records', () => {
  const spec = specWith([countFeature]);

  it('skips a record whose shard and sequence number were already taken, as a duplicate', () => {
    const record = recorder();
    const first = record(at(T), T, { shardId: 's0', sequenceNumber: '5' });
    const again = record(at(T), T, { shardId: 's0', sequenceNumber: '5' });
    const { rejected } = new MemoryEngine(spec).ingest([first, again]);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ record: again, reason: 'duplicate', rule: 'redelivered' });
    expect(rejected[0]?.message).toContain('s0/5');
    expect(valuesAt(spec, [first, again], T + 1)).toEqual({ n: 1 });
  });

  it('skips a copy of a record with a long Kinesis sequence number', () => {
    const record = recorder();
    const sequenceNumber = '49590338271490256608559692538361571095921575989136588898';
    expect(
      outcomes(spec, [
        record(at(T), T, { shardId: 's0', sequenceNumber }),
        record(at(T), T, { shardId: 's0', sequenceNumber }),
      ]),
    ).toEqual(['counted', 'duplicate/redelivered']);
  });

  it('keeps sequence numbers per shard', () => {
    const record = recorder();
    expect(
      outcomes(spec, [
        record(at(T), T, { shardId: 'a', sequenceNumber: '7' }),
        record(at(T), T, { shardId: 'b', sequenceNumber: '7' }),
      ]),
    ).toEqual(['counted', 'counted']);
  });

  it('quarantines an invalid record once; its redelivery is a duplicate', () => {
    const record = recorder();
    const bad = record('not json', T, { shardId: 's0', sequenceNumber: '1' });
    const { totals } = replay(spec, [bad, { ...bad }], []);
    expect(totals).toEqual({ counted: 0, invalid: 1, future: 0, late: 0, duplicate: 1 });
  });
});

describe('windows', () => {
  // W = 10 s, g = 2 s: as of t, the tiles floor(t/g) − 4 … floor(t/g).
  const spec = specWith([countFeature]);
  const t = T + 20_500; // in tile T+20s … T+22s
  const lowest = T + 12_000; // the first ms of the lowest tile in the window

  it('counts an event exactly at the window’s lower tile boundary, and not one a millisecond before', () => {
    const record = recorder();
    expect(valuesAt(spec, [record(at(lowest), lowest)], t)).toEqual({ n: 1 });
    expect(valuesAt(spec, [record(at(lowest - 1), lowest - 1)], t)).toEqual({ n: 0 });
  });

  it('drops an event when its tile leaves the window, not W after its time', () => {
    const record = recorder();
    const records = [record(at(T + 1_999), T + 1_999)];
    expect(valuesAt(spec, records, T + 9_999)).toEqual({ n: 1 });
    expect(valuesAt(spec, records, T + 10_000)).toEqual({ n: 0 });
  });

  it('does not count an event at the read time itself (τ < t)', () => {
    const record = recorder();
    const records = [record(at(t), t - 100)];
    expect(valuesAt(spec, records, t)).toEqual({ n: 0 });
    expect(valuesAt(spec, records, t + 1)).toEqual({ n: 1 });
  });

  it('counts an event that arrived exactly at the read time (α ≤ t)', () => {
    const record = recorder();
    expect(valuesAt(spec, [record(at(t - 1), t)], t)).toEqual({ n: 1 });
  });

  it('reads the same key through a two-field key entity separately per merchant', () => {
    const two = specWith(
      [{ ...countFeature, entity: 'card_merchant' }],
      {},
      { card_merchant: ['card_id', 'merchant_id'] },
    );
    const record = recorder();
    const records = [
      record(at(T, { merchant_id: 'm1' }), T),
      record(at(T, { merchant_id: 'm1' }), T),
      record(at(T, { merchant_id: 'm2' }), T),
    ];
    expect(valuesAt(two, records, T + 1, { card_id: 'c1', merchant_id: 'm1' }, 'card_merchant')).toEqual({
      n: 2,
    });
    expect(valuesAt(two, records, T + 1, { card_id: 'c1', merchant_id: 'm2' }, 'card_merchant')).toEqual({
      n: 1,
    });
  });
});

describe('aggregations', () => {
  const feature = (agg: string, extra: object = {}) => ({
    name: agg,
    entity: 'card',
    agg,
    window: '10s',
    tile: '2s',
    ...(agg === 'count' ? {} : { field: 'x' }),
    ...extra,
  });
  const all = specWith(
    ['count', 'sum', 'avg', 'min', 'max', 'stddev', 'last', 'distinct'].map((agg) => feature(agg)),
  );
  /** For values no numeric aggregation would take. */
  const any = specWith([feature('last'), feature('distinct')]);
  const stream = (xs: unknown[]) => {
    const record = recorder();
    return xs.map((x, i) => record(at(T + i, { x }), T + i));
  };
  const read = (spec: CompiledSpec, records: InputRecord[]) => valuesAt(spec, records, T + 5_000);

  it('gives 0 for count, sum and distinct and null for the others over an empty window', () => {
    expect(read(all, [])).toEqual({
      count: 0,
      sum: 0,
      avg: null,
      min: null,
      max: null,
      stddev: null,
      last: null,
      distinct: 0,
    });
  });

  it('count counts the events that pass its filter', () => {
    const spec = specWith([feature('count', { where: { field: 'status', eq: 'declined' } })]);
    const record = recorder();
    const records = [
      record(at(T, { status: 'declined' }), T),
      record(at(T, { status: 'ok' }), T),
      record(at(T), T),
    ];
    expect(read(spec, records)).toEqual({ count: 1 });
  });

  it('sum adds the field', () => {
    expect(read(all, stream([1.5, -2, 10])).sum).toBe(9.5);
  });

  it('avg is sum over count', () => {
    expect(read(all, stream([1, 2, 6])).avg).toBe(3);
  });

  it('min and max take the extremes, negatives included', () => {
    const v = read(all, stream([3, -7, 12, 0]));
    expect([v.min, v.max]).toEqual([-7, 12]);
  });

  it('stddev is the population standard deviation', () => {
    expect(read(all, stream([2, 4, 4, 4, 5, 5, 7, 9])).stddev).toBeCloseTo(2, 12);
    expect(read(all, stream([42])).stddev).toBe(0);
  });

  it('stddev stays accurate for large values close together', () => {
    expect(read(all, stream([1e9 + 1, 1e9 + 3])).stddev).toBeCloseTo(1, 6);
    expect(read(all, stream([1e6 + 0.1, 1e6 + 0.1, 1e6 + 0.1])).stddev).toBeCloseTo(0, 6);
  });

  it('last takes the value of the greatest event time, not the latest arrival', () => {
    const record = recorder();
    const records = [record(at(T + 2, { x: 'newest' }), T + 2), record(at(T + 1, { x: 'older' }), T + 3)];
    expect(read(any, records).last).toBe('newest');
  });

  it('last breaks a tie on event time by the later arrival, then by the order given', () => {
    const record = recorder();
    const byArrival = [record(at(T, { x: 'later' }), T + 2), record(at(T, { x: 'earlier' }), T + 1)];
    expect(read(any, byArrival).last).toBe('later');
    const byOrder = [record(at(T, { x: 'first' }), T + 1), record(at(T, { x: 'second' }), T + 1)];
    expect(read(any, byOrder).last).toBe('second');
  });

  it('last keeps any non-null value as it was', () => {
    const lastOnly = specWith([feature('last')]);
    expect(read(lastOnly, stream([{ a: [1, 2] }])).last).toEqual({ a: [1, 2] });
    expect(read(lastOnly, stream([false])).last).toBe(false);
  });

  it('distinct counts distinct values exactly for small sets, 7 and "7" being one value', () => {
    expect(read(any, stream([7, '7', 'a', 'b', 'a', 7.5])).distinct).toBe(4);
  });

  it('where ne matches an event without the field; numeric comparisons match only numbers', () => {
    const spec = specWith([
      feature('count', { name: 'not_declined', where: { field: 'status', ne: 'declined' } }),
      feature('count', { name: 'big', where: { field: 'x', gt: 5 } }),
    ]);
    const record = recorder();
    const records = [
      record(at(T, { status: 'declined', x: 6 }), T),
      record(at(T, { x: '10' }), T),
      record(at(T, { status: 'ok', x: 5 }), T),
    ];
    expect(read(spec, records)).toEqual({ not_declined: 2, big: 1 });
  });

  it('aggregates a dotted field path', () => {
    const spec = specWith([feature('sum', { field: 'geo.amount' })]);
    const record = recorder();
    expect(
      read(spec, [record(at(T, { geo: { amount: 4 } }), T), record(at(T, { geo: { amount: 5 } }), T)]),
    ).toEqual({
      sum: 9,
    });
  });
});

describe('accounting', () => {
  it('accounts for every record in exactly one outcome', () => {
    const spec = specWith([countFeature], {
      idField: 'event_id',
      allowedLateness: '1s',
      maxFutureSkew: '1s',
    });
    const record = recorder();
    const records = [
      record(at(T, { event_id: 'a' }), T, { shardId: 's0' }),
      record(at(T, { event_id: 'a' }), T + 1),
      record(at(T + 5_000, { event_id: 'b' }), T),
      record(at(T - 5_000, { event_id: 'c' }), T),
      record('nope', T),
      record(at(T, { event_id: 'd' }), T + 1, { shardId: 's0', sequenceNumber: '1' }),
    ];
    const { totals } = replay(spec, records, []);
    expect(totals).toEqual({ counted: 1, invalid: 1, future: 1, late: 1, duplicate: 2 });
  });
});
