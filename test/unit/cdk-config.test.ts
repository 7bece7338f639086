import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSpec } from '../../core/index.js';
import { columnName, featureLogColumns, hiveType, rawArchiveColumns } from '../../core/offline-schema.js';
import {
  CONFIG_KEYS,
  ConfigError,
  configFromContext,
  DEFAULT_MODEL_VERSION,
  parseConfig,
} from '../../lib/config.js';
import { FeatureComputer } from '../../lib/feature-computer.js';
import { registryVersions } from '../../lib/model-registry.js';
import { ScoringApi, type ScoringApiProps } from '../../lib/scoring-api.js';
import { handlerBundling, PROJECT_ROOT, StreamfeaturesFunction } from '../../lib/streamfeatures-function.js';
import { CDK_JSON_CONTEXT, FRAUD_SPEC } from '../cdk/synth.js';

function configIssues(raw: Record<string, unknown>): string[] {
  try {
    parseConfig(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).issues];
  }
  throw new Error('expected the config to be rejected');
}

describe('config (cdk.json context)', () => {
  it('fills every default from an empty context', () => {
    const config = parseConfig({});
    expect(config.stage).toBe('dev');
    expect(config.featureComputer).toEqual({
      batchSize: 500,
      maxBatchingWindowSeconds: 1,
      retryAttempts: 10,
      maxRecordAgeSeconds: 3_600,
      parallelizationFactor: 1,
      onFailure: 's3',
      enhancedFanOut: false,
    });
    expect(config.offlineStore).toEqual({ format: 'parquet', bufferSeconds: 300, bufferMiB: 128 });
    expect(config.scoring.model).toEqual({
      backend: 'embedded',
      timeoutMs: 300,
      fallback: 'embedded',
      registry: 'examples/fraud/models',
      version: DEFAULT_MODEL_VERSION,
    });
    expect(config.scoring.challenger).toEqual({ mode: 'off', weight: 0.1 });
  });

  it('cdk.json states the same values as the defaults', () => {
    const stated = Object.fromEntries(
      Object.entries(CDK_JSON_CONTEXT).filter(([key]) => (CONFIG_KEYS as readonly string[]).includes(key)),
    );
    expect(parseConfig(stated)).toEqual(parseConfig({}));
  });

  it('takes `-c` strings: JSON objects and booleans', () => {
    const config = parseConfig({
      ingestApi: 'true',
      stream: '{"mode":"provisioned","shards":4}',
      stage: 'prod',
    });
    expect(config.ingestApi).toBe(true);
    expect(config.stream).toEqual({ mode: 'provisioned', shards: 4, retentionHours: 24 });
  });

  it('fails naming each bad value, its path and an unknown key', () => {
    expect(
      configIssues({
        stage: 'qa',
        featureComputer: { batchSize: 0, batchsize: 3 },
        scoring: { jwtIssuer: 'http://issuer.example.com' },
      }),
    ).toEqual([
      'stage: Invalid option: expected one of "dev"|"prod" (got "qa")',
      'featureComputer.batchSize: Too small: expected number to be >=1 (got 0)',
      'featureComputer.batchsize: unknown key (got 3)',
      'scoring.jwtIssuer: must be an https URL (got "http://issuer.example.com")',
    ]);
  });

  it('takes dotted keys on top of the cdk.json objects, leaving the context unchanged', () => {
    const context = { featureComputer: { batchSize: 100 }, 'featureComputer.retryAttempts': '3' };
    const config = configFromContext(context);
    expect(config.featureComputer).toMatchObject({ batchSize: 100, retryAttempts: 3 });
    expect(context.featureComputer).toEqual({ batchSize: 100 });
  });

  it('fails on a misspelled or unknown key, but lets CDK’s own keys pass', () => {
    expect(() => configFromContext({ stge: 'prod', '@aws-cdk/core:x': true })).toThrow(
      'stge: unknown config key (got "prod"',
    );
    expect(() => configFromContext({ 'featureComputr.batchSize': '1' })).toThrow(
      'unknown config key "featureComputr"',
    );
    expect(() => configFromContext({ 'featureComputer.parallelizationFactor': '2' })).toThrow(
      'featureComputer.parallelizationFactor: must be 1',
    );
  });

  it('fails on settings that contradict each other', () => {
    expect(
      configIssues({
        stream: { shards: 2 },
        featureComputer: { maxRecordAgeSeconds: 172_800 },
        offlineStore: { bufferMiB: 32 },
        scoring: { auth: 'jwt', model: { backend: 'sagemaker' } },
      }),
    ).toEqual([
      'stream.shards: applies to mode "provisioned" only (mode is "on-demand") (got 2)',
      'featureComputer.maxRecordAgeSeconds: must not exceed the stream retention (86400 s = stream.retentionHours 24): ' +
        'records that expire from the stream are lost without reaching the on-failure destination (got 172800)',
      'offlineStore.bufferMiB: must be at least 64 with format "parquet" (Firehose format conversion) (got 32)',
      'scoring.jwtIssuer: is required with auth "jwt"',
      'scoring.jwtAudience: is required with auth "jwt"',
      'scoring.model.endpointName: is required with backend "sagemaker"',
    ]);
  });

  it('takes the model version and a challenger as dotted keys on top of cdk.json', () => {
    const config = configFromContext({
      ...CDK_JSON_CONTEXT,
      'scoring.model.version': 'fraud-lr-3f2a9c01b7de',
      'scoring.challenger.mode': 'shadow',
      'scoring.challenger.version': 'fraud-lr-0123456789ab',
    });
    expect(config.scoring.model).toMatchObject({ backend: 'embedded', version: 'fraud-lr-3f2a9c01b7de' });
    expect(config.scoring.challenger).toEqual({
      mode: 'shadow',
      version: 'fraud-lr-0123456789ab',
      weight: 0.1,
    });
    expect(
      configFromContext({
        'scoring.challenger.mode': 'split',
        'scoring.challenger.endpointName': 'fraud-v2',
        'scoring.challenger.weight': '0.25',
      }).scoring.challenger,
    ).toEqual({ mode: 'split', endpointName: 'fraud-v2', weight: 0.25 });
  });

  it('fails on an unknown or misspelled challenger key, naming it and its value', () => {
    expect(() =>
      configFromContext({ 'scoring.challenger.mode': 'split', 'scoring.challenger.wieght': '0.2' }),
    ).toThrow('scoring.challenger.wieght: unknown key (got 0.2)');
    expect(() => configFromContext({ 'scoring.challenger.mode': 'canary' })).toThrow(
      'scoring.challenger.mode: Invalid option: expected one of "off"|"shadow"|"split" (got "canary")',
    );
    expect(() => configFromContext({ 'scoring.challengr.mode': 'shadow' })).toThrow(
      'scoring.challengr: unknown key (got {"mode":"shadow"})',
    );
  });

  it('fails on a challenger weight out of range, a version that is no file name, or a challenger that is the model', () => {
    expect(
      configIssues({
        scoring: {
          model: { version: '../secrets' },
          challenger: { mode: 'split', endpointName: 'fraud-v2', weight: 1.5 },
        },
      }),
    ).toEqual([
      'scoring.model.version: must be a model version like fraud-lr-3f2a9c01b7de (letters, digits, ".", "_" and "-") (got "../secrets")',
      'scoring.challenger.weight: must be above 0 and below 1 (the share of requests the challenger answers) (got 1.5)',
    ]);
    expect(configIssues({ scoring: { challenger: { mode: 'split', version: 'v2', weight: 0 } } })).toEqual([
      'scoring.challenger.weight: must be above 0 and below 1 (the share of requests the challenger answers) (got 0)',
    ]);
    expect(
      configIssues({ scoring: { challenger: { mode: 'shadow', version: DEFAULT_MODEL_VERSION } } }),
    ).toEqual([
      `scoring.challenger.version: is the model itself (scoring.model.version): name another version, or set mode "off" (got "${DEFAULT_MODEL_VERSION}")`,
    ]);
  });

  it('needs exactly one of a challenger version and endpoint, unless the challenger is off', () => {
    expect(configIssues({ scoring: { challenger: { mode: 'shadow' } } })).toEqual([
      'scoring.challenger: needs exactly one of version and endpointName with mode "shadow" (it has neither) (got {"mode":"shadow"})',
    ]);
    expect(
      configIssues({ scoring: { challenger: { mode: 'split', version: 'v2', endpointName: 'fraud-v2' } } }),
    ).toEqual([
      'scoring.challenger: needs exactly one of version and endpointName with mode "split" (it has both) ' +
        '(got {"mode":"split","version":"v2","endpointName":"fraud-v2"})',
    ]);
    // Rollback is one key: mode off, the rest left as it was.
    expect(
      parseConfig({ scoring: { challenger: { mode: 'off', version: 'v2', endpointName: 'fraud-v2' } } })
        .scoring.challenger.mode,
    ).toBe('off');
  });
});

