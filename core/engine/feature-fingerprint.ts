import { onceEach } from '../once-each.js';
import type { CompiledFeature } from '../spec/compile.js';
import type { FeatureSpec, WhereFilter } from '../spec/types.js';
import { murmur3 } from './hash.js';

/**
 * What a feature's stored partials mean, as one short string: its name, aggregation, field, window and tile (in
 * milliseconds, so `60m` and `1h` agree) and where filter (keys in a fixed order). The description is left out:
 * rewording it changes nothing stored. Two features of one entity never share a fingerprint (their names differ).
 * The online store keys each feature's partials by it, so a spec change leaves every feature whose fingerprint
 * stayed readable, and a feature whose meaning changed starts empty instead of reading partials of another meaning.
 */
export const featureFingerprint = onceEach((feature: CompiledFeature): string =>
  fingerprintOf(feature.definition, feature.windowMs, feature.tileMs),
);

/** The fingerprint of a feature as the spec states it, given its window and tile in milliseconds. */
export function fingerprintOf(definition: FeatureSpec, windowMs: number, tileMs: number): string {
  const meaning = [
    definition.name,
    definition.entity,
    definition.agg,
    definition.field ?? null,
    windowMs,
    tileMs,
    definition.where ? normalizedWhere(definition.where) : null,
  ];
  // 32 bits (up to 7 characters, stored once per feature in every item): a changed feature keeping its old
  // fingerprint by chance is a 1 in 4 billion event; two features of one entity colliding is refused (entity-state).
  return murmur3(JSON.stringify(meaning)).toString(36);
}

function normalizedWhere(where: WhereFilter): unknown[] {
  return Object.keys(where)
    .sort()
    .map((key) => [key, where[key as keyof WhereFilter] ?? null]);
}
