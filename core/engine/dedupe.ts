import type { CompiledSpec } from '../spec/compile.js';
import type { ValidEvent } from './classify.js';

/**
 * What the dedupe compares (the one rule the online store, the replay, the training set, the backfill and the
 * parity check all apply): the event's id, or under `event.dedupeScope` the id within its scope entity's key, so
 * one id sent with two different keys of that entity counts twice. Undefined when the event has no id.
 */
export function dedupeKeyOf(spec: CompiledSpec, event: ValidEvent): string | undefined {
  if (event.id === undefined) return undefined;
  if (spec.dedupeScope === undefined) return event.id;
  return `${event.itemKeys[spec.dedupeScope] as string}\u0000${event.id}`;
}

/**
 * Event-id dedupe within a horizon, in memory: an id counted at arrival α₀ makes any other record with that id
 * arriving up to α₀ + horizon a duplicate. The first arrival wins. Feed it in arrival order.
 */
export class DedupeIndex {
  /** id → arrival of the counted record; insertion order is arrival order, so pruning walks from the front. */
  private readonly counted = new Map<string, number>();

  constructor(private readonly horizonMs: number) {}

  /** True when `id` was counted within the horizon before `alpha`; otherwise records it as counted now. */
  isDuplicate(id: string, alpha: number): boolean {
    const first = this.counted.get(id);
    if (first !== undefined) {
      if (alpha - first <= this.horizonMs) return true;
      this.counted.delete(id); // re-inserted below, at the back: insertion order stays arrival order
    }
    this.counted.set(id, alpha);
    return false;
  }

  /** Forgets ids whose horizon ended before `nowMs`: memory stays bounded by the ids of one horizon. */
  prune(nowMs: number): void {
    for (const [id, alpha] of this.counted) {
      if (nowMs - alpha <= this.horizonMs) break;
      this.counted.delete(id);
    }
  }

  get size(): number {
    return this.counted.size;
  }
}
