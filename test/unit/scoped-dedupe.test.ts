/**
 * event.dedupeScope: the spec setting, the one dedupe rule in core (MemoryEngine, so the replay, the training set,
 * the backfill and the parity check), and the id claims the online store keeps in the scope entity's item.
 */
import { describe, expect, it } from 'vitest';
import {
  ClaimsNeedLedger,
  decideClaims,
  type LedgerClaim,
  needsLedger,
} from '../../adapters/online-store/id-claims.js';
import {
  type CompiledSpec,
  classify,
  compileSpec,
  type InputRecord,
  isRejection,
  itemBytesBound,
  itemSizeProblems,
  MAX_CLAIMS_PER_KEY,
  MemoryEngine,
  parseSpec,
  SpecError,
  type ValidEvent,
} from '../../core/index.js';

const T = 1_699_999_980_000;
const HORIZON = 3_000;
const encoder = new TextEncoder();

function specWith(event: object, entities: Record<string, string[]> = defaultEntities): CompiledSpec {
  return compileSpec(
    parseSpec({
      version: 1,
      name: 'scoped',
      event: { timeField: 'ts', idField: 'event_id', dedupeHorizon: '3s', ...event },
      entities,
      features: [
        { name: 'n', entity: 'card', agg: 'count', window: '10s', tile: '2s' },
        { name: 'm', entity: 'merchant', agg: 'count', window: '10s', tile: '2s' },
      ],
    }),
  );
}
const defaultEntities = { card: ['card_id'], merchant: ['merchant_id'] };
const scoped = specWith({ dedupeScope: 'card' });
const global = specWith({});

let sequence = 0;
function record(id: string, card: string, arrivalMs: number, shardId = 'shard-0'): InputRecord {
  sequence++;
  return {
    data: encoder.encode(JSON.stringify({ ts: T, event_id: id, card_id: card, merchant_id: 'm1' })),
    arrivalMs,
    shardId,
    sequenceNumber: String(sequence).padStart(8, '0'),
  };
}

function parseError(event: object, entities = defaultEntities): string {
  try {
    specWith(event, entities);
  } catch (error) {
    if (error instanceof SpecError) return error.message;
    throw error;
  }
  throw new Error('the spec parsed');
}

function countedBy(spec: CompiledSpec, records: InputRecord[]): number {
  const engine = new MemoryEngine(spec);
  engine.ingest(records);
  return engine.totals.counted;
}

describe('event.dedupeScope in the spec', () => {
  it('keeps the setting in the normalized spec, and leaves it out when absent', () => {
    expect(scoped.spec.event.dedupeScope).toBe('card');
    expect(scoped.dedupeScope).toBe(0);
    expect(global.spec.event).not.toHaveProperty('dedupeScope');
    expect(global.dedupeScope).toBeUndefined();
  });

  it('fails on an unknown entity, naming it and the declared ones', () => {
    expect(parseError({ dedupeScope: 'account' })).toContain(
      'event.dedupeScope: unknown entity "account" (declared: card, merchant)',
    );
  });

  it('fails on an entity other than the first, naming both', () => {
    expect(parseError({ dedupeScope: 'merchant' })).toContain(
      'event.dedupeScope: "merchant" must be the first entity ("card")',
    );
  });

  it('fails without an id field to dedupe by', () => {
    expect(parseError({ dedupeScope: 'card', idField: undefined })).toContain(
      'event.dedupeScope: "card" needs event.idField',
    );
  });
});

describe('the scoped dedupe rule (MemoryEngine: replay, training set, backfill, parity)', () => {
  it('counts an id sent with two different cards twice under the scoped rule, once under the global rule', () => {
    const records = [record('e1', 'c1', T), record('e1', 'c2', T + 1)];
    expect(countedBy(scoped, records)).toBe(2);
    expect(countedBy(global, records)).toBe(1);
  });

  it('skips a copy with the same card within the horizon and counts one past it, as the global rule does', () => {
    const records = [
      record('e1', 'c1', T),
      record('e1', 'c1', T + HORIZON),
      record('e1', 'c1', T + HORIZON + 1),
    ];
    expect(countedBy(scoped, records)).toBe(2);
    expect(countedBy(global, records)).toBe(2);
  });
});

function events(spec: CompiledSpec, records: InputRecord[]): ValidEvent[] {
  return records.map((r) => {
    const event = classify(spec, r);
    if (isRejection(event)) throw new Error(event.message);
    return event;
  });
}

/** The watermarks of an item that applied these records. */
function marks(records: InputRecord[]) {
  const last = records.at(-1) as InputRecord;
  return new Map([[last.shardId, { sequenceNumber: last.sequenceNumber, arrivalMs: last.arrivalMs }]]);
}

