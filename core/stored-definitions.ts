import {
  EntityState,
  type EntityStateJson,
  fingerprintsOf,
  type LegacyEntityStateJson,
} from './engine/entity-state.js';
import type { CompiledEntity } from './spec/compile.js';

/**
 * What a stored online item holds of each feature's definition (its fingerprint, engine/feature-fingerprint.ts),
 * and so under which definition the value a read gives was computed:
 * - `computed`: partials under the spec's definition, counting every record the item took;
 * - `since-added`: partials under the spec's definition, created when the item already held other features and
 *   not backfilled yet: they count only the records the item took since (a backfill completes them);
 * - `none`: no partials under this definition: the value reads empty. The item was last written by a spec that
 *   defined the feature otherwise or not at all (or the key has no item).
 */
export type StoredDefinition = 'computed' | 'since-added' | 'none';

export interface ItemDefinitions {
  /** Whether the key has an item at all. */
  readonly exists: boolean;
  /** Feature name -> the spec's fingerprint of it and what the item holds under it. */
  readonly features: Readonly<Record<string, { fingerprint: string; stored: StoredDefinition }>>;
  /**
   * Fingerprints the item holds partials under that the spec computes no feature by: earlier definitions (of
   * changed or removed features), dropped by the item's next write. A layout-1 item written under another
   * layout shows as `layout-1:<its layout>`.
   */
  readonly others: readonly string[];
}

/** The definitions a stored item (its state JSON; undefined: no item) holds, read against an entity of the spec. */
export function itemDefinitions(
  entity: CompiledEntity,
  json: EntityStateJson | LegacyEntityStateJson | undefined,
): ItemDefinitions {
  const fingerprints = fingerprintsOf(entity);
  const state = json === undefined ? undefined : EntityState.fromJSON(entity, json);
  const unrevived = new Set(state?.unrevived ?? entity.features.keys());
  const features: Record<string, { fingerprint: string; stored: StoredDefinition }> = {};
  entity.features.forEach(({ feature }, position) => {
    const marks = state?.marks[position];
    const stored: StoredDefinition = unrevived.has(position)
      ? 'none'
      : marks?.w0 !== undefined && marks.b === undefined
        ? 'since-added'
        : 'computed';
    features[feature.name] = { fingerprint: fingerprints[position] as string, stored };
  });
  const known = new Set(fingerprints);
  let others: string[] = [];
  if (json !== undefined && 'v' in json) {
    others = json.g.flatMap(([, stored]) => stored.filter((fingerprint) => !known.has(fingerprint)));
  } else if (json !== undefined && unrevived.size > 0) {
    others = [`layout-1:${json.l}`];
  }
  return { exists: json !== undefined, features, others };
}
