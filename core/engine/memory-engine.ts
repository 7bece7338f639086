import type { InputRecord } from '../record.js';
import type { CompiledEntity, CompiledSpec } from '../spec/compile.js';
import type { FeatureValue } from './aggregates.js';
import { isRejection, itemKey, type Rejection } from './classify.js';
import { CleanPass } from './clean-pass.js';
import { EntityState } from './entity-state.js';

export type Outcome = 'counted' | Rejection['reason'];
export type Totals = Record<Outcome, number>;

export interface IngestResult {
  /** The records that counted. */
  readonly counted: InputRecord[];
  /** Every other record, with its reason. */
  readonly rejected: Rejection[];
}

/**
 * The engine with its state in memory: the offline replay, the tests' reference and the benchmark use it.
 * Same classification, dedupe and tile code as the online store; only the storage differs.
 */
export class MemoryEngine {
  readonly states = new Map<string, EntityState>();
  readonly totals: Totals = { counted: 0, invalid: 0, future: 0, late: 0, duplicate: 0 };
  /**
   * The rules, the id dedupe, and records taken by shard and sequence number: a record delivered twice (a Lambda
   * retry, a Firehose duplicate in the archive) counts once.
   */
  private readonly pass: CleanPass;

  constructor(readonly spec: CompiledSpec) {
    this.pass = new CleanPass(spec);
  }

  /**
   * Counts a batch of records, in shard order. Returns what counted and what was set aside, with reasons.
   * Each record is taken through all the rules and into the tiles before the next, so its parsed body dies young.
   */
  ingest(records: readonly InputRecord[]): IngestResult {
    const counted: InputRecord[] = [];
    const rejected: Rejection[] = [];
    for (const record of records) {
      const rejection = this.take(record);
      if (rejection) {
        rejected.push(rejection);
        this.totals[rejection.reason]++;
      } else {
        counted.push(record);
        this.totals.counted++;
      }
    }
    return { counted, rejected };
  }

  /**
   * Counts `records[start..end)` like `ingest`, keeping only the totals: the replay's path, which has no use for
   * the lists and should not pay for them.
   */
  ingestRange(records: readonly InputRecord[], start: number, end: number): void {
    for (let i = start; i < end; i++) {
      const rejection = this.take(records[i] as InputRecord);
      this.totals[rejection ? rejection.reason : 'counted']++;
    }
  }

  /** Feature values of one entity key as of t; set on `values`, if given. */
  read(
    entity: string,
    key: Readonly<Record<string, unknown>>,
    t: number,
    values?: Record<string, FeatureValue>,
  ): Record<string, FeatureValue> {
    const compiled = entityNamed(this.spec, entity);
    const state = this.states.get(itemKeyOf(compiled, key)) ?? new EntityState(compiled);
    return state.read(t, values);
  }

  /** Frees what no read at or after `nowMs` can reach: old tiles, empty states, ids past the dedupe horizon. */
  settle(nowMs: number): void {
    for (const [key, state] of this.states) {
      state.settle(nowMs);
      if (state.isEmpty()) this.states.delete(key);
    }
    this.pass.prune(nowMs);
  }

  /** One record through every rule and, when it counts, into its entities' tiles. */
  private take(record: InputRecord): Rejection | undefined {
    const event = this.pass.decide(record);
    if (isRejection(event)) return event;
    const entities = this.spec.entities;
    for (let ei = 0; ei < entities.length; ei++) {
      const key = event.itemKeys[ei] as string;
      let state = this.states.get(key);
      if (!state) {
        state = new EntityState(entities[ei] as CompiledEntity);
        this.states.set(key, state);
      }
      state.apply(event);
    }
    return undefined;
  }
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
