import type { FeatureValue } from './engine/aggregates.js';
import { entityNamed, itemKeyOf, MemoryEngine, type Totals } from './engine/memory-engine.js';
import type { InputRecord } from './record.js';
import type { CompiledSpec } from './spec/compile.js';

/** "What were this entity's features at t?" */
export interface ReplayQuery {
  readonly entity: string;
  readonly key: Readonly<Record<string, string | number>>;
  readonly t: number;
}

export interface ReplayAnswer extends ReplayQuery {
  readonly features: Record<string, FeatureValue>;
}

/** How many records the sweep hands the engine at once, at most: the batch an online shard would see. */
const SWEEP_BATCH = 1_000;
/** Settle (free unreachable tiles and ids) after this many records. */
const SETTLE_EVERY = 50_000;

/**
 * Point-in-time replay: answers each query with the features as of its t, computed from exactly the records that
 * had arrived by t (α ≤ t), by the same engine the online path runs. Records are taken in arrival order (ties in
 * the order given), queries answered in the order given.
 */
export function replay(
  spec: CompiledSpec,
  records: readonly InputRecord[],
  queries: readonly ReplayQuery[],
): { answers: ReplayAnswer[]; totals: Totals } {
  queries.forEach((query, i) => {
    checkQuery(spec, query, i);
  });
  const byArrival = records
    .map((record, i) => ({ record, i }))
    .sort((a, b) => a.record.arrivalMs - b.record.arrivalMs || a.i - b.i)
    .map(({ record }) => record);
  const byTime = queries.map((query, i) => ({ query, i })).sort((a, b) => a.query.t - b.query.t || a.i - b.i);

  const engine = new MemoryEngine(spec);
  const answers: ReplayAnswer[] = new Array(queries.length);
  let next = 0;
  let sinceSettle = 0;
  const ingestUpTo = (t: number) => {
    while (next < byArrival.length && (byArrival[next] as InputRecord).arrivalMs <= t) {
      const start = next;
      while (
        next < byArrival.length &&
        next - start < SWEEP_BATCH &&
        (byArrival[next] as InputRecord).arrivalMs <= t
      ) {
        next++;
      }
      engine.ingest(byArrival.slice(start, next));
      sinceSettle += next - start;
      if (sinceSettle >= SETTLE_EVERY) {
        engine.settle((byArrival[next - 1] as InputRecord).arrivalMs);
        sinceSettle = 0;
      }
    }
  };
  for (const { query, i } of byTime) {
    ingestUpTo(query.t);
    answers[i] = { ...query, features: engine.read(query.entity, query.key, query.t) };
  }
  ingestUpTo(Number.POSITIVE_INFINITY);
  return { answers, totals: engine.totals };
}

function checkQuery(spec: CompiledSpec, query: ReplayQuery, index: number): void {
  try {
    if (typeof query.t !== 'number' || !Number.isFinite(query.t)) {
      throw new Error(`t must be epoch milliseconds (got ${JSON.stringify(query.t)})`);
    }
    itemKeyOf(entityNamed(spec, query.entity), query.key ?? {});
  } catch (error) {
    throw new Error(`query ${index + 1}: ${(error as Error).message}`);
  }
}
