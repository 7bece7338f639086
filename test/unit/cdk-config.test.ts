import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import { describe, expect, it } from 'vitest';
import { parseSpec } from '../../core/index.js';
import { columnName, featureLogColumns, hiveType, rawArchiveColumns } from '../../core/offline-schema.js';
import { CONFIG_KEYS, ConfigError, configFromContext, parseConfig } from '../../lib/config.js';
import { FeatureComputer } from '../../lib/feature-computer.js';
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
    expect(config.scoring.model).toEqual({ backend: 'embedded', timeoutMs: 300, fallback: 'embedded' });
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

  it('fails naming parallelizationFactor when it is not 1', async () => {
    const result = await synth({ featureComputer: { parallelizationFactor: 2 } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'featureComputer.parallelizationFactor: must be 1: the online store keeps one',
    );
    expect(result.stderr).toContain('(got 2)');
  }, 60_000);
});