describe('feature computer props', () => {
  const build = (props: Partial<ConstructorParameters<typeof FeatureComputer>[2]>) => () => {
    const stack = new Stack(new App(), 'S');
    new FeatureComputer(stack, 'Features', {
      spec: FRAUD_SPEC,
      stream: kinesis.Stream.fromStreamArn(
        stack,
        'Stream',
        'arn:aws:kinesis:eu-west-1:111111111111:stream/s',
      ),
      table: dynamodb.Table.fromTableName(stack, 'Table', 't'),
      ...props,
    });
  };

  it('fails if parallelizationFactor is not 1, naming the value and why', () => {
    expect(build({ parallelizationFactor: 2 })).toThrow(
      /^parallelizationFactor must be 1 \(got 2\): the online store keeps one watermark per shard/,
    );
  });

  it('fails on unbounded retries or record age, naming the value', () => {
    expect(build({ retryAttempts: -1 })).toThrow(/^retryAttempts must be 0 to 10000 .* \(got -1\)$/);
    expect(build({ maxRecordAge: Duration.seconds(30) })).toThrow(
      /^maxRecordAge must be 60 seconds to 7 days .*\(got 30 s\)$/,
    );
    expect(build({ batchSize: 20_000 })).toThrow('batchSize must be 1 to 10000 (got 20000)');
  });
});

