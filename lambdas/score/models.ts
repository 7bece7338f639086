import { EmbeddedModel } from '../../adapters/model/embedded-model.js';
import { registryDocument, registryVersions } from '../../adapters/model/model-registry.js';
import { ConfigError, type Env } from '../shared/config.js';

/**
 * The embedded models, put into a bundle at build time by esbuild (`define: { __STREAMFEATURES_MODELS__: ... }`,
 * lib/model-registry.ts `modelsToBuildIn`): JSON text of `{"champion": version, "documents": [document, ...]}`,
 * the configured model and an embedded challenger. Undefined when the code runs unbundled (tests, tsx).
 */
declare const __STREAMFEATURES_MODELS__: string | undefined;

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
 * The models built into the bundle, else the registry directory `STREAMFEATURES_MODEL_REGISTRY` names
 * (`<dir>/<version>.json`; tests, tsx). Call once, at module scope.
 */
export function loadModelSource(env: Env = process.env): ModelSource {
  if (typeof __STREAMFEATURES_MODELS__ !== 'undefined') return builtInModels(__STREAMFEATURES_MODELS__);
  const registry = env.STREAMFEATURES_MODEL_REGISTRY;
  if (registry) return registryDirectory(registry);
  throw new Error(
    'no embedded model: this code was bundled without __STREAMFEATURES_MODELS__ and STREAMFEATURES_MODEL_REGISTRY ' +
      'is not set (bundle with scripts/bundle-lambdas.mjs or the CDK app, or point STREAMFEATURES_MODEL_REGISTRY ' +
      'at a model registry directory)',
  );
}

/** The source `__STREAMFEATURES_MODELS__` describes. */
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
 * versions the source has.
 */
export function embeddedModel(
  source: ModelSource,
  version: string | undefined,
  variable: string,
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
  return model;
}
