import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Duration, Size } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { appContext, CONTEXT_KEYS, ConfigError } from '../../lib/config.js';
import { DEFAULT_MODEL_REGISTRY, DEFAULT_MODEL_VERSION } from '../../lib/index.js';
import { registryVersions } from '../../lib/model-registry.js';
import { PACKAGE_ROOT } from '../../lib/streamfeatures-function.js';
import { CDK_FLAGS, CDK_JSON_CONTEXT } from '../cdk/synth.js';

function contextIssues(context: Record<string, unknown>): string[] {
  try {
    appContext(context);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).issues];
  }
  throw new Error('expected the context to be refused');
}

const base = { stage: 'dev', specFile: 'examples/fraud/spec.json' };

describe('defaults, stated once', () => {
  it('cdk.json holds only the stage, the spec file and CDK feature flags', () => {
    const own = Object.keys(CDK_JSON_CONTEXT).filter((key) => !key.startsWith('@aws-cdk'));
    expect(own).toEqual(['stage', 'specFile']);
    expect(Object.keys(CDK_FLAGS).every((key) => key.startsWith('@aws-cdk'))).toBe(true);
  });

  it('leaves every setting the context does not name to the constructs', () => {
    expect(appContext(CDK_JSON_CONTEXT)).toEqual({
      stage: 'dev',
      specFile: 'examples/fraud/spec.json',
      overrides: {},
    });
  });

  it('states each construct default in one place in lib/', () => {
    // The literals below were once repeated in cdk.json, lib/config.ts and the constructs' `??`.
    const sources = readdirSync(join(PACKAGE_ROOT, 'lib'))
      .filter((name) => name.endsWith('.ts'))
      .map((name) =>
        readFileSync(join(PACKAGE_ROOT, 'lib', name), 'utf8').replace(/\/\*\*[\s\S]*?\*\/|\/\/.*$/gm, ''),
      );
    const count = (pattern: RegExp) => sources.reduce((n, text) => n + (text.match(pattern)?.length ?? 0), 0);
    expect(count(/\?\? 500\b/g)).toBe(0);
    expect(count(/DEFAULT_BATCH_SIZE = 500/g)).toBe(1);
    expect(count(/Duration\.hours\(24\)/g)).toBe(1);
    expect(count(/Duration\.seconds\(300\)/g)).toBe(1);
    expect(count(/Size\.mebibytes\(128\)/g)).toBe(1);
    expect(count(/\?\? 300\b/g)).toBe(0);
    expect(count(/'fraud-lr-52a6357d6140'/g)).toBe(1);
    expect(registryVersions(DEFAULT_MODEL_REGISTRY)).toContain(DEFAULT_MODEL_VERSION);
  });
});

describe('app context (cdk.json, -c)', () => {
  it('types `-c` strings as the props take them: numbers, booleans, durations, sizes, JSON objects', () => {
    const { overrides } = appContext({
      ...base,
      batchSize: '100',
      ingestApi: 'true',
      streamRetention: '48h',
      maxBatchingWindow: 2000,
      offlineBufferSize: '64',
      modelVersion: 'placeholder-untrained-0',
      apiAuth: '{"type":"jwt","issuer":"https://auth.example.com/","audience":["a"]}',
    });
    expect(overrides).toEqual({
      batchSize: 100,
      ingestApi: true,
      streamRetention: Duration.millis(48 * 3_600_000),
      maxBatchingWindow: Duration.millis(2_000),
      offlineBufferSize: Size.mebibytes(64),
      modelVersion: 'placeholder-untrained-0',
      apiAuth: { type: 'jwt', issuer: 'https://auth.example.com/', audience: ['a'] },
    });
  });

  it('fails naming every bad value and unknown key at once, and lets CDK’s own keys pass', () => {
    expect(
      contextIssues({
        stage: 'staging',
        batchsize: 100,
        batchSize: 'many',
        streamRetention: '2 days',
        challenger: 'shadow',
        '@aws-cdk/core:newStyleStackSynthesis': true,
        'aws:cdk:bundling-stacks': [],
      }),
    ).toEqual([
      `batchsize: unknown context key (got 100; known: ${CONTEXT_KEYS.join(', ')})`,
      'batchSize: must be a number (got "many")',
      'streamRetention: "2 days" is not a duration like "30s", "10m", "1h", "7d" or milliseconds (got "2 days")',
      'challenger: must be a JSON object (got "shadow")',
      'stage: must be "dev" or "prod" (got "staging")',
      'specFile: must name the feature spec file (got undefined)',
    ]);
  });
});

// A synth in a child process takes about a minute on a loaded 2-core machine: the limit catches a hang, not slowness.
const SYNTH_LIMIT_MS = 300_000;

describe('bin/app.ts, run as `cdk synth` runs it', { timeout: SYNTH_LIMIT_MS }, () => {
  const run = promisify(execFile);
  const synth = async (context: Record<string, unknown>) => {
    const outdir = mkdtempSync(join(tmpdir(), 'streamfeatures-cdk-'));
    const env = {
      ...process.env,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({ ...CDK_JSON_CONTEXT, ...context }),
    };
    try {
      await run(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
        cwd: PACKAGE_ROOT,
        env,
        timeout: SYNTH_LIMIT_MS,
      });
      return { code: 0, stderr: '', files: readdirSync(outdir) };
    } catch (error) {
      const failed = error as { code: number; stderr: string };
      return { code: failed.code, stderr: failed.stderr, files: readdirSync(outdir) };
    }
  };

  it('synthesizes the stack from cdk.json, the functions as assets with their spec', async () => {
    const result = await synth({});
    expect(result.stderr).toBe('');
    expect(result.files).toContain('streamfeatures-dev.template.json');
    const assets = result.files.filter((name) => /^asset\.[0-9a-f]{64}$/.test(name));
    expect(assets.length).toBeGreaterThanOrEqual(2);
  });

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
  });

  it('fails naming the path, the registry, the model version and the versions there are', async () => {
    const result = await synth({ modelVersion: 'fraud-lr-000000000000' });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `streamfeatures-dev/Default/ScoringApi: model version "fraud-lr-000000000000" is not in the model registry ${JSON.stringify(DEFAULT_MODEL_REGISTRY)} ` +
        `(it has: ${registryVersions(DEFAULT_MODEL_REGISTRY).join(', ')})\n`,
    );
  });

  it('fails naming every bad setting at its construct path', async () => {
    const result = await synth({ parallelizationFactor: 2, batchSize: 0 });
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^streamfeatures-dev\/Default\/FeatureComputer: parallelizationFactor must be 1: .*\(got 2\)$/,
    );
    expect(lines[1]).toBe(
      'streamfeatures-dev/Default/FeatureComputer: batchSize must be a whole number from 1 to 10000 (got 0)',
    );
  });
});
