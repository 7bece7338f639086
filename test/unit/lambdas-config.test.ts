import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFeaturesConfig } from '../../lambdas/features/config.js';
import { readIngestConfig } from '../../lambdas/ingest/config.js';
import { readScoreConfig } from '../../lambdas/score/config.js';
import { handlerAtColdStart } from '../../lambdas/shared/entry.js';
import { loadSpec } from '../../lambdas/shared/spec.js';

describe('features config', () => {
  it('fills the defaults', () => {
    expect(readFeaturesConfig({ TABLE_NAME: 't', SIDE_OUTPUT_BUCKET: 'b' })).toEqual({
      tableName: 't',
      sideOutputBucket: 'b',
      quarantinePrefix: 'quarantine/',
      latePrefix: 'late/',
      rawArchiveStream: undefined,
      rawArchiveRecords: 'one-per-line',
      rawArchivePartitionFields: 'none',
      rawOversizePrefix: 'raw-oversize/',
    });
  });

  it('adds dt/hour to archive records only when told, and names a bad RAW_ARCHIVE_PARTITION_FIELDS', () => {
    const env = { TABLE_NAME: 't', SIDE_OUTPUT_BUCKET: 'b' };
    expect(
      readFeaturesConfig({ ...env, RAW_ARCHIVE_PARTITION_FIELDS: 'dt-hour' }).rawArchivePartitionFields,
    ).toBe('dt-hour');
    expect(() => readFeaturesConfig({ ...env, RAW_ARCHIVE_PARTITION_FIELDS: 'day' })).toThrow(
      'RAW_ARCHIVE_PARTITION_FIELDS: must be one of none, dt-hour (got "day")',
    );
  });

  it('packs archive records only when told, and names a bad RAW_ARCHIVE_RECORDS', () => {
    const env = { TABLE_NAME: 't', SIDE_OUTPUT_BUCKET: 'b' };
    expect(readFeaturesConfig({ ...env, RAW_ARCHIVE_RECORDS: 'packed' }).rawArchiveRecords).toBe('packed');
    expect(() => readFeaturesConfig({ ...env, RAW_ARCHIVE_RECORDS: 'batched' })).toThrow(
      'RAW_ARCHIVE_RECORDS: must be one of packed, one-per-line (got "batched")',
    );
  });

  it('takes what the environment sets, and reads an empty variable as unset', () => {
    const config = readFeaturesConfig({
      TABLE_NAME: 't',
      SIDE_OUTPUT_BUCKET: 'b',
      QUARANTINE_PREFIX: 'side/q/',
      LATE_PREFIX: '',
      RAW_ARCHIVE_STREAM: 'raw',
    });
    expect(config).toMatchObject({
      quarantinePrefix: 'side/q/',
      latePrefix: 'late/',
      rawArchiveStream: 'raw',
    });
  });

  it('fails naming every missing or bad variable, with its value', () => {
    expect(() => readFeaturesConfig({ QUARANTINE_PREFIX: 'quarantine' })).toThrow(
      'the features function is misconfigured:\n' +
        '  TABLE_NAME: required: the online-store table name\n' +
        '  SIDE_OUTPUT_BUCKET: required: the S3 bucket for quarantine and late records\n' +
        '  QUARANTINE_PREFIX: must end with "/" (got "quarantine")',
    );
  });

  it('never writes the environment', () => {
    const env = Object.freeze({ TABLE_NAME: 't', SIDE_OUTPUT_BUCKET: 'b' });
    expect(() => readFeaturesConfig(env)).not.toThrow();
  });
});

