/**
 * Content-addressed model versions: `<name>-<first 12 hex of sha256 of the canonical JSON of
 * {features, weights, bias, transforms}>`. Two documents that score every vector alike have the same version, and
 * any change to what a model computes changes it; `metrics`, `training`, `description` and `spec` (the spec version
 * it was trained under) describe a model without changing a score, so they are left out: a committed model gains
 * its spec version without changing its version. A registry is then a folder of `<version>.json` files: training again
 * adds a file, and rolling back is choosing an older one.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../core/index.js';
import type { LogisticModelDocument } from './embedded-model.js';

export const DEFAULT_MODEL_NAME = 'fraud-lr';

const HASH_HEX = 12;
const VERSION = new RegExp(`^(.+)-([0-9a-f]{${HASH_HEX}})$`);
/**
 * The version names a file in the registry: no separators, no leading dot; at most 115 characters, so that the
 * version fits the 128 a deployment's config accepts.
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,114}$/;

/** The parts of a document that decide its scores. */
export type ModelContent = Pick<LogisticModelDocument, 'features' | 'weights' | 'bias' | 'transforms'>;

/** The version a document's content gets under `name`. */
export function modelVersion(content: ModelContent, name = DEFAULT_MODEL_NAME): string {
  checkModelName(name);
  return `${name}-${contentHash(content)}`;
}

/** Throws a RangeError quoting the name unless it can prefix a version (and so name a registry file). */
export function checkModelName(name: string): void {
  if (!NAME.test(name)) {
    throw new RangeError(
      `a model name must be 1 to 115 letters, digits, '.', '_' or '-', starting with a letter or digit ` +
        `(got ${JSON.stringify(name)})`,
    );
  }
}

/** The first 12 hex digits of the sha256 of the content's canonical JSON. */
export function contentHash(content: ModelContent): string {
  const canonical = canonicalJson({
    features: content.features,
    weights: content.weights,
    bias: content.bias,
    // No transforms and empty transforms score alike.
    transforms: content.transforms ?? {},
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, HASH_HEX);
}

/**
 * Whether a document's version is the one its content gives: its name, a dash, and the content hash. A document
 * whose weights were edited by hand, or whose version was typed, fails.
 */
export function checkModelVersion(document: LogisticModelDocument): { ok: boolean; expected?: string } {
  const match = VERSION.exec(document.version);
  if (!match || !NAME.test(match[1] as string)) return { ok: false };
  const expected = modelVersion(document, match[1] as string);
  return expected === document.version ? { ok: true } : { ok: false, expected };
}

/** Throws unless the document's version matches its content; the error quotes both. */
export function assertModelVersion(document: LogisticModelDocument, source = 'model document'): void {
  const { ok, expected } = checkModelVersion(document);
  if (ok) return;
  throw new Error(
    expected
      ? `${source}: version ${JSON.stringify(document.version)} does not match its content, which hashes to ${JSON.stringify(expected)}`
      : `${source}: version ${JSON.stringify(document.version)} is not <name>-<${HASH_HEX} hex digits of the content hash>`,
  );
}
