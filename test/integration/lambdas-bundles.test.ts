/**
 * The real, generic esbuild bundles (scripts/bundle-lambdas.mjs, what the package ships) load on this machine's
 * Node and run: each in a child Node process from a function directory laid out as the constructs stage it (the
 * bundle, spec.json, and models.json for score), configured by env alone, against DynamoDB Local. Only paths that
 * need no S3, Firehose or Kinesis are run here; the local cloud runs the rest.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnlineStore } from '../../adapters/online-store/online-store.js';
import { compileSpec, type InputRecord, parseSpecJson } from '../../core/index.js';
import { generateFraudTraffic } from '../../examples/fraud/generate.js';
import { httpApiEvent } from '../../lambdas/shared/http.js';
import { kinesisStreamEvent } from '../../lambdas/shared/kinesis-records.js';
import { FUNCTION_FILES } from '../../lambdas/shared/spec.js';
import { DEFAULT_MODEL_REGISTRY, DEFAULT_MODEL_VERSION, modelsToBuildIn } from '../../lib/model-registry.js';
import { createTestTable, type DynamoForTests, dynamoForTests } from '../support/dynamodb.js';
import { onShards, RECENT_START } from '../support/stream.js';

const run = promisify(execFile);
const spec = compileSpec(parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8')));
const traffic = generateFraudTraffic({ events: 200, seed: 9, startMs: RECENT_START });
const valid = onShards(
  traffic.records.filter((r) => r.kind === 'normal'),
  1,
).slice(0, 100);

let dynamo: DynamoForTests;
let outdir: string;
let table: string;

beforeAll(async () => {
  // Inside the repository, so the bundles find @aws-sdk/* in node_modules as they would in the Lambda runtime.
  outdir = mkdtempSync(resolve('.tmp/lambdas-bundles-'));
  const [, built] = await Promise.all([
    dynamoForTests().then(async (d) => {
      dynamo = d;
      table = await createTestTable(d.client);
    }),
    run(process.execPath, ['scripts/bundle-lambdas.mjs', '--outdir', outdir]),
  ]);
  expect(built.stdout).toMatch(/^features\s+\d+/m);
  // What the constructs stage beside each bundle at synth (lib/streamfeatures-function.ts).
  for (const name of ['features', 'score', 'ingest']) {
    writeFileSync(join(outdir, name, FUNCTION_FILES.spec), JSON.stringify(spec.spec));
  }
  writeFileSync(
    join(outdir, 'score', FUNCTION_FILES.models),
    JSON.stringify(modelsToBuildIn(DEFAULT_MODEL_REGISTRY, DEFAULT_MODEL_VERSION)),
  );
});
afterAll(async () => {
  await dynamo?.stop();
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

/** Loads a bundle in a fresh Node process with only `env` set, invokes its handler once with `event`. */
async function invoke(name: string, env: Record<string, string>, event: unknown): Promise<unknown> {
  const script = `
    const { handler } = await import(process.argv[1]);
    const result = await handler(JSON.parse(process.argv[2]));
    process.stdout.write('\\nRESULT ' + JSON.stringify(result) + '\\n');`;
  const { stdout } = await run(
    process.execPath,
    ['--input-type=module', '-e', script, join(outdir, name, 'index.mjs'), JSON.stringify(event)],
    {
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        POWERTOOLS_METRICS_DISABLED: 'true',
        ...env,
      },
    },
  );
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`no result from the ${name} bundle:\n${stdout}`);
  return JSON.parse(line.slice('RESULT '.length)) as unknown;
}

describe('Lambda bundles', () => {
  it('the features bundle applies a batch to the online store', async () => {
    const response = await invoke(
      'features',
      { TABLE_NAME: table, SIDE_OUTPUT_BUCKET: 'not-used-by-this-batch' },
      kinesisStreamEvent(valid as InputRecord[]),
    );
    expect(response).toEqual({ batchItemFailures: [] });
    const first = JSON.parse(new TextDecoder().decode(valid[0]?.data)) as { card_id: string };
    const t = Math.max(...valid.map((r) => r.arrivalMs)) + 1;
    const [values] = await new OnlineStore({ client: dynamo.client, tableName: table, spec }).readFeatures(
      [{ entity: 'card', key: { card_id: first.card_id } }],
      t,
    );
    expect(values?.card_txn_count_1h).toBeGreaterThan(0);
  });

  it('the score bundle scores from the table with the spec and the model staged beside it', async () => {
    const first = JSON.parse(new TextDecoder().decode(valid[0]?.data)) as { card_id: string };
    const response = (await invoke(
      'score',
      { TABLE_NAME: table, MODEL_VERSION: DEFAULT_MODEL_VERSION },
      httpApiEvent({
        entities: { card: { card_id: first.card_id } },
        t: Math.max(...valid.map((r) => r.arrivalMs)) + 1,
      }),
    )) as { statusCode: number; body: string };
    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body) as { modelVersion: string; features: Record<string, unknown> };
    expect(body.modelVersion).toBe(DEFAULT_MODEL_VERSION);
    expect(body.features.card_txn_count_1h).toBeGreaterThan(0);
  });

  it('the ingest bundle refuses an invalid event with the rule that failed', async () => {
    const response = (await invoke('ingest', { STREAM_NAME: 'events' }, httpApiEvent({ card_id: 'c1' }))) as {
      statusCode: number;
      body: string;
    };
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ rule: 'time-missing', index: 0 });
  });

  it('a bundle without its configuration loads, and its invocations fail naming what is missing', async () => {
    await expect(invoke('score', {}, httpApiEvent({}))).rejects.toThrow(/TABLE_NAME: required/);
  });

  it('a bundle without its spec beside it fails naming the file it looked for', async () => {
    unlinkSync(join(outdir, 'ingest', FUNCTION_FILES.spec));
    await expect(invoke('ingest', { STREAM_NAME: 'events' }, httpApiEvent({}))).rejects.toThrow(
      `cannot read the spec "${join(outdir, 'ingest', FUNCTION_FILES.spec)}"`,
    );
  });
});
