/**
 * Packed online-store items (tile-item.ts, item-payload.ts): which items are packed, that both layouts read the
 * same, how their size is counted, and that a reader from before packed items fails on one instead of losing it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { itemBytes, writeUnitsOf } from '../../adapters/online-store/item-bytes.js';
import {
  fromAttributes,
  PACK_ABOVE_BYTES,
  PACKED_MARK,
  payloadOf,
  type TileItem,
  toAttributes,
} from '../../adapters/online-store/tile-item.js';
import {
  compileSpec,
  EntityState,
  type EntityStateJson,
  entityNamed,
  MemoryEngine,
  murmur3,
  parseSpecJson,
} from '../../core/index.js';
import { jsonRecord, RECENT_START } from '../support/stream.js';

const spec = compileSpec(parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8')));
const card = entityNamed(spec, 'card');

/** A card's tiles after `events` transactions an hour apart at as many merchants: real state JSON. */
function cardState(events: number): string {
  const engine = new MemoryEngine(spec);
  const records = Array.from({ length: events }, (_, i) =>
    jsonRecord(
      {
        event_id: `e${i}`,
        ts: RECENT_START - (events - i) * 3_600_000,
        card_id: 'c1',
        merchant_id: `m${i}`,
        amount: 10 + i * 1.37,
        status: 'approved',
        geo: { country: i % 2 ? 'FR' : 'DE' },
      },
      RECENT_START - (events - i) * 3_600_000 + 50,
      'shardId-000000000000',
      1000 + i,
    ),
  );
  engine.ingest(records);
  return JSON.stringify(engine.states.get('card#c1'));
}

function itemOf(state: string, claims?: string): TileItem {
  return {
    key: 'card#c1',
    version: 7,
    state,
    watermarks: new Map([['shardId-000000000000', { sequenceNumber: '1040', arrivalMs: RECENT_START }]]),
    ...(claims === undefined ? {} : { claims }),
  };
}

/** Thirty claims as id-claims.ts writes them: random-looking hashes (murmur3), arrivals minutes apart. */
const claims = `0;${Array.from({ length: 30 }, (_, i) => {
  const hash = (murmur3(`id${i}`, 0x5eed) & 0xffff) * 2 ** 32 + murmur3(`id${i}`);
  return `${hash.toString(36)}.${(1.7e12 + i * 431_000).toString(36)}.${murmur3(`r${i}`).toString(36)}`;
}).join(',')}`;

describe('packed online-store items', () => {
  it('keeps an item that fits in one write unit plain', () => {
    const attributes = toAttributes(itemOf(cardState(2)), 1_800_000_000);
    expect(itemBytes(attributes)).toBeLessThanOrEqual(PACK_ABOVE_BYTES);
    expect(attributes.z).toBeUndefined();
    expect(JSON.parse(attributes.s?.S ?? '')).toMatchObject({ v: 2 });
  });

  it('packs tiles and claims of an item over 1 KB into z, smaller, and reads back the same tiles and claims', () => {
    const item = itemOf(cardState(40), claims);
    const plainBytes = Buffer.byteLength(item.state) + Buffer.byteLength(claims);
    expect(plainBytes).toBeGreaterThan(PACK_ABOVE_BYTES);
    const attributes = toAttributes(item, 1_800_000_000);
    expect(attributes.s?.S).toBe(PACKED_MARK);
    expect(attributes.c).toBeUndefined();
    expect(attributes.w).toBeUndefined();
    expect(attributes.z?.B).toBeInstanceOf(Uint8Array);
    expect(itemBytes(attributes)).toBeLessThan(plainBytes);
    const back = fromAttributes(attributes);
    expect(back.state).toBe(item.state);
    expect(back.claims).toBe(claims);
    expect(back.version).toBe(7);
    expect(back.watermarks).toEqual(item.watermarks);
  });

  it('packs an item without claims and reads it back without claims', () => {
    const back = fromAttributes(toAttributes(itemOf(cardState(40)), 1_800_000_000));
    expect(back.claims).toBeUndefined();
    expect(back.state).toBe(cardState(40));
  });

  it('reads an item written before packing (tiles in s, claims in c) as it was', () => {
    const state = cardState(40);
    const back = fromAttributes({
      pk: { S: 'card#c1' },
      v: { N: '3' },
      s: { S: state },
      c: { S: claims },
      w: { M: {} },
      x: { N: '1800000000' },
    });
    expect(back.state).toBe(state);
    expect(back.claims).toBe(claims);
    expect(EntityState.fromJSON(card, JSON.parse(back.state) as EntityStateJson).read(RECENT_START)).toEqual(
      EntityState.fromJSON(card, JSON.parse(state) as EntityStateJson).read(RECENT_START),
    );
  });

  it('fails a reader from before packed items on a packed item (its JSON.parse of s) rather than reading it empty', () => {
    const attributes = toAttributes(itemOf(cardState(40), claims), 1_800_000_000);
    // What the previous code did with an item (item-writer's nextItem and stored-items' read): parse `s` when set.
    const previousRead = (a: Record<string, AttributeValue>) => {
      const text = a.s?.S ?? '';
      return text ? EntityState.fromJSON(card, JSON.parse(text) as EntityStateJson) : new EntityState(card);
    };
    expect(() => previousRead(attributes)).toThrow(/not valid JSON/);
  });

  it('fails naming the item when a packed item is read without its z attribute (a projection that left it out)', () => {
    const { z: _z, ...withoutZ } = toAttributes(itemOf(cardState(40)), 1_800_000_000);
    expect(() => payloadOf('card#c1', withoutZ)).toThrow(/card#c1 is packed but was read without its z/);
  });

  it('fails naming the item when z is not a packed payload', () => {
    expect(() =>
      payloadOf('card#c9', { pk: { S: 'card#c9' }, s: { S: 'z' }, z: { B: randomBytes(64) } }),
    ).toThrow(/card#c9: its packed payload \(z\) does not read/);
  });

  it('keeps claims that would not read back exactly from binary as text, and reads them back as written', () => {
    for (const odd of ['0;', '0;00a.b.c', 'x;1.2', '0;1.2.3.4', `0;${'z'.repeat(12)}.1.1`, '0;1.-2.3']) {
      const back = fromAttributes(toAttributes(itemOf(cardState(40), odd), 1_800_000_000));
      expect(back.claims).toBe(odd);
    }
  });

  it('packs claims in binary, smaller than deflated text, and reads them back exactly', () => {
    const packedWith = (text: string) =>
      toAttributes(itemOf(cardState(40), text), 1_800_000_000).z?.B?.byteLength ?? 0;
    const binary = packedWith(claims);
    // The same claims with a character the binary form cannot hold: they go as text.
    const asText = packedWith(claims.replace(/,/, ',0'));
    expect(binary).toBeLessThan(asText);
    expect(fromAttributes(toAttributes(itemOf('{}', claims), 1_800_000_000)).claims).toBe(claims);
  });

  it('counts a binary attribute by its byte length, as DynamoDB sizes and bills it', () => {
    const bytes = itemBytes({ pk: { S: 'card#c1' }, z: { B: new Uint8Array(1100) } });
    expect(bytes).toBe(2 + 7 + 1 + 1100);
    expect(writeUnitsOf(bytes)).toBe(2);
    expect(writeUnitsOf(1024)).toBe(1);
    expect(writeUnitsOf(10)).toBe(1);
  });
});
