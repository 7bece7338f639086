import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeRawArchive } from '../../adapters/archive/archive-writer.js';
import { readFeatureLog } from '../../adapters/archive/feature-log.js';
import { readSpecVersionMetadata } from '../../adapters/archive/spec-version-metadata.js';
import { MemoryRecordStreamWriter } from '../../adapters/firehose/record-stream-writer.js';
import { EmbeddedModel, parseModelDocument } from '../../adapters/model/embedded-model.js';
import type { CliIO } from '../../cli/io.js';
import { trainCommand } from '../../cli/train-command.js';
import { buildTrainingSet } from '../../cli/training-set-command.js';
import {
  compileSpec,
  defineSpec,
  definitionChanges,
  parseSpec,
  type Spec,
  specHash,
  specVersionOf,
} from '../../core/index.js';
import { featureLogColumns } from '../../core/offline-schema.js';
import { generateFraudTraffic, labelLinesText } from '../../examples/fraud/generate.js';
import placeholder from '../../examples/fraud/models/placeholder-untrained-0.json' with { type: 'json' };
import { embeddedModel, registryDirectory } from '../../lambdas/score/models.js';
import { createScoreHandler } from '../../lambdas/score/score-handler.js';
import { httpApiEvent } from '../../lambdas/shared/http.js';
import { modelsToBuildIn } from '../../lib/model-registry.js';
import { ScoringApi } from '../../lib/scoring-api.js';
import { onShards } from '../support/stream.js';

const quietIO: CliIO = { out: () => {}, err: () => {} };

const fraud = parseSpec(JSON.parse(readFileSync('examples/fraud/spec.json', 'utf8')) as unknown);

/** The fraud spec with one feature's window changed: the same name, another meaning. */
function withWindow(spec: Spec, name: string, window: string, tile: string): Spec {
  return parseSpec({
    ...spec,
    features: spec.features.map((f) => (f.name === name ? { ...f, window, tile } : f)),
  });
}

describe('spec version', () => {
  it('hashes a spec alike whether read from JSON or built, and differently after any change', () => {
    const json = parseSpec({
      version: 1,
      name: 's',
      event: { timeField: 'ts' },
      entities: { card: ['card_id'] },
      features: [{ name: 'n', entity: 'card', agg: 'count', window: '60m', tile: '5m' }],
    });
    const built = defineSpec('s', { timeField: 'ts' })
      .entity('card', 'card_id')
      .count('n', { entity: 'card', window: '1h', tile: '5m' })
      .build();
    expect(specHash(json)).toMatch(/^[0-9a-f]{16}$/);
    expect(specHash(built)).toBe(specHash(json));
    const described = parseSpec({ ...json, features: [{ ...json.features[0], description: 'why' }] });
    expect(specHash(described)).not.toBe(specHash(json));
    // A description changes the hash, not what the feature's values mean.
    expect(specVersionOf(compileSpec(described)).fingerprints).toEqual(
      specVersionOf(compileSpec(json)).fingerprints,
    );
  });

  it('names the recorded features the spec computes otherwise or no longer computes', () => {
    const before = specVersionOf(compileSpec(fraud));
    const changed = withWindow(fraud, 'card_txn_count_1h', '2h', '5m');
    const after = specVersionOf(
      compileSpec(
        parseSpec({ ...changed, features: changed.features.filter((f) => f.name !== 'card_amount_sum_1h') }),
      ),
    );
    const recorded = {
      card_txn_count_1h: before.fingerprints.card_txn_count_1h as string,
      card_amount_sum_1h: before.fingerprints.card_amount_sum_1h as string,
      card_txn_count_10m: before.fingerprints.card_txn_count_10m as string,
    };
    expect(definitionChanges(recorded, after)).toEqual([
      {
        feature: 'card_txn_count_1h',
        recorded: before.fingerprints.card_txn_count_1h,
        now: after.fingerprints.card_txn_count_1h,
      },
      { feature: 'card_amount_sum_1h', recorded: before.fingerprints.card_amount_sum_1h, now: null },
    ]);
    expect(definitionChanges(recorded, before)).toEqual([]);
  });
});

