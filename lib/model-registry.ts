/** The model registry (adapters/model/model-registry.ts), read at synth: errors are invalid props. */
import type { LogisticModelDocument } from '../adapters/model/embedded-model.js';
import * as registry from '../adapters/model/model-registry.js';
import { InvalidPropsError } from './errors.js';

/** The versions in a registry, sorted; a registry that cannot be read fails synth. */
export function registryVersions(dir: string): string[] {
  return asPropsError(() => registry.registryVersions(dir));
}

/** `<registry>/<version>.json`, validated; fails synth naming the registry, the version and those it has. */
export function readRegistryModel(dir: string, version: string): LogisticModelDocument {
  return asPropsError(() => registry.readRegistryModel(dir, version));
}

function asPropsError<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw new InvalidPropsError((error as Error).message);
  }
}

/**
 * What a score bundle carries as `__STREAMFEATURES_MODELS__` (lambdas/score/models.ts reads it): the model it
 * embeds by default and the documents it may embed.
 */
export interface BuiltInModels {
  readonly champion: string;
  readonly documents: readonly LogisticModelDocument[];
}

/** The built-in models for a model version and, optionally, an embedded challenger, read from the registry. */
export function modelsToBuildIn(
  registry: string,
  version: string,
  challengerVersion?: string,
): BuiltInModels {
  const documents = [readRegistryModel(registry, version)];
  if (challengerVersion !== undefined && challengerVersion !== version) {
    documents.push(readRegistryModel(registry, challengerVersion));
  }
  return { champion: version, documents };
}
