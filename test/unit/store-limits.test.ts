/**
 * Keys and ids the online store could not write (DynamoDB's key limits, core/store-limits.ts) make a record invalid
 * with a rule of its own when it is classified: the same rule online, in the replay and in the training set's
 * point-in-time join, and never a failed write that holds back a batch. Names the spec decides are checked when
 * the spec is.
 */
import { describe, expect, it } from 'vitest';
import {
  ArrivalSweep,
  type CompiledSpec,
  classify,
  compileSpec,
  type InputRecord,
  isRejection,
  itemKey,
  MAX_KEY_BYTES,
  MAX_LAST_VALUE_BYTES,
  MAX_NAME_BYTES,
  MemoryEngine,
  parseSpec,
  pointInTime,
  type Rejection,
  replay,
  SpecError,
  utf8Bytes,
} from '../../core/index.js';

const T = 1_699_999_980_000;
const encoder = new TextEncoder();

const spec: CompiledSpec = compileSpec(
  parseSpec({
    version: 1,
    name: 'limits',
    event: { timeField: 'ts', idField: 'event_id' },
    entities: { card: ['card_id'], merchant: ['merchant_id'], card_merchant: ['card_id', 'merchant_id'] },
    features: [
      { name: 'card_n', entity: 'card', agg: 'count', window: '10m', tile: '1m' },
      { name: 'merchant_n', entity: 'merchant', agg: 'count', window: '10m', tile: '1m' },
      { name: 'pair_n', entity: 'card_merchant', agg: 'count', window: '10m', tile: '1m' },
    ],
  }),
);

let sequence = 0;
function record(fields: Record<string, unknown>): InputRecord {
  sequence++;
  const body = { ts: T, event_id: `e${sequence}`, card_id: 'c1', merchant_id: 'm1', ...fields };
  return {
    data: encoder.encode(JSON.stringify(body)),
    arrivalMs: T,
    shardId: 'shard-1',
    sequenceNumber: String(sequence),
  };
}

function rejectionOf(input: InputRecord): Rejection {
  const result = classify(spec, input);
  if (!isRejection(result))
    throw new Error(`expected a rejection, got a valid event (keys ${result.itemKeys})`);
  return result;
}

describe('keys the online store cannot write are invalid with their own rule', () => {
  it('quarantines a 3,000-character card_id as key-too-long, naming the entity, field, bytes and limit', () => {
    const r = rejectionOf(record({ card_id: 'c'.repeat(3000) }));
    expect([r.reason, r.rule]).toEqual(['invalid', 'key-too-long']);
    expect(r.message).toContain('entity "card"');
    expect(r.message).toContain('"card_id" 3000 bytes');
    expect(r.message).toContain(`${'card#'.length + 3000} bytes`);
    expect(r.message).toContain(`limit of ${MAX_KEY_BYTES}`);
    expect(r.message.length).toBeLessThan(400);
  });

  it('quarantines a 2,100-character merchant_id as key-too-long', () => {
    const r = rejectionOf(record({ merchant_id: 'm'.repeat(2100) }));
    expect(r.rule).toBe('key-too-long');
    expect(r.message).toContain('entity "merchant"');
  });

  it('counts a key of exactly the limit and quarantines one a byte longer', () => {
    const fits = 'c'.repeat(MAX_KEY_BYTES - 'card#'.length);
    const valid = classify(spec, record({ card_id: fits, merchant_id: 'm' }));
    // card_merchant's key (`card_merchant#<card>#m`) is longer than card's: it decides.
    expect(isRejection(valid)).toBe(true);
    const pairFits = 'c'.repeat(MAX_KEY_BYTES - 'card_merchant#'.length - '#m'.length);
    const ok = classify(spec, record({ card_id: pairFits, merchant_id: 'm' }));
    expect(isRejection(ok)).toBe(false);
    if (!isRejection(ok)) expect(Math.max(...ok.itemKeys.map(utf8Bytes))).toBe(MAX_KEY_BYTES);
    const r = rejectionOf(record({ card_id: `${pairFits}c`, merchant_id: 'm' }));
    expect(r.rule).toBe('key-too-long');
    expect(r.message).toContain('entity "card_merchant"');
    expect(r.message).toContain(`${MAX_KEY_BYTES + 1} bytes`);
  });

  it('measures a composite key after escaping: 700 "#" are 2,100 bytes in the key', () => {
    expect(itemKey('merchant', ['#'.repeat(700)])).toHaveLength('merchant#'.length + 2100);
    const r = rejectionOf(record({ merchant_id: '#'.repeat(700) }));
    expect(r.rule).toBe('key-too-long');
    expect(r.message).toContain(`${'merchant#'.length + 2100} bytes`);
  });

  it('measures UTF-8 bytes, not characters: 1,000 "€" are 3,000 bytes', () => {
    const r = rejectionOf(record({ card_id: '€'.repeat(1000) }));
    expect(r.rule).toBe('key-too-long');
    expect(r.message).toContain('"card_id" 3000 bytes');
    expect(utf8Bytes('😀')).toBe(4);
    expect(utf8Bytes('\ud800')).toBe(3);
  });

  it('quarantines a 3,000-character event_id as id-too-long, naming the field and its bytes', () => {
    const r = rejectionOf(record({ event_id: 'e'.repeat(3000) }));
    expect([r.reason, r.rule]).toEqual(['invalid', 'id-too-long']);
    expect(r.message).toContain('"event_id" is 3000 bytes');
    expect(r.message).toContain(`limit of ${MAX_KEY_BYTES}`);
  });

  it('applies the same rule in the memory engine, the replay and the point-in-time join', async () => {
    const records = [
      record({ card_id: 'c1' }),
      record({ card_id: 'c'.repeat(3000) }),
      record({ event_id: 'e'.repeat(3000) }),
      record({ merchant_id: 'm'.repeat(2100) }),
      record({ card_id: 'c2' }),
    ];
    const engine = new MemoryEngine(spec);
    const { rejected } = engine.ingest(records);
    expect(rejected.map((r) => r.rule)).toEqual(['key-too-long', 'id-too-long', 'key-too-long']);
    expect(engine.totals).toMatchObject({ counted: 2, invalid: 3 });

    const { answers, totals } = replay(spec, records, [
      { entity: 'merchant', key: { merchant_id: 'm1' }, t: T + 1 },
    ]);
    expect(totals).toMatchObject({ counted: 2, invalid: 3 });
    expect(answers[0]?.features).toEqual({ merchant_n: 2 });

    const sweep = new ArrivalSweep(spec);
    async function* chunks() {
      yield records;
    }
    const rows = [];
    for await (const answer of pointInTime(sweep, chunks(), [
      { t: T + 1, entities: [{ entity: 'merchant', key: { merchant_id: 'm1' } }], payload: null },
    ]))
      rows.push(answer.features);
    expect(rows).toEqual([{ merchant_n: 2 }]);
    expect(sweep.totals).toMatchObject({ counted: 2, invalid: 3 });
  });
});