describe('the feature log', () => {
  it('logs with every request the spec hash and fingerprints, in columns the Glue table declares, read back', async () => {
    // Arrange
    const compiled = compileSpec(fraud);
    const featureLog = new MemoryRecordStreamWriter();
    const handler = createScoreHandler({
      spec: compiled,
      store: { readFeatures: async (requests) => requests.map(() => ({ card_txn_count_10m: 1 })) },
      model: EmbeddedModel.fromDocument(placeholder),
      featureLog,
      logger: { info: () => {}, warn: () => {}, error: () => {}, addContext: () => {} },
      metrics: { addMetric: () => {}, publishStoredMetrics: () => {} } as never,
    });

    // Act
    await handler(httpApiEvent({ entities: { card: { card_id: 'c1' } } }));

    // Assert
    const [line] = featureLog.lines() as Record<string, unknown>[];
    const version = specVersionOf(compiled);
    expect(line).toMatchObject({ spec_hash: version.hash, fingerprints: version.fingerprints });
    expect(featureLogColumns(fraud).filter((c) => ['spec_hash', 'fingerprints'].includes(c.name))).toEqual([
      expect.objectContaining({ name: 'spec_hash', type: 'string' }),
      expect.objectContaining({ name: 'fingerprints', type: { map: { key: 'string', value: 'string' } } }),
    ]);
    const file = join(mkdtempSync(join(tmpdir(), 'sf-log-')), 'log.jsonl');
    writeFileSync(file, `${JSON.stringify(line)}\n`);
    const [logged] = await readFeatureLog(file);
    expect(logged).toMatchObject({ specHash: version.hash, fingerprints: version.fingerprints });
  });
});

describe('spec versions through training-set, train and the scoring path', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-spec-version-'));
  const registry = join(dir, 'models');
  const trainingSet = join(dir, 'set.parquet');
  const changedSpecFile = join(dir, 'changed.json');
  // The model below reads card_txn_count_10m; this spec gives it another window.
  const changed = withWindow(fraud, 'card_txn_count_10m', '20m', '1m');
  let version: string;
  let summary: Awaited<ReturnType<typeof buildTrainingSet>>;

  beforeAll(async () => {
    const traffic = generateFraudTraffic({ events: 3_000, seed: 5 });
    writeRawArchive(join(dir, 'archive'), fraud, onShards(traffic.records, 2));
    writeFileSync(join(dir, 'labels.jsonl'), labelLinesText(traffic.labels));
    writeFileSync(changedSpecFile, JSON.stringify(changed));
    summary = await buildTrainingSet(
      {
        spec: 'examples/fraud/spec.json',
        archive: join(dir, 'archive'),
        labels: join(dir, 'labels.jsonl'),
        out: trainingSet,
      },
      quietIO,
    );
    await trainCommand(
      {
        trainingSet,
        outDir: registry,
        features: ['card_txn_count_10m', 'card_amount_max_24h', 'merchant_declines_1h'],
        minHoldoutPositives: 1,
      },
      quietIO,
    );
    version = (readdirSync(registry)[0] as string).replace(/\.json$/, '');
  });

  it('records the spec hash and every feature column fingerprint in the training set metadata', async () => {
    const expected = specVersionOf(compileSpec(fraud));
    expect(summary.specVersion).toEqual(expected);
    expect(await readSpecVersionMetadata(trainingSet)).toEqual(expected);
  });

  it('records in the model the spec hash and the fingerprints of the features it was trained on', () => {
    const document = parseModelDocument(JSON.parse(readFileSync(join(registry, `${version}.json`), 'utf8')));
    const fraudVersion = specVersionOf(compileSpec(fraud));
    expect(document.spec).toEqual({
      hash: fraudVersion.hash,
      fingerprints: {
        card_txn_count_10m: fraudVersion.fingerprints.card_txn_count_10m,
        card_amount_max_24h: fraudVersion.fingerprints.card_amount_max_24h,
        merchant_declines_1h: fraudVersion.fingerprints.merchant_declines_1h,
      },
    });
  });

  it('builds the model in under the spec it was trained under', () => {
    expect(modelsToBuildIn(registry, version, undefined, fraud).documents[0]?.version).toBe(version);
  });

  it('fails the synth of a scoring API whose spec computes a model feature otherwise, naming model and feature', () => {
    const stack = new Stack(new App(), 'S');
    const build = () =>
      new ScoringApi(stack, 'Score', {
        spec: changed,
        table: dynamodb.Table.fromTableName(stack, 'Table', 't'),
        modelRegistry: registry,
        modelVersion: version,
      });
    expect(build).toThrow(
      new RegExp(
        `model ${version} was trained on features the deployed spec \\(hash ${specHash(changed)}\\) no longer ` +
          'computes: card_txn_count_10m \\(defined otherwise: fingerprint \\w+ -> \\w+\\)',
      ),
    );
  });

  it('fails the score function cold start on a model trained on a feature the spec no longer computes', () => {
    const source = registryDirectory(registry);
    const without = parseSpec({
      ...fraud,
      features: fraud.features.filter((f) => f.name !== 'merchant_declines_1h'),
    });
    expect(() =>
      embeddedModel(source, version, 'MODEL_VERSION', specVersionOf(compileSpec(without))),
    ).toThrow(
      /MODEL_VERSION: model .* computes: merchant_declines_1h \(no longer in the spec; was fingerprint \w+\)/,
    );
    expect(embeddedModel(source, version, 'MODEL_VERSION', specVersionOf(compileSpec(fraud))).version).toBe(
      version,
    );
  });
});