describe('score config', () => {
  it('defaults to the embedded model built into the bundle, and no challenger', () => {
    expect(readScoreConfig({ TABLE_NAME: 't' })).toEqual({
      tableName: 't',
      modelVersion: undefined,
      challenger: { mode: 'off' },
      featureLogStream: undefined,
      featureLogPartitionFields: 'none',
      backend: 'embedded',
    });
  });

  it('takes a model version and an embedded challenger in shadow mode', () => {
    expect(
      readScoreConfig({
        TABLE_NAME: 't',
        MODEL_VERSION: 'fraud-lr-3f2a9c01b7de',
        CHALLENGER_MODE: 'shadow',
        CHALLENGER_VERSION: 'fraud-lr-0123456789ab',
      }),
    ).toMatchObject({
      modelVersion: 'fraud-lr-3f2a9c01b7de',
      challenger: { mode: 'shadow', model: { backend: 'embedded', version: 'fraud-lr-0123456789ab' } },
    });
  });

  it('takes a SageMaker challenger with its timeout (300 ms by default) and its share in split mode', () => {
    expect(
      readScoreConfig({
        TABLE_NAME: 't',
        CHALLENGER_MODE: 'split',
        CHALLENGER_ENDPOINT_NAME: 'fraud-v2',
        CHALLENGER_WEIGHT: '0.25',
      }).challenger,
    ).toEqual({
      mode: 'split',
      model: { backend: 'sagemaker', endpointName: 'fraud-v2', timeoutMs: 300 },
      weight: 0.25,
    });
  });

  it('ignores the challenger variables when CHALLENGER_MODE is off', () => {
    expect(
      readScoreConfig({ TABLE_NAME: 't', CHALLENGER_VERSION: 'v2', CHALLENGER_WEIGHT: '0.5' }).challenger,
    ).toEqual({ mode: 'off' });
  });

  it('fails on a challenger with both or neither model, or a split without a share, naming each', () => {
    expect(() =>
      readScoreConfig({
        TABLE_NAME: 't',
        CHALLENGER_MODE: 'split',
        CHALLENGER_VERSION: 'v2',
        CHALLENGER_ENDPOINT_NAME: 'fraud-v2',
      }),
    ).toThrow(
      'the score function is misconfigured:\n' +
        '  CHALLENGER_VERSION, CHALLENGER_ENDPOINT_NAME: set only one with CHALLENGER_MODE "split" (got "v2" and "fraud-v2")\n' +
        '  CHALLENGER_WEIGHT: required when CHALLENGER_MODE is "split"',
    );
    expect(() => readScoreConfig({ TABLE_NAME: 't', CHALLENGER_MODE: 'shadow' })).toThrow(
      'CHALLENGER_VERSION or CHALLENGER_ENDPOINT_NAME: required when CHALLENGER_MODE is "shadow"',
    );
  });

  it('fails on a bad challenger mode, share or timeout, quoting each', () => {
    expect(() =>
      readScoreConfig({
        TABLE_NAME: 't',
        CHALLENGER_MODE: 'canary',
        CHALLENGER_WEIGHT: '1.5',
        CHALLENGER_TIMEOUT_MS: '-1',
      }),
    ).toThrow(
      'CHALLENGER_MODE: must be one of off, shadow, split (got "canary")\n' +
        '  CHALLENGER_TIMEOUT_MS: must be a whole number of milliseconds above 0 (got "-1")\n' +
        '  CHALLENGER_WEIGHT: must be a number above 0 and below 1 (got "1.5")',
    );
    for (const weight of ['0', '1', 'ten percent', '0x1']) {
      expect(() =>
        readScoreConfig({
          TABLE_NAME: 't',
          CHALLENGER_MODE: 'split',
          CHALLENGER_VERSION: 'v',
          CHALLENGER_WEIGHT: weight,
        }),
      ).toThrow(`CHALLENGER_WEIGHT: must be a number above 0 and below 1 (got ${JSON.stringify(weight)})`);
    }
  });

  it('takes SageMaker with a timeout of 300 ms (as the app config) and the embedded fallback by default', () => {
    expect(
      readScoreConfig({ TABLE_NAME: 't', MODEL_BACKEND: 'sagemaker', SAGEMAKER_ENDPOINT_NAME: 'fraud' }),
    ).toMatchObject({ backend: 'sagemaker', endpointName: 'fraud', timeoutMs: 300, fallback: 'embedded' });
  });

  it('fails on SageMaker without an endpoint', () => {
    expect(() => readScoreConfig({ TABLE_NAME: 't', MODEL_BACKEND: 'sagemaker' })).toThrow(
      'SAGEMAKER_ENDPOINT_NAME: required when MODEL_BACKEND is "sagemaker"',
    );
  });

  it('fails on an unknown backend, fallback or a bad timeout, quoting each', () => {
    expect(() =>
      readScoreConfig({
        TABLE_NAME: 't',
        MODEL_BACKEND: 'onnx',
        MODEL_FALLBACK: 'none',
        MODEL_TIMEOUT_MS: '0.5s',
      }),
    ).toThrow(
      'MODEL_BACKEND: must be one of embedded, sagemaker (got "onnx")\n' +
        '  MODEL_TIMEOUT_MS: must be a whole number of milliseconds above 0 (got "0.5s")\n' +
        '  MODEL_FALLBACK: must be one of embedded, error (got "none")',
    );
  });
});

describe('ingest config', () => {
  it('needs the stream', () => {
    expect(readIngestConfig({ STREAM_NAME: 'events' })).toEqual({ stream: 'events' });
    expect(() => readIngestConfig({})).toThrow('STREAM_NAME: required');
  });
});

describe('spec loading', () => {
  it('reads, validates and compiles the file STREAMFEATURES_SPEC_FILE names', () => {
    const spec = loadSpec({ STREAMFEATURES_SPEC_FILE: 'examples/fraud/spec.json' });
    expect(spec.spec.name).toBe('fraud');
    expect(spec.entities.map((e) => e.name)).toEqual(['card', 'merchant', 'card_merchant']);
  });

  it('fails with the spec problems and the file name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sf-spec-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ version: 1, name: 'x', event: {}, entities: {}, features: [] }));
    expect(() => loadSpec({ STREAMFEATURES_SPEC_FILE: file })).toThrow(`invalid feature spec in ${file}`);
  });

  it('fails clearly on a file that is not there', () => {
    expect(() => loadSpec({ STREAMFEATURES_SPEC_FILE: '/nowhere/spec.json' })).toThrow(
      'cannot read STREAMFEATURES_SPEC_FILE "/nowhere/spec.json"',
    );
  });

  it('fails clearly when there is no spec at all (unbundled, no file)', () => {
    expect(() => loadSpec({})).toThrow(/^no feature spec: .*STREAMFEATURES_SPEC_FILE is not set/);
  });
});

describe('handler at cold start', () => {
  it('builds once, at load', async () => {
    let builds = 0;
    const handler = handlerAtColdStart('t', () => {
      builds++;
      return async (n: number) => n + 1;
    });
    expect(builds).toBe(1);
    expect(await handler(1)).toBe(2);
    expect(await handler(2)).toBe(3);
    expect(builds).toBe(1);
  });

  it('loads even when the build fails, and fails every invocation with that error', async () => {
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (line: unknown) => errors.push(line);
    try {
      const handler = handlerAtColdStart('score', (): ((n: number) => Promise<number>) => {
        throw new Error('TABLE_NAME: required');
      });
      await expect(handler(1)).rejects.toThrow('TABLE_NAME: required');
      await expect(handler(1)).rejects.toThrow('TABLE_NAME: required');
    } finally {
      console.error = original;
    }
    expect(String(errors[0])).toContain('the score function could not start');
  });
});
