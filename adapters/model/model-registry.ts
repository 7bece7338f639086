import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type LogisticModelDocument, parseModelDocument } from './embedded-model.js';

/**
 * A model registry: a directory of model documents named `<version>.json` (`streamfeatures train` writes them,
 * version `<name>-<12 hex of sha256>`), each with a `version` field equal to its file name. Content-addressed
 * files never change, so a version names one model for good: rolling back is naming an earlier version. Read by
 * the CDK app at synth, the score function when unbundled, and `streamfeatures parity`.
 */

/** The versions in a registry, sorted. A relative registry resolves from the working directory. */
export function registryVersions(registry: string): string[] {
  let names: string[];
  try {
    names = readdirSync(resolve(registry));
  } catch (error) {
    throw new Error(
      `cannot read the model registry ${JSON.stringify(registry)}: ${(error as Error).message}`,
    );
  }
  return names
    .filter((name) => name.endsWith('.json'))
    .map((name) => name.slice(0, -'.json'.length))
    .sort();
}

/** A version's document as stored, unchecked; undefined when the registry has no such version. */
export function registryDocument(
  registry: string,
  version: string,
  versions = registryVersions(registry),
): unknown {
  // Only names the directory lists: a version cannot point outside the registry.
  if (!versions.includes(version)) return undefined;
  return JSON.parse(readFileSync(join(resolve(registry), `${version}.json`), 'utf8')) as unknown;
}

/**
 * `<registry>/<version>.json`, validated, its `version` field checked against the file name. Fails naming the
 * registry, the version and the versions the registry has.
 */
export function readRegistryModel(registry: string, version: string): LogisticModelDocument {
  const versions = registryVersions(registry);
  const source = `model ${version} of the registry ${JSON.stringify(registry)}`;
  let input: unknown;
  try {
    input = registryDocument(registry, version, versions);
  } catch (error) {
    throw new Error(`cannot read ${source}: ${(error as Error).message}`);
  }
  if (input === undefined) {
    throw new Error(
      `model version ${JSON.stringify(version)} is not in the model registry ${JSON.stringify(registry)} ` +
        `(it has: ${versions.length > 0 ? versions.join(', ') : 'no models'})`,
    );
  }
  const document = parseModelDocument(input, source);
  if (document.version !== version) {
    throw new Error(
      `${source}: its "version" field must equal its file name (got ${JSON.stringify(document.version)} ` +
        `in ${version}.json)`,
    );
  }
  return document;
}
