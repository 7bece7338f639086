/**
 * A spec change with live traffic and a backfill, on the pure item-update rules (core/engine/item-update.ts) over
 * an in-memory table of items: traffic under spec A, a deploy of spec B (features removed, changed and added) at a
 * random point between shard batches (a batch half applied under A may be redelivered under B), a backfill of B's
 * new features from the archive in chunks interleaved with live batches at random, started at a random point. At the
 * end every feature of B reads what one clean pass of B over all the records says; and the features B kept read,
 * at every step, what a clean pass of A over the records applied so far says.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AGGREGATIONS,
  applyBackfill,
  applyLive,
  type CompiledSpec,
  classifyBatch,
  compileSpec,
  EntityState,
  type EntityStateJson,
  type FeatureSpec,
  featureFingerprint,
  groupByItem,
  type InputRecord,
  MemoryEngine,
  parseSpec,
  type ShardWatermark,
  sameValue,
  type ValidEvent,
} from '../../core/index.js';

const T0 = 1_699_999_980_000;
const SHARDS = ['shardId-000000000000', 'shardId-000000000001'];
const WINDOWS: readonly [string, string][] = [
  ['3s', '1s'],
  ['10s', '2s'],
  ['1m', '10s'],
  ['4s', '4s'],
];
const FIELD_OF: Record<string, string | undefined> = {
  count: undefined,
  sum: 'amount',
  avg: 'amount',
  min: 'amount',
  max: 'amount',
  stddev: 'amount',
  last: 'status',
  distinct: 'merchant_id',
};

const featureArb = fc.record({
  entity: fc.constantFrom('card', 'card_merchant'),
  agg: fc.constantFrom(...AGGREGATIONS),
  window: fc.constantFrom(...WINDOWS),
  where: fc.boolean(),
});
type FeatureDraft = typeof featureArb extends fc.Arbitrary<infer T> ? T : never;

function featureOf(name: string, draft: FeatureDraft): FeatureSpec {
  const field = FIELD_OF[draft.agg];
  return {
    name,
    entity: draft.entity,
    agg: draft.agg,
    ...(field ? { field } : {}),
    window: draft.window[0],
    tile: draft.window[1],
    ...(draft.where ? { where: { field: 'status', eq: 'ok' } } : {}),
  };
}

function specOf(features: FeatureSpec[]): CompiledSpec {
  return compileSpec(
    parseSpec({
      version: 1,
      name: 'change',
      event: { timeField: 'ts', allowedLateness: '2s', maxFutureSkew: '1s' },
      entities: { card: ['card_id'], card_merchant: ['card_id', 'merchant_id'] },
      features,
    }),
  );
}

/** Spec A, and B: A less some features, some changed (another window or aggregation), plus some new ones. */
const changeArb = fc
  .record({
    a: fc.array(featureArb, { minLength: 2, maxLength: 6 }),
    fate: fc.array(fc.constantFrom('keep', 'keep', 'remove', 'change'), { minLength: 6, maxLength: 6 }),
    changes: fc.array(featureArb, { minLength: 6, maxLength: 6 }),
    added: fc.array(featureArb, { minLength: 1, maxLength: 3 }),
  })
  .map(({ a, fate, changes, added }) => {
    const before = a.map((draft, i) => featureOf(`f${i}`, draft));
    const after: FeatureSpec[] = [];
    before.forEach((feature, i) => {
      if (fate[i] === 'keep') after.push(feature);
      else if (fate[i] === 'change') {
        const changed = featureOf(feature.name, {
          ...(changes[i] as FeatureDraft),
          entity: feature.entity as never,
        });
        after.push(changed);
      }
    });
    for (const [i, draft] of added.entries()) after.push(featureOf(`n${i}`, draft));
    return { before, after };
  });

const eventArb = fc.record({
  card: fc.constantFrom('c1', 'c2', 'c3'),
  merchant: fc.constantFrom('m1', 'm2'),
  amount: fc.integer({ min: -20, max: 100 }),
  status: fc.constantFrom('ok', 'declined'),
  gap: fc.integer({ min: 0, max: 1500 }),
  delay: fc.integer({ min: -800, max: 2500 }),
  shard: fc.nat(1),
});