describe('id claims in the scope item (id-claims.ts)', () => {
  it('counts the first copy, skips a later copy, and counts a redelivery of the counting record again', () => {
    const [first, copy] = events(scoped, [record('e1', 'c1', T), record('e1', 'c1', T + 10)]) as [
      ValidEvent,
      ValidEvent,
    ];
    const one = decideClaims('card#c1', undefined, new Map(), [first, copy], HORIZON, undefined);
    expect(one.counted).toEqual([first]);
    expect(one.duplicates).toEqual([copy]);
    expect(one.changed).toBe(true);

    // The item as written: its claims, and watermarks past the first record only (the copy changed nothing).
    const stored = { claims: one.claims };
    const again = decideClaims('card#c1', stored, marks([first.record]), [first, copy], HORIZON, undefined);
    expect(again.counted).toEqual([first]);
    expect(again.duplicates).toEqual([copy]);
    expect(again.changed).toBe(false);
  });

  it('counts a copy re-sent past the horizon, and keeps the claim it supersedes for a redelivery of its holder', () => {
    const [first, late, later] = events(scoped, [
      record('e1', 'c1', T),
      record('e1', 'c1', T + HORIZON + 1),
      record('e2', 'c1', T + 3 * HORIZON),
    ]) as [ValidEvent, ValidEvent, ValidEvent];
    const one = decideClaims('card#c1', undefined, new Map(), [first, late], HORIZON, undefined);
    expect(one.counted).toEqual([first, late]);
    expect(one.claims.split(',')).toHaveLength(2);
    // Both records redelivered: each finds its own claim, so both counted (and nothing is written again).
    const again = decideClaims(
      'card#c1',
      { claims: one.claims },
      marks([late.record]),
      [first, late],
      HORIZON,
      undefined,
    );
    expect(again.counted).toEqual([first, late]);
    expect(again.changed).toBe(false);
    // A write whose earliest record is past both by the horizon drops them.
    const next = decideClaims(
      'card#c1',
      { claims: one.claims },
      marks([late.record]),
      [later],
      HORIZON,
      undefined,
    );
    expect(next.claims.split(',')).toHaveLength(1);
  });

  it('keeps claims short: a few dozen bytes an id', () => {
    const many = events(
      scoped,
      Array.from({ length: 100 }, (_, i) => record(`event-${i}-${'x'.repeat(30)}`, 'c1', T + i)),
    );
    const { claims } = decideClaims('card#c1', undefined, new Map(), many, HORIZON, undefined);
    expect(Buffer.byteLength(claims) / 100).toBeLessThan(30);
  });

  it('asks for the id ledger on an item written before the scoped rule, and honours its claims', () => {
    const [copy] = events(scoped, [record('e1', 'c1', T + 10)]) as [ValidEvent];
    const old = { claims: undefined };
    expect(needsLedger(old, [copy], HORIZON)).toBe(true);
    expect(() => decideClaims('card#c1', old, new Map(), [copy], HORIZON, undefined)).toThrow(
      ClaimsNeedLedger,
    );

    // The original counted before the upgrade on another record: the copy is a duplicate.
    const ledger = new Map<string, LedgerClaim>([
      ['e1', { shardId: 'shard-0', sequenceNumber: '1', alpha: T }],
    ]);
    const decided = decideClaims('card#c1', old, new Map(), [copy], HORIZON, ledger);
    expect(decided.duplicates).toEqual([copy]);
    // ... and a redelivery of the record the ledger names counted (its other items' watermarks skip it).
    const named = new Map<string, LedgerClaim>([
      ['e1', { shardId: copy.record.shardId, sequenceNumber: copy.record.sequenceNumber, alpha: T }],
    ]);
    expect(decideClaims('card#c1', old, new Map(), [copy], HORIZON, named).counted).toEqual([copy]);
  });

  it('stops asking for the ledger once the horizon has passed the upgrade, and never for a new item', () => {
    const [a, b] = events(scoped, [record('e1', 'c1', T), record('e2', 'c1', T + HORIZON + 1)]) as [
      ValidEvent,
      ValidEvent,
    ];
    expect(needsLedger(undefined, [a], HORIZON)).toBe(false);
    const upgraded = decideClaims('card#c1', { claims: undefined }, new Map(), [a], HORIZON, new Map());
    expect(needsLedger({ claims: upgraded.claims }, [a], HORIZON)).toBe(true);
    const later = decideClaims(
      'card#c1',
      { claims: upgraded.claims },
      marks([a.record]),
      [b],
      HORIZON,
      new Map(),
    );
    expect(needsLedger({ claims: later.claims }, [b], HORIZON)).toBe(false);
  });
});

describe('item size bound under the scoped rule', () => {
  it("counts the claims in the scope entity's bound only, and the fraud spec's card item still fits", () => {
    const card = scoped.entityByName.get('card');
    const merchant = scoped.entityByName.get('merchant');
    if (!card || !merchant) throw new Error('entities missing');
    expect(itemBytesBound(scoped, card) - itemBytesBound(global, card)).toBeGreaterThanOrEqual(
      MAX_CLAIMS_PER_KEY * 25,
    );
    expect(itemBytesBound(scoped, merchant)).toBe(itemBytesBound(global, merchant));
    expect(itemSizeProblems(scoped)).toEqual([]);
  });
});
