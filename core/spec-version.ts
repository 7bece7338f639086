import { canonicalJson } from './canonical-json.js';
import { featureFingerprint } from './engine/feature-fingerprint.js';
import { murmur3 } from './engine/hash.js';
import { onceEach } from './once-each.js';
import type { CompiledSpec } from './spec/compile.js';
import type { Spec } from './spec/types.js';

/**
 * Which spec computed something: the spec's content hash (the whole normalized spec, descriptions included: it
 * names one spec document) and each feature's fingerprint (engine/feature-fingerprint.ts: what its values mean).
 * Recorded with what the spec computed (the feature log, training sets, model documents), so that values are
 * compared like with like: two values of a feature agree in meaning exactly when their fingerprints are equal,
 * whatever else changed in the spec.
 */
export interface SpecVersion {
  /** 16 hex digits of the normalized spec's canonical JSON. */
  readonly hash: string;
  /** Feature name -> fingerprint, in spec order. */
  readonly fingerprints: Readonly<Record<string, string>>;
}

/** The spec version of a compiled spec (computed once per spec: the scoring path logs it with every request). */
export const specVersionOf = onceEach((spec: CompiledSpec): SpecVersion => {
  const fingerprints: Record<string, string> = {};
  for (const entity of spec.entities) {
    for (const { feature } of entity.features) fingerprints[feature.name] = featureFingerprint(feature);
  }
  const ordered: Record<string, string> = {};
  for (const feature of spec.spec.features) ordered[feature.name] = fingerprints[feature.name] as string;
  return { hash: specHash(spec.spec), fingerprints: ordered };
});

/**
 * The content hash of a normalized spec (parseSpec output): two 32-bit MurmurHash3 of its canonical JSON (keys
 * sorted at every level), as 16 hex digits. A spec read from JSON and the same spec built with the builders hash
 * alike; any change to it, a description included, changes the hash. Not a security hash: it tells versions apart.
 */
export function specHash(spec: Spec): string {
  const text = canonicalJson(spec);
  const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
  return hex(murmur3(text, 0x5eed)) + hex(murmur3(text, 0x0f00d));
}

/** A feature recorded under one definition that the spec computes otherwise, or not at all. */
export interface DefinitionChange {
  readonly feature: string;
  readonly recorded: string;
  /** The spec's fingerprint of the feature; null when the spec has no feature of that name. */
  readonly now: string | null;
}

/**
 * The recorded features whose fingerprint the spec does not compute: those it no longer has, and those it
 * defines otherwise (another window, field, filter...). Empty when every recorded feature means what it meant.
 */
export function definitionChanges(
  recorded: Readonly<Record<string, string>>,
  version: SpecVersion,
): DefinitionChange[] {
  return Object.entries(recorded).flatMap(([feature, fingerprint]) => {
    const now = version.fingerprints[feature] ?? null;
    return now === fingerprint ? [] : [{ feature, recorded: fingerprint, now }];
  });
}

/** "a (fingerprint x -> y), b (no longer in the spec)": the changes as one line for an error message. */
export function describeDefinitionChanges(changes: readonly DefinitionChange[]): string {
  return changes
    .map(({ feature, recorded, now }) =>
      now === null
        ? `${feature} (no longer in the spec; was fingerprint ${recorded})`
        : `${feature} (defined otherwise: fingerprint ${recorded} -> ${now})`,
    )
    .join(', ');
}