const encoder = new TextEncoder();

function recordsOf(
  events: readonly (typeof eventArb extends fc.Arbitrary<infer T> ? T : never)[],
): InputRecord[] {
  let arrival = T0;
  const sequence = [100, 100];
  return events.map((e) => {
    arrival += e.gap;
    sequence[e.shard] = (sequence[e.shard] as number) + 1;
    const body = {
      ts: arrival - e.delay,
      card_id: e.card,
      merchant_id: e.merchant,
      amount: e.amount,
      status: e.status,
    };
    return {
      data: encoder.encode(JSON.stringify(body)),
      arrivalMs: arrival,
      shardId: SHARDS[e.shard] as string,
      sequenceNumber: String(sequence[e.shard]),
    };
  });
}

interface StoredItem {
  state: string;
  watermarks: Map<string, ShardWatermark>;
}

/** A table of items in memory, written with the same rules as the DynamoDB store. */
class MemoryTable {
  readonly items = new Map<string, StoredItem>();

  revive(spec: CompiledSpec, key: string, entity: CompiledSpec['entities'][number]) {
    const stored = this.items.get(key);
    const state = stored
      ? EntityState.fromJSON(entity, JSON.parse(stored.state) as EntityStateJson)
      : new EntityState(entity);
    return { state, watermarks: stored?.watermarks ?? new Map<string, ShardWatermark>(), spec };
  }

  /** A live batch of one shard; with `crashAfter`, only that many of its items are written. */
  live(spec: CompiledSpec, records: readonly InputRecord[], crashAfter?: number): void {
    const { events } = classifyBatch(spec, records);
    let written = 0;
    for (const item of groupByItem(spec, events).values()) {
      if (crashAfter !== undefined && written >= crashAfter) return;
      const { state, watermarks } = this.revive(spec, item.key, item.entity);
      const next = applyLive(state, watermarks, item.events, {
        retentionMs: 86_400_000,
        latenessMs: spec.allowedLatenessMs + spec.maxFutureSkewMs,
      });
      if (next.applied.length > 0)
        this.items.set(item.key, { state: JSON.stringify(state), watermarks: next.watermarks });
      written++;
    }
  }

  backfill(spec: CompiledSpec, events: readonly ValidEvent[], features: ReadonlySet<string>): void {
    for (const item of groupByItem(spec, events).values()) {
      const positions = item.entity.features.flatMap(({ feature }, p) =>
        features.has(feature.name) ? [p] : [],
      );
      if (positions.length === 0) continue;
      const { state, watermarks } = this.revive(spec, item.key, item.entity);
      if (applyBackfill(state, watermarks, item.events, positions) > 0)
        this.items.set(item.key, { state: JSON.stringify(state), watermarks: new Map(watermarks) });
    }
  }

  read(spec: CompiledSpec, key: string, t: number) {
    const entity = spec.entityByName.get(key.split('#')[0] as string);
    if (!entity) throw new Error(`no entity for ${key}`);
    return this.revive(spec, key, entity).state.read(t);
  }
}

function cleanPass(spec: CompiledSpec, records: readonly InputRecord[]) {
  const engine = new MemoryEngine(spec);
  engine.ingest([...records].sort((x, y) => x.arrivalMs - y.arrivalMs));
  return engine;
}

/** Every feature named, for every item the clean pass holds, as the table reads it and as the clean pass does. */
function differences(
  table: MemoryTable,
  spec: CompiledSpec,
  records: readonly InputRecord[],
  names: ReadonlySet<string>,
  t: number,
): string[] {
  const engine = cleanPass(spec, records);
  const found: string[] = [];
  for (const [key, state] of engine.states) {
    const expected = state.read(t);
    const actual = table.read(spec, key, t);
    for (const name of names) {
      if (name in expected && !sameValue(actual[name], expected[name]))
        found.push(`${key} ${name}: ${JSON.stringify(actual[name])} != ${JSON.stringify(expected[name])}`);
    }
  }
  return found;
}

