import type { InputRecord } from '../record.js';
import type { CompiledEntity, CompiledSpec } from '../spec/compile.js';
import type { FeatureValue } from './aggregates.js';
import { aggregateByItem, classifyBatch, duplicateOf } from './batch.js';
import { itemKey, type Rejection, type ValidEvent } from './classify.js';
import { DedupeIndex } from './dedupe.js';
import { EntityState } from './entity-state.js';

const REDELIVERY_HORIZON_MS = 60_000;

export type Outcome = 'counted' | Rejection['reason'];
export type Totals = Record<Outcome, number>;

export interface IngestResult {
  readonly counted: ValidEvent[];
  readonly rejected: Rejection[];
}

/**
 * The engine with its state in memory: the offline replay, the tests' reference and the benchmark use it.
 * Same classification, dedupe and tile code as the online store; only the storage differs.
 */
export class MemoryEngine {
  readonly states = new Map<string, EntityState>();
  readonly totals: Totals = { counted: 0, invalid: 0, future: 0, late: 0, duplicate: 0 };
  private readonly dedupe: DedupeIndex | undefined;
  /**
   * Records taken, by shard and sequence number: a record delivered twice (a Lambda retry, a Firehose duplicate in
   * the archive) counts once. Every copy of a record carries its one arrival time, so remembering a minute of
   * arrivals is enough when records come in arrival order, and it keeps memory small.
   */
  private readonly taken = new DedupeIndex(REDELIVERY_HORIZON_MS);
  private latestArrival = Number.NEGATIVE_INFINITY;

  constructor(readonly spec: CompiledSpec) {
    this.dedupe = spec.getId ? new DedupeIndex(spec.dedupeHorizonMs) : undefined;
  }

  /** Counts a batch of records, in shard order. Returns what counted and what was set aside, with reasons. */
  ingest(records: readonly InputRecord[]): IngestResult {
    const fresh: InputRecord[] = [];
    const redelivered: Rejection[] = [];
    for (const record of records) {
      if (this.takeSequence(record)) fresh.push(record);
      else redelivered.push(redeliveryOf(record));
    }
    const { events, rejected } = classifyBatch(this.spec, fresh);
    rejected.push(...redelivered);
    const counted: ValidEvent[] = [];
    for (const event of events) {
      if (event.id !== undefined && this.dedupe?.isDuplicate(event.id, event.alpha))
        rejected.push(duplicateOf(event));
      else counted.push(event);
      if (event.alpha > this.latestArrival) this.latestArrival = event.alpha;
    }
    for (const item of aggregateByItem(this.spec, counted).values()) {
      const state = this.states.get(item.key);
      if (state) state.merge(item.delta);
      else this.states.set(item.key, item.delta);
    }
    this.totals.counted += counted.length;
    for (const r of rejected) this.totals[r.reason]++;
    return { counted, rejected };
  }

  /** Feature values of one entity key as of t. */
  read(entity: string, key: Readonly<Record<string, unknown>>, t: number): Record<string, FeatureValue> {
    const compiled = entityNamed(this.spec, entity);
    const state = this.states.get(itemKeyOf(compiled, key)) ?? new EntityState(compiled);
    return state.read(t);
  }

  /** Frees what no read at or after `nowMs` can reach: old tiles, empty states, ids past the dedupe horizon. */
  settle(nowMs: number): void {
    for (const [key, state] of this.states) {
      state.settle(nowMs);
      if (state.isEmpty()) this.states.delete(key);
    }
    this.dedupe?.prune(nowMs);
    this.taken.prune(nowMs);
  }

  private takeSequence(record: InputRecord): boolean {
    return !this.taken.isDuplicate(`${record.shardId}\u0000${record.sequenceNumber}`, record.arrivalMs);
  }
}

function redeliveryOf(record: InputRecord): Rejection {
  return {
    record,
    reason: 'duplicate',
    rule: 'redelivered',
    message: `record ${record.shardId}/${record.sequenceNumber} was already taken`,
  };
}

export function entityNamed(spec: CompiledSpec, name: string): CompiledEntity {
  const entity = spec.entityByName.get(name);
  if (!entity) {
    throw new Error(
      `unknown entity ${JSON.stringify(name)} (the spec has: ${[...spec.entityByName.keys()].join(', ')})`,
    );
  }
  return entity;
}

/** The item key of an entity key given as `{ "card_id": "c1" }`; names the missing field when one is. */
export function itemKeyOf(entity: CompiledEntity, key: Readonly<Record<string, unknown>>): string {
  const values = entity.keyFields.map((field) => {
    const value = key[field];
    if (
      (typeof value === 'string' && value !== '') ||
      (typeof value === 'number' && Number.isFinite(value))
    ) {
      return value;
    }
    throw new Error(
      `key of entity "${entity.name}" needs field "${field}" as a string or number (got ${JSON.stringify(value) ?? 'nothing'})`,
    );
  });
  return itemKey(entity.name, values);
}
