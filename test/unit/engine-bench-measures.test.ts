import { describe, expect, it } from 'vitest';
import { floorWithIdsPass, foldsPerTile } from '../../bench/engine-throughput.js';
import { loadSpec, toKinesis } from '../../bench/fixture.js';
import { jsonRecord } from '../support/stream.js';

// The fraud spec: card (four tile sizes), merchant (three), card_merchant (two); ids dedupe over 24 h.
const spec = loadSpec();
const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);
const txn = (id: string, card: string, ts: number) => ({
  event_id: id,
  ts,
  card_id: card,
  merchant_id: 'm1',
  amount: 5,
  status: 'approved',
  geo: { country: 'FR' },
});

describe('the engine bench measures', () => {
  it('counts each id once within the dedupe horizon and its card (the spec scopes ids to the card), and an unparsable record not at all', () => {
    const records = toKinesis([
      jsonRecord(txn('a', 'c1', T0), T0 + 10, 's', 1),
      jsonRecord(txn('a', 'c1', T0), T0 + 20, 's', 2),
      jsonRecord(txn('a', 'c2', T0), T0 + 25, 's', 3),
      jsonRecord(txn('b', 'c1', T0), T0 + 30, 's', 4),
      jsonRecord('{not json', T0 + 40, 's', 5),
      jsonRecord(txn('a', 'c1', T0), T0 + 86_400_000 + 11, 's', 6),
    ]);
    expect(floorWithIdsPass(spec, [records])).toBe(4);
  });

  it('answers how many events each (item, group, tile) a batch touches takes', () => {
    // Two events of one card a minute apart: the 1 m tiles differ, every longer tile is shared.
    const batch = toKinesis([
      jsonRecord(txn('a', 'c1', T0), T0 + 10, 's', 1),
      jsonRecord(txn('b', 'c1', T0 + 60_000), T0 + 60_010, 's', 2),
    ]);
    const folds = foldsPerTile(spec, [batch]);
    // Items: card c1, merchant m1, card_merchant c1#m1, each with both events.
    expect(folds).toMatchObject({ events: 2, items: 3, itemEvents: 6 });
    // Groups: card 4, merchant 3, card_merchant 2 = 9, each folding 2 events: 18 folds.
    expect(folds.folds).toBe(18);
    // Tiles touched: 1 m tiles twice (card, merchant), every other group once: 9 + 2.
    expect(folds.tiles).toBe(11);
  });
});