const scenarioArb = fc.record({
  change: changeArb,
  events: fc.array(eventArb, { minLength: 5, maxLength: 60 }),
  batchSize: fc.integer({ min: 1, max: 8 }),
  /** Shard batches in a random interleaving: the shard each step takes its next batch from. */
  order: fc.array(fc.nat(1), { minLength: 40, maxLength: 40 }),
  deployAt: fc.nat(),
  backfillAt: fc.nat(),
  backfillChunk: fc.integer({ min: 1, max: 10 }),
  crash: fc.option(fc.record({ at: fc.nat(), after: fc.nat(3) }), { freq: 2 }),
  archiveAhead: fc.boolean(),
});

describe('a spec change with live traffic and a backfill', { timeout: 120_000 }, () => {
  it('backfill + live equal one clean pass of the new spec, and kept features never change meanwhile', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const specA = specOf(scenario.change.before);
        const specB = specOf(scenario.change.after);
        const records = recordsOf(scenario.events);
        const fingerprintsA = new Set(
          specA.entities.flatMap((e) => e.features.map((f) => featureFingerprint(f.feature))),
        );
        const kept = new Set<string>();
        const needBackfill = new Set<string>();
        for (const entity of specB.entities)
          for (const { feature } of entity.features)
            (fingerprintsA.has(featureFingerprint(feature)) ? kept : needBackfill).add(feature.name);

        // Live batches per shard, taken in a random interleaving of the shards.
        const queues = SHARDS.map((shard) => {
          const list = records.filter((r) => r.shardId === shard);
          const batches: InputRecord[][] = [];
          for (let i = 0; i < list.length; i += scenario.batchSize)
            batches.push(list.slice(i, i + scenario.batchSize));
          return batches;
        });
        const steps: number[] = [];
        const left = queues.map((q) => q.length);
        for (const pick of scenario.order) {
          const shard = (left[pick] as number) > 0 ? pick : 1 - pick;
          if ((left[shard] as number) === 0) break;
          steps.push(shard);
          left[shard] = (left[shard] as number) - 1;
        }
        left.forEach((n, shard) => {
          for (let i = 0; i < n; i++) steps.push(shard);
        });
        const deployAt = scenario.deployAt % (steps.length + 1);
        const backfillAt = deployAt + (scenario.backfillAt % (steps.length - deployAt + 1));

        const table = new MemoryTable();
        const taken = [0, 0];
        const applied: InputRecord[] = [];
        let backfillQueue: ValidEvent[] | undefined;
        // The latest arrival seen by anyone: reads happen at or after it (tiles before a window of it are gone).
        let now = Number.NEGATIVE_INFINITY;
        const backfillStep = () => {
          if (!backfillQueue?.length) return;
          table.backfill(specB, backfillQueue.splice(0, scenario.backfillChunk), needBackfill);
        };
        for (let step = 0; step <= steps.length; step++) {
          if (step === backfillAt) {
            // The archive holds at least every record applied so far (and, at random, all of them).
            const archive = scenario.archiveAhead
              ? records
              : records.filter((r) => r.arrivalMs <= Math.max(...applied.map((a) => a.arrivalMs), 0));
            backfillQueue = classifyBatch(specB, archive).events;
            for (const record of archive) now = Math.max(now, record.arrivalMs);
          }
          if (step >= backfillAt && step % 2 === 0) backfillStep();
          if (step === steps.length) break;
          const shard = steps[step] as number;
          const batch = (queues[shard] as InputRecord[][])[taken[shard] as number] as InputRecord[];
          taken[shard] = (taken[shard] as number) + 1;
          const spec = step < deployAt ? specA : specB;
          if (scenario.crash && scenario.crash.at % steps.length === step) {
            table.live(spec, batch, scenario.crash.after);
            // The redelivery comes after the deploy when the deploy is next.
            table.live(step + 1 === deployAt ? specB : spec, batch);
          } else table.live(spec, batch);
          applied.push(...batch);
          for (const record of batch) now = Math.max(now, record.arrivalMs);
          if (kept.size > 0) {
            const t = now + 1;
            expect(differences(table, specB, applied, kept, t), `after step ${step}`).toEqual([]);
          }
        }
        while (backfillQueue?.length) backfillStep();
        const t = Math.max(...records.map((r) => r.arrivalMs)) + 1;
        expect(differences(table, specB, records, new Set([...kept, ...needBackfill]), t)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
