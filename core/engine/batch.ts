import type { InputRecord } from '../record.js';
import type { CompiledEntity, CompiledSpec } from '../spec/compile.js';
import { classify, isRejection, type Rejection, type ValidEvent } from './classify.js';

/** One online-store item's share of a batch: the events to fold into its tiles, in batch order. */
export interface ItemBatch {
  readonly key: string;
  readonly entity: CompiledEntity;
  readonly events: ValidEvent[];
}

export interface ClassifiedBatch {
  /** Valid, timely events in batch order; copies of one id are all here, for the dedupe to decide. */
  readonly events: ValidEvent[];
  /** Every record that will change no feature, with its reason. */
  readonly rejected: Rejection[];
}

/** Classifies a batch: invalid, future and late records are set aside with their reasons. */
export function classifyBatch(spec: CompiledSpec, records: readonly InputRecord[]): ClassifiedBatch {
  const events: ValidEvent[] = [];
  const rejected: Rejection[] = [];
  for (const record of records) {
    const result = classify(spec, record);
    if (isRejection(result)) rejected.push(result);
    else events.push(result);
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

/**
 * Groups counted events by online-store item: each item is then read once, has all its events folded into its
 * tiles, and is written once per batch.
 */
export function groupByItem(spec: CompiledSpec, events: readonly ValidEvent[]): Map<string, ItemBatch> {
  const items = new Map<string, ItemBatch>();
  for (const event of events) {
    for (let ei = 0; ei < spec.entities.length; ei++) {
      const key = event.itemKeys[ei] as string;
      const item = items.get(key);
      // Most items get one event a batch: a list made holding it is a fifth of the size of one grown to hold it.
      if (item) item.events.push(event);
      else items.set(key, { key, entity: spec.entities[ei] as CompiledEntity, events: [event] });
    }
  }
  return items;
}
