import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  itemKeysToRead,
  sharedEntities,
  slotOf,
  splitBySlot,
  WRITER_SLOTS,
} from '../../adapters/online-store/writer-slots.js';
import {
  classifyBatch,
  compileSpec,
  EntityState,
  groupByItem,
  type InputRecord,
  parseSpecJson,
} from '../../core/index.js';
import { generateFraudTraffic } from '../../examples/fraud/generate.js';
import { onShards, RECENT_START } from '../support/stream.js';

const spec = compileSpec(parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8')));
const records: InputRecord[] = onShards(
  generateFraudTraffic({ events: 600, seed: 5, startMs: RECENT_START }).records,
  4,
);

describe('writer slots', () => {
  it('splits only entities whose keys do not determine the shard: merchant, not card nor card_merchant', () => {
    expect([...sharedEntities(spec)].map((entity) => entity.name)).toEqual(['merchant']);
  });

  it('gives four Kinesis shards four different slots, and the same slot to a shard every time', () => {
    const slots = [0, 1, 2, 3].map((n) => slotOf(`shardId-${String(n).padStart(12, '0')}`));
    expect(new Set(slots).size).toBe(WRITER_SLOTS);
    expect(slotOf('shardId-000000000005')).toBe(slotOf('shardId-000000000005'));
    expect(slotOf('shard-a')).toBeGreaterThanOrEqual(0);
    expect(slotOf('shard-a')).toBeLessThan(WRITER_SLOTS);
  });

  it('puts each merchant event in its shard slot item, keeping each shard order, and every event once', () => {
    const { events } = classifyBatch(spec, records);
    const items = splitBySlot(spec, [...groupByItem(spec, events).values()]);
    const merchantItems = items.filter((item) => item.entity.name === 'merchant');
    for (const item of merchantItems) {
      expect(item.key).toMatch(/^merchant#[^#]+#~\d$/);
      const slots = new Set(item.events.map((event) => slotOf(event.record.shardId)));
      expect(slots.size).toBe(1);
      expect(item.key.endsWith(`#~${[...slots][0]}`)).toBe(true);
    }
    expect(merchantItems.reduce((n, item) => n + item.events.length, 0)).toBe(events.length);
    expect(items.filter((item) => item.entity.name === 'card').every((item) => !item.key.includes('~'))).toBe(
      true,
    );
  });

  it('reads a merchant as its slot items and its item from before slots; a card as its one item', () => {
    const merchant = spec.entityByName.get('merchant');
    const card = spec.entityByName.get('card');
    if (!merchant || !card) throw new Error('the fraud spec has card and merchant');
    expect(itemKeysToRead(spec, merchant, 'merchant#m7')).toEqual([
      'merchant#m7',
      ...Array.from({ length: WRITER_SLOTS }, (_, slot) => `merchant#m7#~${slot}`),
    ]);
    expect(itemKeysToRead(spec, card, 'card#c1')).toEqual(['card#c1']);
  });

  it('merging the slot items state reads as one state fed every event', () => {
    const { events } = classifyBatch(spec, records);
    const items = splitBySlot(spec, [...groupByItem(spec, events).values()]);
    const merchant = spec.entityByName.get('merchant');
    if (!merchant) throw new Error('the fraud spec has a merchant');
    const t = Math.max(...records.map((r) => r.arrivalMs)) + 1;
    const busiest = [...groupByItem(spec, events).values()]
      .filter((item) => item.entity === merchant)
      .sort((a, b) => b.events.length - a.events.length)[0];
    if (!busiest) throw new Error('some merchant has events');
    const whole = new EntityState(merchant);
    for (const event of busiest.events) whole.apply(event);
    const merged = new EntityState(merchant);
    const parts = items.filter((item) => item.key.startsWith(`${busiest.key}#~`));
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      // Each slot item as stored and revived, then merged as a read does.
      const state = new EntityState(merchant);
      for (const event of part.events) state.apply(event);
      merged.mergeFrom(EntityState.fromJSON(merchant, JSON.parse(JSON.stringify(state))));
    }
    const expected = whole.read(t);
    const actual = merged.read(t);
    for (const [name, value] of Object.entries(expected)) {
      if (typeof value === 'number') expect(actual[name], name).toBeCloseTo(value, 6);
      else expect(actual[name], name).toEqual(value);
    }
  });
});