describe('scoring API props', () => {
  const champion = JSON.parse(
    readFileSync(join(PROJECT_ROOT, 'examples/fraud/models', `${DEFAULT_MODEL_VERSION}.json`), 'utf8'),
  ) as { version: string; features: string[]; weights: number[] };
  const challengerVersion = 'fraud-lr-0123456789ab';
  let registry: string;
  beforeAll(() => {
    registry = mkdtempSync(join(tmpdir(), 'streamfeatures-registry-'));
    const write = (name: string, document: object) =>
      writeFileSync(join(registry, `${name}.json`), JSON.stringify(document));
    write(DEFAULT_MODEL_VERSION, champion);
    write(challengerVersion, { ...champion, version: challengerVersion });
    write('fraud-lr-mislabeled0', { ...champion, version: 'fraud-lr-other' });
    write('fraud-lr-broken00000', { ...champion, version: 'fraud-lr-broken00000', weights: [1] });
  });

  const build = (props: Partial<ScoringApiProps> = {}) => {
    // No bundling: these tests read the construct, not the bundle.
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
    return new ScoringApi(stack, 'Score', {
      spec: FRAUD_SPEC,
      table: dynamodb.Table.fromTableName(stack, 'Table', 't'),
      modelRegistry: registry,
      modelVersion: DEFAULT_MODEL_VERSION,
      ...props,
    });
  };

  it('builds in the model and an embedded challenger, read from the registry', () => {
    expect(build().models).toEqual({ champion: DEFAULT_MODEL_VERSION, documents: [champion] });
    const withChallenger = build({ challenger: { mode: 'shadow', version: challengerVersion } });
    expect(withChallenger.models.documents.map((d) => d.version)).toEqual([
      DEFAULT_MODEL_VERSION,
      challengerVersion,
    ]);
    // A SageMaker challenger adds no document.
    expect(
      build({ challenger: { mode: 'split', endpointName: 'fraud-v2', weight: 0.5 } }).models.documents,
    ).toHaveLength(1);
  });

  it('gives the function time for a failed SageMaker challenger and then the model in split mode', () => {
    const timeoutOf = (challenger: ScoringApiProps['challenger']) => {
      const api = build({
        model: { backend: 'sagemaker', endpointName: 'fraud', timeoutMs: 10_000 },
        challenger,
      });
      return (api.function.node.defaultChild as CfnFunction).timeout;
    };
    expect(timeoutOf(undefined)).toBe(15);
    expect(timeoutOf({ mode: 'shadow', endpointName: 'fraud-v2', timeoutMs: 10_000 })).toBe(15);
    expect(timeoutOf({ mode: 'split', endpointName: 'fraud-v2', timeoutMs: 10_000, weight: 0.1 })).toBe(25);
    expect(timeoutOf({ mode: 'split', endpointName: 'fraud-v2', timeoutMs: 20_000, weight: 0.1 })).toBe(29);
  });

  it('fails if the model version is not in the registry, naming the registry, the version and what it has', () => {
    expect(() => build({ modelVersion: 'fraud-lr-missing' })).toThrow(
      `model version "fraud-lr-missing" is not in the model registry ${JSON.stringify(registry)} ` +
        `(it has: ${['fraud-lr-0123456789ab', 'fraud-lr-broken00000', 'fraud-lr-mislabeled0', DEFAULT_MODEL_VERSION].sort().join(', ')})`,
    );
    expect(() => build({ challenger: { mode: 'shadow', version: 'fraud-lr-gone' } })).toThrow(
      /^model version "fraud-lr-gone" is not in the model registry .* \(it has: fraud-lr-0123456789ab, /,
    );
    expect(() => build({ modelRegistry: join(registry, 'nowhere') })).toThrow(
      /^cannot read the model registry ".*nowhere": ENOENT/,
    );
  });

  it('fails if a registry file is not a valid model, or its version is not its file name', () => {
    expect(() => build({ modelVersion: 'fraud-lr-mislabeled0' })).toThrow(
      `model fraud-lr-mislabeled0 of the registry ${JSON.stringify(registry)}: its "version" field must ` +
        'equal its file name (got "fraud-lr-other" in fraud-lr-mislabeled0.json)',
    );
    expect(() => build({ modelVersion: 'fraud-lr-broken00000' })).toThrow(
      `invalid model fraud-lr-broken00000 of the registry ${JSON.stringify(registry)}: weights: 1 weights for ${champion.features.length} features`,
    );
  });

  it('fails if the split weight is out of range, naming it', () => {
    for (const weight of [0, 1, 1.5, -0.1, Number.NaN]) {
      expect(() => build({ challenger: { mode: 'split', version: challengerVersion, weight } })).toThrow(
        `challenger weight must be above 0 and below 1, the share of requests it answers (got ${weight})`,
      );
    }
  });

  it('fails if the challenger names both a version and an endpoint, neither, or the model itself', () => {
    const both = { mode: 'shadow', version: challengerVersion, endpointName: 'fraud-v2' } as never;
    expect(() => build({ challenger: both })).toThrow(
      'challenger needs exactly one of version and endpointName (got {"version":"fraud-lr-0123456789ab","endpointName":"fraud-v2"})',
    );
    expect(() => build({ challenger: { mode: 'shadow' } as never })).toThrow(
      'challenger needs exactly one of version and endpointName (got {})',
    );
    expect(() => build({ challenger: { mode: 'shadow', version: DEFAULT_MODEL_VERSION } })).toThrow(
      `challenger version is the model itself (got "${DEFAULT_MODEL_VERSION}"): name another version`,
    );
    expect(() => build({ challenger: { mode: 'shadow', endpointName: 'fraud_v2' } })).toThrow(
      'challenger endpointName must be a SageMaker endpoint name (got "fraud_v2")',
    );
  });
});

describe('handler functions', () => {
  it('bundle ESM for Node 22 with the normalized spec compiled in', () => {
    const bundling = handlerBundling(FRAUD_SPEC);
    expect(bundling).toMatchObject({
      format: 'esm',
      minify: true,
      sourceMap: true,
      target: 'node22',
      mainFields: ['module', 'main'],
      externalModules: ['@aws-sdk/*'],
    });
    expect(bundling.banner).toContain('createRequire');
    const defined = bundling.define?.__STREAMFEATURES_SPEC__ ?? '';
    expect(JSON.parse(JSON.parse(defined) as string)).toEqual(FRAUD_SPEC);
  });

  it('compile more constants beside the spec, each as JSON text, but never in place of the spec', () => {
    const models = { champion: 'v1', documents: [{ version: 'v1' }] };
    const define = handlerBundling(FRAUD_SPEC, { __STREAMFEATURES_MODELS__: models }).define ?? {};
    expect(Object.keys(define).sort()).toEqual(['__STREAMFEATURES_MODELS__', '__STREAMFEATURES_SPEC__']);
    expect(JSON.parse(JSON.parse(define.__STREAMFEATURES_MODELS__ ?? '') as string)).toEqual(models);
    expect(() => handlerBundling(FRAUD_SPEC, { __STREAMFEATURES_SPEC__: {} })).toThrow(
      "constants.__STREAMFEATURES_SPEC__ is the spec's; name the constant otherwise",
    );
  });

  it('fails if the caller sets an environment variable the app wires', () => {
    const stack = new Stack(new App(), 'S');
    expect(
      () =>
        new StreamfeaturesFunction(stack, 'F', {
          entry: 'lambdas/ingest/handler.ts',
          spec: FRAUD_SPEC,
          serviceName: 'svc',
          wiring: { STREAM_NAME: 'events' },
          functionProps: { environment: { STREAM_NAME: 'other' } },
        }),
    ).toThrow(
      'functionProps.environment.STREAM_NAME is set by the app (to "events"); remove it (got "other")',
    );
  });
});

describe('offline schema', () => {
  it('types the raw archive columns of the spec fields: numeric aggregations double, the rest string', () => {
    const columns = Object.fromEntries(rawArchiveColumns(FRAUD_SPEC).map((c) => [c.name, c.type]));
    expect(columns).toEqual({
      arrival_ms: 'bigint',
      shard_id: 'string',
      sequence_number: 'string',
      partition_key: 'string',
      data: 'string',
      data_encoding: 'string',
      ts: 'string',
      event_id: 'string',
      card_id: 'string',
      merchant_id: 'string',
      amount: 'double',
      geo_country: 'string',
    });
  });

  it('types the feature log vector from the aggregations', () => {
    const features = featureLogColumns(FRAUD_SPEC).find((c) => c.name === 'features');
    expect(hiveType(features?.type ?? 'string')).toMatch(
      /^struct<card_txn_count_10m:double,.*,card_last_country_7d:string,.*card_merchant_amount_sum_24h:double>$/,
    );
  });

  it('fails if two fields map to one column, naming both', () => {
    const spec = parseSpec({
      version: 1,
      name: 's',
      event: { timeField: 'ts' },
      entities: { card: ['card.id', 'card_id'] },
      features: [{ name: 'n', entity: 'card', agg: 'count', window: '1h' }],
    });
    expect(columnName('card.id')).toBe('card_id');
    expect(() => rawArchiveColumns(spec)).toThrow(
      'raw archive table: column "card_id" (key field of entity card: card_id) collides with (key field of entity card: card.id); rename one',
    );
  });
});

describe('bin/app.ts, run as `cdk synth` runs it', () => {
  const run = promisify(execFile);
  const synth = async (context: Record<string, unknown>) => {
    const outdir = mkdtempSync(join(tmpdir(), 'streamfeatures-cdk-'));
    const env = {
      ...process.env,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({ ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context }),
    };
    try {
      await run(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
        cwd: PROJECT_ROOT,
        env,
        timeout: 60_000,
      });
      return { code: 0, stderr: '', files: readdirSync(outdir) };
    } catch (error) {
      const failed = error as { code: number; stderr: string };
      return { code: failed.code, stderr: failed.stderr, files: readdirSync(outdir) };
    }
  };

  it('synthesizes the stack from cdk.json', async () => {
    const result = await synth({});
    expect(result.stderr).toBe('');
    expect(result.files).toContain('streamfeatures-dev.template.json');
  }, 60_000);

  it('fails with the SpecError message, naming each problem', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'streamfeatures-spec-')), 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        name: 'bad',
        event: { timeField: 'ts' },
        entities: { card: ['card_id'] },
        features: [{ name: 'n', entity: 'cardd', agg: 'count', window: '10m', tile: '3m' }],
      }),
    );
    const result = await synth({ specFile: file });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `invalid feature spec in ${file}:\n` +
        '  features[0].entity: unknown entity "cardd" (declared: card)\n' +
        '  features[0].window: "10m" is not a multiple of tile "3m"\n',
    );
  }, 60_000);

  it('fails naming the registry, the model version and the versions there are when the version is missing', async () => {
    const result = await synth({ 'scoring.model.version': 'fraud-lr-000000000000' });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'model version "fraud-lr-000000000000" is not in the model registry "examples/fraud/models" ' +
        `(it has: ${registryVersions(join(PROJECT_ROOT, 'examples/fraud/models')).join(', ')})\n`,
    );
  }, 60_000);

  it('fails naming parallelizationFactor when it is not 1', async () => {
    const result = await synth({ featureComputer: { parallelizationFactor: 2 } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'featureComputer.parallelizationFactor: must be 1: the online store keeps one',
    );
    expect(result.stderr).toContain('(got 2)');
  }, 60_000);
});
