import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  builtInModels,
  embeddedModel,
  loadModelSource,
  registryDirectory,
} from '../../lambdas/score/models.js';
import { DEFAULT_MODEL_VERSION } from '../../lib/config.js';
import { modelsToBuildIn } from '../../lib/model-registry.js';

const placeholder = JSON.parse(
  readFileSync(`examples/fraud/models/${DEFAULT_MODEL_VERSION}.json`, 'utf8'),
) as Record<string, unknown>;
const challengerVersion = 'fraud-lr-0123456789ab';
let registry: string;

beforeAll(() => {
  registry = mkdtempSync(join(tmpdir(), 'sf-registry-'));
  const write = (name: string, document: object) =>
    writeFileSync(join(registry, `${name}.json`), JSON.stringify(document));
  write(DEFAULT_MODEL_VERSION, placeholder);
  write(challengerVersion, { ...placeholder, version: challengerVersion, bias: -4 });
  write('fraud-lr-mislabeled0', { ...placeholder, version: 'fraud-lr-other' });
});

describe('models built into the bundle', () => {
  it('reads what the CDK app builds in: the model by default, an embedded challenger by its version', () => {
    // Arrange: the constant as lib/scoring-api.ts compiles it (handlerBundling: JSON text of the value).
    const text = JSON.stringify(modelsToBuildIn(registry, DEFAULT_MODEL_VERSION, challengerVersion));

    // Act
    const source = builtInModels(text);

    // Assert
    expect(source.versions).toEqual([DEFAULT_MODEL_VERSION, challengerVersion]);
    expect(embeddedModel(source, undefined, 'MODEL_VERSION').version).toBe(DEFAULT_MODEL_VERSION);
    expect(embeddedModel(source, challengerVersion, 'CHALLENGER_VERSION').version).toBe(challengerVersion);
  });

  it('fails naming the versions built in when MODEL_VERSION asks for another', () => {
    const source = builtInModels(JSON.stringify(modelsToBuildIn(registry, DEFAULT_MODEL_VERSION)));
    expect(() => embeddedModel(source, 'fraud-lr-3f2a9c01b7de', 'MODEL_VERSION')).toThrow(
      'the score function is misconfigured:\n  MODEL_VERSION: no model "fraud-lr-3f2a9c01b7de" in this bundle ' +
        `(it has: ${DEFAULT_MODEL_VERSION})`,
    );
  });
});

describe('a model registry directory (unbundled)', () => {
  it('lists the versions and reads the one asked for', () => {
    const source = loadModelSource({ STREAMFEATURES_MODEL_REGISTRY: registry });
    expect(source.versions).toEqual(
      [challengerVersion, 'fraud-lr-mislabeled0', DEFAULT_MODEL_VERSION].sort(),
    );
    expect(embeddedModel(source, challengerVersion, 'CHALLENGER_VERSION').version).toBe(challengerVersion);
  });

  it('needs MODEL_VERSION, naming the versions there are', () => {
    expect(() => embeddedModel(registryDirectory(registry), undefined, 'MODEL_VERSION')).toThrow(
      `MODEL_VERSION: required to pick a model from the model registry ${JSON.stringify(registry)} ` +
        `(it has: ${[challengerVersion, 'fraud-lr-mislabeled0', DEFAULT_MODEL_VERSION].sort().join(', ')})`,
    );
  });

  it('fails on a version it lacks, and on a file whose version is not its name', () => {
    const source = registryDirectory(registry);
    expect(() => embeddedModel(source, '../secrets', 'MODEL_VERSION')).toThrow(
      'MODEL_VERSION: no model "../secrets" in the model registry',
    );
    expect(() => embeddedModel(source, 'fraud-lr-mislabeled0', 'MODEL_VERSION')).toThrow(
      'MODEL_VERSION: the model filed as "fraud-lr-mislabeled0" in the model registry ' +
        `${JSON.stringify(registry)} says its version is "fraud-lr-other"`,
    );
  });

  it('fails clearly on a directory that is not there, and when there are no models at all', () => {
    expect(() => loadModelSource({ STREAMFEATURES_MODEL_REGISTRY: '/nowhere/models' })).toThrow(
      'STREAMFEATURES_MODEL_REGISTRY: cannot read the model registry "/nowhere/models"',
    );
    expect(() => loadModelSource({})).toThrow(
      /^no embedded model: .*STREAMFEATURES_MODEL_REGISTRY is not set/,
    );
  });
});
