import type { FeatureValue } from './engine/aggregates.js';
import type { EntityState } from './engine/entity-state.js';
import { entityNamed, itemKeyOf, MemoryEngine, type Totals } from './engine/memory-engine.js';
import { readWindows } from './engine/window-reader.js';
import type { InputRecord } from './record.js';
import type { CompiledEntity, CompiledSpec } from './spec/compile.js';

/** How many records the sweep hands the engine at once, at most: the batch an online shard would see. */
const SWEEP_BATCH = 1_000;
/** Settle (free unreachable tiles and ids) after this many records. */
const SETTLE_EVERY = 50_000;

/**
 * The engine driven in arrival order, for point-in-time reads: records are added in arrival order (α
 * non-decreasing), and `advanceTo(t)` takes every added record with α ≤ t, so a read at t sees exactly what
 * the online store would have seen at t had processing been instant. Records added but not yet reached wait in
 * a queue; the caller adds more whenever `coversUpTo(t)` says the queue may not hold everything up to t.
 */
export class ArrivalSweep {
  private readonly engine: MemoryEngine;
  private queue: InputRecord[] = [];
  private head = 0;
  private lastArrival = Number.NEGATIVE_INFINITY;
  private sinceSettle = 0;
  /** Records taken by the engine so far. */
  ingested = 0;

  constructor(spec: CompiledSpec) {
    this.engine = new MemoryEngine(spec);
  }

  get totals(): Totals {
    return this.engine.totals;
  }

  /** Adds records in arrival order; a record that arrived before one already added is a caller's bug. */
  add(records: readonly InputRecord[]): void {
    for (const record of records) {
      if (record.arrivalMs < this.lastArrival) {
        throw new Error(
          `records must come in arrival order: ${record.shardId}/${record.sequenceNumber} arrived at ` +
            `${record.arrivalMs}, after a record that arrived at ${this.lastArrival}`,
        );
      }
      this.lastArrival = record.arrivalMs;
      this.queue.push(record);
    }
  }

  /** True when every record with α ≤ t that was added is known: the queue holds a record that arrived after t. */
  coversUpTo(t: number): boolean {
    return this.lastArrival > t;
  }

  /** Hands the engine every queued record with α ≤ t, in batches the size a shard would deliver. */
  advanceTo(t: number): void {
    const queue = this.queue;
    while (this.head < queue.length && (queue[this.head] as InputRecord).arrivalMs <= t) {
      const start = this.head;
      let end = start;
      while (end < queue.length && end - start < SWEEP_BATCH && (queue[end] as InputRecord).arrivalMs <= t)
        end++;
      this.engine.ingestRange(queue, start, end);
      this.head = end;
      this.ingested += end - start;
      this.sinceSettle += end - start;
      if (this.sinceSettle >= SETTLE_EVERY) {
        this.engine.settle((queue[end - 1] as InputRecord).arrivalMs);
        this.sinceSettle = 0;
      }
    }
    if (this.head > 4_096 && this.head * 2 > queue.length) {
      this.queue = queue.slice(this.head);
      this.head = 0;
    }
  }

  /** Feature values of one entity key as of t (set on `values`, if given): call `advanceTo(t)` first. */
  read(
    entity: string,
    key: Readonly<Record<string, unknown>>,
    t: number,
    values?: Record<string, FeatureValue>,
  ): Record<string, FeatureValue> {
    // Folded from the tiles without making partials (window-reader.ts): the values EntityState.read gives.
    const state = this.engine.states.get(itemKeyOf(entityNamed(this.engine.spec, entity), key));
    return state ? readWindows(state, t, values) : this.engine.read(entity, key, t, values);
  }

  /** The state of one entity key, when the engine has one (read it as of t after `advanceTo(t)`). */
  stateOf(entity: CompiledEntity, key: Readonly<Record<string, unknown>>): EntityState | undefined {
    return this.engine.states.get(itemKeyOf(entity, key));
  }

  /**
   * The state stored under an item key (core/engine/classify.ts, `itemKey`), when the engine has one: for a reader
   * that builds item keys from values it holds (a training set's label keys) instead of a key record per read.
   */
  stateAt(itemKey: string): EntityState | undefined {
    return this.engine.states.get(itemKey);
  }

  /** Takes every queued record, so the totals account for all of them. */
  finish(): Totals {
    this.advanceTo(Number.POSITIVE_INFINITY);
    return this.engine.totals;
  }
}