describe('a value a last feature would keep in every tile is bounded', () => {
  const withLast = compileSpec(
    parseSpec({
      version: 1,
      name: 'last',
      event: { timeField: 'ts' },
      entities: { card: ['card_id'] },
      features: [
        {
          name: 'last_note',
          entity: 'card',
          agg: 'last',
          field: 'note',
          window: '10m',
          where: { field: 'kind', eq: 'kept' },
        },
      ],
    }),
  );
  const noted = (note: unknown, kind = 'kept') => classify(withLast, record({ note, kind, card_id: 'c1' }));

  it(`counts a value of exactly ${MAX_LAST_VALUE_BYTES} bytes of JSON and quarantines a longer one as value-too-long`, () => {
    const fits = 'n'.repeat(MAX_LAST_VALUE_BYTES - 2);
    expect(isRejection(noted(fits))).toBe(false);
    const r = noted(`${fits}n`);
    if (!isRejection(r)) throw new Error('expected a rejection');
    expect([r.reason, r.rule]).toEqual(['invalid', 'value-too-long']);
    expect(r.message).toContain('field "note" (for last_note)');
    expect(r.message).toContain(
      `${MAX_LAST_VALUE_BYTES + 1} bytes of JSON, over the limit of ${MAX_LAST_VALUE_BYTES}`,
    );
  });

  it('measures objects and escapes as JSON, and leaves events the feature does not count alone', () => {
    expect((noted({ text: 'x'.repeat(2000) }) as Rejection).rule).toBe('value-too-long');
    expect((noted('\u0000'.repeat(200)) as Rejection).rule).toBe('value-too-long');
    expect(isRejection(noted('x'.repeat(5000), 'other'))).toBe(false);
    expect(isRejection(noted(12345))).toBe(false);
  });
});

describe('spec check: names the store writes fit its limits', () => {
  const specOf = (entity: string, feature: string) => ({
    version: 1,
    name: 'names',
    event: { timeField: 'ts' },
    entities: { [entity]: ['id'] },
    features: [{ name: feature, entity, agg: 'count', window: '1m' }],
  });

  it(`accepts names of ${MAX_NAME_BYTES} bytes`, () => {
    expect(() => parseSpec(specOf('e'.repeat(MAX_NAME_BYTES), 'f'.repeat(MAX_NAME_BYTES)))).not.toThrow();
  });

  it('fails if an entity or feature name is longer, naming each with its bytes and the limit', () => {
    const long = MAX_NAME_BYTES + 1;
    let error: unknown;
    try {
      parseSpec(specOf('e'.repeat(long), 'f'.repeat(long)));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SpecError);
    const issues = (error as SpecError).issues;
    expect(issues.some((i) => i.startsWith('entities.eee') && i.includes(`${long} bytes`))).toBe(true);
    expect(issues.some((i) => i.startsWith('features[0].name') && i.includes(`${long} bytes`))).toBe(true);
    expect(issues.every((i) => i.length < 300)).toBe(true);
  });

  it('fails if an entity has so many key fields that no key of it fits', () => {
    const keys = Array.from({ length: MAX_KEY_BYTES / 2 }, (_, i) => `k${i}`);
    const input = { ...specOf('wide', 'n'), entities: { wide: keys } };
    expect(() => parseSpec(input)).toThrow(/entities\.wide: 1000 key fields make every key at least/);
  });
});
