import { sortedByArrival } from './arrival-order.js';
import { ArrivalSweep } from './arrival-sweep.js';
import type { FeatureValue } from './engine/aggregates.js';
import { entityNamed, itemKeyOf, type Totals } from './engine/memory-engine.js';
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

/**
 * Point-in-time replay: answers each query with the features as of its t, computed from exactly the records that
 * had arrived by t (α ≤ t), by the same engine the online path runs. Records are taken in arrival order (ties in
 * the order given), queries answered in the order given. Holds everything in memory; `pointInTime` streams.
 */
export function replay(
  spec: CompiledSpec,
  records: readonly InputRecord[],
  queries: readonly ReplayQuery[],
): { answers: ReplayAnswer[]; totals: Totals } {
  queries.forEach((query, i) => {
    checkQuery(spec, query, i);
  });
  // Both sorts are stable: ties keep the order given.
  const byTime = queries.map((query, i) => ({ query, i })).sort((a, b) => a.query.t - b.query.t);

  const sweep = new ArrivalSweep(spec);
  sweep.add(sortedByArrival(records));
  const answers: ReplayAnswer[] = new Array(queries.length);
  for (const { query, i } of byTime) {
    sweep.advanceTo(query.t);
    answers[i] = { ...query, features: sweep.read(query.entity, query.key, query.t) };
  }
  return { answers, totals: sweep.finish() };
}

/** Checks a query names a known entity, all its key fields and a finite t; the error says which query. */
export function checkQuery(spec: CompiledSpec, query: ReplayQuery, index: number): void {
  try {
    if (typeof query.t !== 'number' || !Number.isFinite(query.t)) {
      throw new Error(`t must be epoch milliseconds (got ${JSON.stringify(query.t)})`);
    }
    itemKeyOf(entityNamed(spec, query.entity), query.key ?? {});
  } catch (error) {
    throw new Error(`query ${index + 1}: ${(error as Error).message}`);
  }
}
