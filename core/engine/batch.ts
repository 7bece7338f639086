import type { InputRecord } from '../record.js';
import type { CompiledEntity, CompiledSpec } from '../spec/compile.js';
import { classify, isRejection, type Rejection, type ValidEvent } from './classify.js';
import { DedupeIndex } from './dedupe.js';
import { EntityState } from './entity-state.js';

/** One online-store item's share of a batch: its events and their pre-aggregate. */
export interface ItemBatch {
  readonly key: string;
  readonly entity: CompiledEntity;
  readonly events: ValidEvent[];
  readonly delta: EntityState;
}

export interface ClassifiedBatch {
  /** Valid, timely events, first copies only, in batch order. */
  readonly events: ValidEvent[];
  /** Every record that will change no feature, with its reason. */
  readonly rejected: Rejection[];
}

/**
 * Classifies a batch: invalid, future and late records are set aside, and so are later copies of an event id
 * already seen in this batch (the store then checks the survivors against earlier batches).
 */
export function classifyBatch(spec: CompiledSpec, records: readonly InputRecord[]): ClassifiedBatch {
  const events: ValidEvent[] = [];
  const rejected: Rejection[] = [];
  const inBatch = spec.getId ? new DedupeIndex(spec.dedupeHorizonMs) : undefined;
  for (const record of records) {
    const result = classify(spec, record);
    if (isRejection(result)) rejected.push(result);
    else if (inBatch && result.id !== undefined && inBatch.isDuplicate(result.id, result.alpha)) {
      rejected.push(duplicateOf(result));
    } else events.push(result);
  }
  return { events, rejected };
}

export function duplicateOf(event: ValidEvent): Rejection {
  return {
    record: event.record,
    reason: 'duplicate',
    rule: 'duplicate',
    message: `event id ${JSON.stringify(event.id)} was already counted`,
    tau: event.tau,
  };
}

/** Groups counted events by online-store item and pre-aggregates each group: one write per item per batch. */
export function aggregateByItem(spec: CompiledSpec, events: readonly ValidEvent[]): Map<string, ItemBatch> {
  const items = new Map<string, ItemBatch>();
  for (const event of events) {
    for (let ei = 0; ei < spec.entities.length; ei++) {
      const key = event.itemKeys[ei] as string;
      let item = items.get(key);
      if (!item) {
        const entity = spec.entities[ei] as CompiledEntity;
        item = { key, entity, events: [], delta: new EntityState(entity) };
        items.set(key, item);
      }
      item.events.push(event);
      item.delta.apply(event);
    }
  }
  return items;
}
