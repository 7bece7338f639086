/** The model registry (adapters/model/model-registry.ts), read at synth. */
import { join } from 'node:path';
import type { LogisticModelDocument } from '../adapters/model/embedded-model.js';
import * as registry from '../adapters/model/model-registry.js';
import { modelSpecProblem } from '../adapters/model/model-spec-check.js';
import { compileSpec, type Spec, specVersionOf } from '../core/index.js';
import { PACKAGE_ROOT } from './streamfeatures-function.js';

/**
 * The model version the scoring Lambda embeds when none is named: the fraud model `npm run fraud:model` trains
 * (200K generated events, seed 42; holdout ROC AUC 0.922, PR AUC 0.367). The one place this default is stated.
 */
export const DEFAULT_MODEL_VERSION = 'fraud-lr-52a6357d6140';

/**
 * The registry the scoring Lambda's models come from when none is named: the one the package ships
 * (dist/models, a copy of examples/fraud/models made by `npm run build`).
 */
export const DEFAULT_MODEL_REGISTRY = join(PACKAGE_ROOT, 'dist', 'models');

/** The versions in a registry, sorted; a registry that cannot be read fails naming it. */
export function registryVersions(dir: string): string[] {
  return registry.registryVersions(dir);
}

/** `<registry>/<version>.json`, validated; fails naming the registry, the version and those it has. */
export function readRegistryModel(dir: string, version: string): LogisticModelDocument {
  return registry.readRegistryModel(dir, version);
}

/**
 * What a score function finds beside its bundle as models.json (lambdas/score/models.ts reads it): the model it
 * embeds by default and the documents it may embed.
 */
export interface BuiltInModels {
  readonly champion: string;
  readonly documents: readonly LogisticModelDocument[];
}

/**
 * The built-in models for a model version and, optionally, an embedded challenger, read from the registry. With
 * the spec deployed beside them, a model trained on features that spec no longer computes (by fingerprint) fails,
 * naming the model version and the features: the synth stops instead of serving inputs of another meaning.
 */
export function modelsToBuildIn(
  registry: string,
  version: string,
  challengerVersion?: string,
  spec?: Spec,
): BuiltInModels {
  const documents = [readRegistryModel(registry, version)];
  if (challengerVersion !== undefined && challengerVersion !== version) {
    documents.push(readRegistryModel(registry, challengerVersion));
  }
  if (spec !== undefined) {
    const deployed = specVersionOf(compileSpec(spec));
    const problems = documents.flatMap((document) => modelSpecProblem(document, deployed) ?? []);
    if (problems.length > 0) throw new Error(problems.join('; '));
  }
  return { champion: version, documents };
}
