import { describe, expect, it } from 'vitest';
import {
  applyBackfill,
  applyLive,
  type CompiledSpec,
  classifyBatch,
  compileSpec,
  EntityState,
  type FeatureSpec,
  featureFingerprint,
  type LegacyEntityStateJson,
  legacyLayoutOf,
  parseSpec,
  type ShardWatermark,
} from '../../core/index.js';
import { jsonRecord } from '../support/stream.js';

const T0 = 1_700_000_040_000;
const COUNT: FeatureSpec = { name: 'n_10m', entity: 'card', agg: 'count', window: '10m', tile: '1m' };
const SUM: FeatureSpec = {
  name: 'sum_1h',
  entity: 'card',
  agg: 'sum',
  field: 'amount',
  window: '1h',
  tile: '5m',
};

function specOf(...features: FeatureSpec[]): CompiledSpec {
  return compileSpec(
    parseSpec({
      version: 1,
      name: 't',
      event: { timeField: 'ts' },
      entities: { card: ['card_id'] },
      features,
    }),
  );
}

function stateWithTraffic(spec: CompiledSpec): EntityState {
  const entity = spec.entities[0] as CompiledSpec['entities'][number];
  const state = new EntityState(entity);
  const records = [1, 2, 3].map((i) =>
    jsonRecord({ ts: T0 + i * 60_000, card_id: 'c1', amount: i * 10 }, T0 + i * 60_000 + 5, 's', i),
  );
  for (const event of classifyBatch(spec, records).events) state.apply(event);
  return state;
}

const card = (spec: CompiledSpec) => spec.entities[0] as CompiledSpec['entities'][number];
const readAt = T0 + 5 * 60_000;

describe('entity state layout across spec changes', () => {
  it('reads every kept feature as it was under a spec that adds, changes and removes others', () => {
    const before = specOf(COUNT, SUM, { ...COUNT, name: 'gone' });
    const stored = JSON.parse(JSON.stringify(stateWithTraffic(before)));
    const after = specOf(COUNT, { ...SUM, window: '2h' }, { ...COUNT, name: 'added' });
    const revived = EntityState.fromJSON(card(after), stored);
    expect(revived.read(readAt)).toEqual({ n_10m: 3, sum_1h: 0, added: 0 });
    expect(revived.unrevived).toEqual([1, 2]);
    expect(JSON.stringify(revived)).not.toContain(
      featureFingerprint(card(before).features[2]?.feature as never),
    );
  });

  it('reads a layout-1 item whole when its entity layout is unchanged, and as empty when it changed', () => {
    const spec = specOf(COUNT, SUM);
    const current = stateWithTraffic(spec).toJSON();
    const legacy: LegacyEntityStateJson = {
      l: legacyLayoutOf(card(spec)),
      a: current.a,
      g: current.g.map(([, , rows]) => rows),
    };
    expect(EntityState.fromJSON(card(spec), legacy).read(readAt)).toEqual({ n_10m: 3, sum_1h: 60 });
    const changed = specOf(COUNT, SUM, { ...COUNT, name: 'added' });
    const revived = EntityState.fromJSON(card(changed), { ...legacy, l: legacyLayoutOf(card(spec)) });
    expect(revived.read(readAt)).toEqual({ n_10m: 0, sum_1h: 0, added: 0 });
    expect(revived.unrevived).toEqual([0, 1, 2]);
  });

  it('fingerprints a feature by its meaning: equal durations agree, a filter or field differs, a description does not', () => {
    const fingerprint = (feature: FeatureSpec) =>
      featureFingerprint(card(specOf(feature)).features[0]?.feature as never);
    expect(fingerprint({ ...SUM, window: '60m' })).toBe(fingerprint(SUM));
    expect(fingerprint({ ...SUM, description: 'reworded' })).toBe(fingerprint(SUM));
    expect(fingerprint({ ...SUM, where: { field: 'status', eq: 'ok' } })).not.toBe(fingerprint(SUM));
    expect(fingerprint({ ...SUM, agg: 'avg' })).not.toBe(fingerprint(SUM));
    expect(fingerprint({ ...SUM, tile: '10m' })).not.toBe(fingerprint(SUM));
  });

  it('marks a feature added to an existing item as born at its watermarks, and drops the mark once its window passed', () => {
    const before = specOf(COUNT);
    const after = specOf(COUNT, { ...COUNT, name: 'added' });
    const stored = JSON.parse(JSON.stringify(stateWithTraffic(before)));
    const watermarks = new Map<string, ShardWatermark>([
      ['s', { sequenceNumber: '3', arrivalMs: T0 + 180_005, firstSequenceNumber: '1' }],
    ]);
    const options = { retentionMs: 86_400_000, latenessMs: 360_000 };
    const event = (i: number, at: number) =>
      classifyBatch(after, [jsonRecord({ ts: at, card_id: 'c1', amount: 1 }, at + 5, 's', i)]).events;
    const state = EntityState.fromJSON(card(after), stored);
    const next = applyLive(state, watermarks, event(4, T0 + 240_000), options);
    expect(state.marks[1]).toEqual({ w0: { s: '3' }, t: T0 + 180_005 });
    expect(state.read(T0 + 300_000)).toEqual({ n_10m: 4, added: 1 });
    // 10m window + 1m tile + 6m lateness and skew after the birth: the born mark has done its work.
    const later = EntityState.fromJSON(card(after), JSON.parse(JSON.stringify(state)));
    applyLive(later, next.watermarks, event(5, T0 + 180_005 + 17 * 60_000 + 1), options);
    expect(later.marks[1]).toBeUndefined();
  });

  it('restores a layout-1 item whose entity changed with a backfill of all its features', () => {
    const before = specOf(COUNT, SUM);
    const after = specOf(COUNT, SUM, { ...COUNT, name: 'added' });
    const stored = stateWithTraffic(before).toJSON();
    const legacy: LegacyEntityStateJson = {
      l: legacyLayoutOf(card(before)),
      a: stored.a,
      g: stored.g.map(([, , rows]) => rows),
    };
    const watermarks = new Map<string, ShardWatermark>([
      ['s', { sequenceNumber: '3', arrivalMs: T0 + 180_005, firstSequenceNumber: '1' }],
    ]);
    const options = { retentionMs: 86_400_000, latenessMs: 360_000 };
    const state = EntityState.fromJSON(card(after), legacy);
    const live = classifyBatch(after, [
      jsonRecord({ ts: T0 + 240_000, card_id: 'c1', amount: 40 }, T0 + 240_005, 's', 4),
    ]).events;
    const { watermarks: next } = applyLive(state, watermarks, live, options);
    expect(state.read(readAt)).toEqual({ n_10m: 1, sum_1h: 40, added: 1 });
    // The archive: the three records the layout-1 item held, and the live one (which the backfill leaves alone).
    const archive = [1, 2, 3].map((i) =>
      jsonRecord({ ts: T0 + i * 60_000, card_id: 'c1', amount: i * 10 }, T0 + i * 60_000 + 5, 's', i),
    );
    const events = classifyBatch(after, [...archive, ...jsonRecords(live)]).events;
    expect(applyBackfill(state, next, events, [0, 1, 2])).toBe(9);
    expect(state.read(readAt)).toEqual({ n_10m: 4, sum_1h: 100, added: 4 });
  });
});

function jsonRecords(events: readonly { record: ReturnType<typeof jsonRecord> }[]) {
  return events.map((event) => event.record);
}
