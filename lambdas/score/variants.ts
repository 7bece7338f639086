/**
 * The split between the model (the champion) and a challenger: which of the two answers a request. The
 * assignment hashes an entity key, so one card sees one model for as long as the split lasts, whatever else the
 * request names and however often it comes back.
 */
import type { EntityKeyRequest } from '../../adapters/online-store/online-store.js';
import { murmur3 } from '../../core/engine/hash.js';
import type { CompiledSpec } from '../../core/index.js';

export type Variant = 'champion' | 'challenger';

/**
 * The key a request is assigned by: the first of the spec's entities (in the spec's order) that the request
 * names, with its key values in the entity's key order. With the fraud spec that is the card whenever the
 * request names it. Numbers and their decimal strings are the same key, as they are in the online store.
 */
export function assignmentKey(spec: CompiledSpec, entities: readonly EntityKeyRequest[]): string {
  for (const entity of spec.entities) {
    const request = entities.find((e) => e.entity === entity.name);
    if (request)
      return [entity.name, ...entity.keyFields.map((field) => String(request.key[field]))].join('\u0000');
  }
  // parseScoreRequest lets no request through without a known entity.
  throw new Error(`no entity of the spec in the request (got ${entities.map((e) => e.entity).join(', ')})`);
}

/**
 * `challenger` for a `weight` share of keys. `salt` (the challenger's name) makes each challenger draw its own
 * share of keys, so a new experiment does not reuse the last one's group; raising the weight of one challenger
 * keeps the keys it already had.
 */
export function assignVariant(key: string, salt: string, weight: number): Variant {
  const bucket = murmur3(`${salt}\u0000${key}`) / 2 ** 32;
  return bucket < weight ? 'challenger' : 'champion';
}
