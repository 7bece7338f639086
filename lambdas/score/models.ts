import { EmbeddedModel } from '../../adapters/model/embedded-model.js';
import { registryDocument, registryVersions } from '../../adapters/model/model-registry.js';
import { modelSpecProblem } from '../../adapters/model/model-spec-check.js';
import type { SpecVersion } from '../../core/index.js';
import { ConfigError, type Env } from '../shared/config.js';
import { FUNCTION_FILES, functionDirectory, readFunctionFile } from '../shared/spec.js';

/** Where the score function finds its embedded models. */
export interface ModelSource {
  /** For messages: "this bundle", or the registry directory. */
  readonly where: string;
  /** The version to embed when MODEL_VERSION is unset: the bundle's model; none for a registry directory. */
  readonly defaultVersion: string | undefined;
  readonly versions: readonly string[];
  /** A version's document as stored (checked by `embeddedModel`); undefined when there is none. */
  document(version: string): unknown;
}

/**
 * The models deployed with the function (`models.json` beside the bundle: the configured model and an embedded
 * challenger, staged at synth by lib/scoring-api.ts), else (unbundled: tests, tsx) the registry directory
 * `STREAMFEATURES_MODEL_REGISTRY` names (`<dir>/<version>.json`). Call once, at module scope.
 */
export function loadModelSource(env: Env = process.env, directory = functionDirectory()): ModelSource {
  if (directory !== undefined) {
    return builtInModels(readFunctionFile(directory, FUNCTION_FILES.models, 'the models'));
  }
  const registry = env.STREAMFEATURES_MODEL_REGISTRY;
  if (registry) return registryDirectory(registry);
  throw new Error(
    'no embedded model: this code runs unbundled and STREAMFEATURES_MODEL_REGISTRY is not set (point it at a ' +
      'model registry directory, or run the bundle from a function directory staged by the streamfeatures ' +
      'constructs)',
  );
}

/** The source a `models.json` describes: `{"champion": version, "documents": [document, ...]}`. */
export function builtInModels(text: string): ModelSource {
  const { champion, documents } = JSON.parse(text) as {
    champion: string;
    documents: { version?: unknown }[];
  };
  const byVersion = new Map(documents.map((document) => [String(document.version), document]));
  return {
    where: 'this bundle',
    defaultVersion: champion,
    versions: [...byVersion.keys()],
    document: (version) => byVersion.get(version),
  };
}

/** A registry directory read from disk, as the CDK app reads it at synth. */
export function registryDirectory(registry: string): ModelSource {
  let versions: string[];
  try {
    versions = registryVersions(registry);
  } catch (error) {
    throw new Error(`STREAMFEATURES_MODEL_REGISTRY: ${(error as Error).message}`);
  }
  return {
    where: `the model registry ${JSON.stringify(registry)}`,
    defaultVersion: undefined,
    versions,
    document: (version) => registryDocument(registry, version, versions),
  };
}

/**
 * The embedded model of a version (`variable` names where the version came from; none: the source's default),
 * validated, with its `version` field equal to the version asked for. Fails as a configuration error naming the
 * versions the source has; and, given the deployed spec's version, when the model was trained on features that
 * spec no longer computes (by fingerprint), naming them: the cold start fails rather than score inputs of another
 * meaning.
 */
export function embeddedModel(
  source: ModelSource,
  version: string | undefined,
  variable: string,
  deployed?: SpecVersion,
): EmbeddedModel {
  const wanted = version ?? source.defaultVersion;
  const has = `(it has: ${source.versions.join(', ') || 'no models'})`;
  if (wanted === undefined) {
    throw new ConfigError('score', [`${variable}: required to pick a model from ${source.where} ${has}`]);
  }
  const document = source.document(wanted);
  if (document === undefined) {
    throw new ConfigError('score', [
      `${variable}: no model ${JSON.stringify(wanted)} in ${source.where} ${has}`,
    ]);
  }
  const model = EmbeddedModel.fromDocument(document, `model ${wanted} of ${source.where}`);
  if (model.version !== wanted) {
    throw new ConfigError('score', [
      `${variable}: the model filed as ${JSON.stringify(wanted)} in ${source.where} says its version is ` +
        `${JSON.stringify(model.version)}`,
    ]);
  }
  const problem =
    deployed === undefined
      ? undefined
      : modelSpecProblem({ version: model.version, spec: model.trainedUnder }, deployed);
  if (problem !== undefined) throw new ConfigError('score', [`${variable}: ${problem}`]);
  return model;
}
