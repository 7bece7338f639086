/**
 * The score handler over a real DynamoDB Local: the embedded model, and the SageMaker path against a local
 * HTTP server on 127.0.0.1 standing in for the SageMaker runtime endpoint (the SDK client pointed at it).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  MemoryRecordStreamWriter,
  type RecordStreamWriter,
} from '../../adapters/firehose/record-stream-writer.js';
import { EmbeddedModel } from '../../adapters/model/embedded-model.js';
import type { ScoringModel } from '../../adapters/model/model.js';
import { SageMakerModel } from '../../adapters/model/sagemaker-model.js';
import { OnlineStore } from '../../adapters/online-store/online-store.js';
import { compileSpec, parseSpecJson, specVersionOf } from '../../core/index.js';
import { generateFraudTraffic } from '../../examples/fraud/generate.js';
import modelDocument from '../../examples/fraud/models/placeholder-untrained-0.json' with { type: 'json' };
import {
  type Challenger,
  createScoreHandler,
  type ScoreResponse,
} from '../../lambdas/score/score-handler.js';
import { assignmentKey, assignVariant } from '../../lambdas/score/variants.js';
import { httpApiEvent } from '../../lambdas/shared/http.js';
import { createTestTable, type DynamoForTests, dynamoForTests } from '../support/dynamodb.js';
import { recorder } from '../support/observability.js';
import { batchesOf, onShards, RECENT_START } from '../support/stream.js';

const spec = compileSpec(parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8')));
const traffic = generateFraudTraffic({ events: 400, seed: 3, startMs: RECENT_START });
const records = onShards(traffic.records, 2);
const readAt = Math.max(...records.map((r) => r.arrivalMs)) + 1;
const embedded = EmbeddedModel.fromDocument(modelDocument);

/** The busiest card of the traffic and a merchant it used: keys with features to read. */
const events = traffic.records
  .filter((r) => r.kind === 'normal' || r.kind === 'fraud')
  .map((r) => JSON.parse(new TextDecoder().decode(r.data)) as { card_id: string; merchant_id: string });
const cardCounts = new Map<string, number>();
for (const e of events) cardCounts.set(e.card_id, (cardCounts.get(e.card_id) ?? 0) + 1);
const card = [...cardCounts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] as string;
const merchant = events.find((e) => e.card_id === card)?.merchant_id as string;
const entities = {
  card: { card_id: card },
  merchant: { merchant_id: merchant },
  card_merchant: { card_id: card, merchant_id: merchant },
};

/** A registry of two models: the placeholder, and a challenger with another bias. */
const challengerVersion = 'fraud-lr-0123456789ab';
const registry = mkdtempSync(join(tmpdir(), 'sf-registry-'));
writeFileSync(join(registry, 'placeholder-untrained-0.json'), JSON.stringify(modelDocument));
writeFileSync(
  join(registry, `${challengerVersion}.json`),
  JSON.stringify({ ...modelDocument, version: challengerVersion, bias: -2 }),
);

let dynamo: DynamoForTests;
let table: string;
let store: OnlineStore;
let sagemaker: FakeSageMaker;

beforeAll(async () => {
  dynamo = await dynamoForTests();
  table = await createTestTable(dynamo.client);
  store = new OnlineStore({ client: dynamo.client, tableName: table, spec });
  for (const batch of batchesOf(records, 100)) expect((await store.applyBatch(batch)).retryFrom).toEqual([]);
  sagemaker = await fakeSageMaker();
});
afterAll(async () => {
  await sagemaker?.close();
  await dynamo?.stop();
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

function scoreHandler(
  options: {
    model?: ScoringModel;
    fallback?: ScoringModel;
    challenger?: Challenger;
    featureLog?: RecordStreamWriter;
  } = {},
) {
  const r = recorder();
  const handler = createScoreHandler({
    spec,
    store,
    model: options.model ?? embedded,
    fallback: options.fallback,
    challenger: options.challenger,
    featureLog: options.featureLog,
    logger: r.logger,
    metrics: r.metricsSink,
    now: () => readAt,
  });
  return { ...r, handler };
}

function bodyOf(response: APIGatewayProxyStructuredResultV2) {
  return JSON.parse(response.body as string) as ScoreResponse & { message?: string };
}

/** A stand-in for the SageMaker runtime: answers, stalls or fails as `mode` says; keeps what it was sent. */
interface FakeSageMaker {
  endpoint: string;
  mode: 'ok' | 'slow' | 'fail';
  requests: { path: string; contentType: string | undefined; body: unknown }[];
  close(): Promise<void>;
}

async function fakeSageMaker(): Promise<FakeSageMaker> {
  const fake = { mode: 'ok', requests: [] } as unknown as FakeSageMaker;
  const read = async (request: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const server: Server = createServer(async (request, response) => {
    const body = await read(request);
    fake.requests.push({
      path: request.url ?? '',
      contentType: request.headers['content-type'],
      body: JSON.parse(body) as unknown,
    });
    if (fake.mode === 'slow') await new Promise((resolve) => setTimeout(resolve, 1_500));
    if (fake.mode === 'fail') {
      response.writeHead(424, { 'content-type': 'application/json', 'x-amzn-errortype': 'ModelError' });
      response.end(JSON.stringify({ message: 'the container crashed' }));
      return;
    }
    response.writeHead(200, {
      'content-type': 'application/json',
      'x-amzn-invoked-production-variant': 'AllTraffic',
    });
    response.end(JSON.stringify({ score: 0.875 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

function sageMakerModel(timeoutMs = 1_000) {
  return new SageMakerModel({
    client: new SageMakerRuntimeClient({
      endpoint: sagemaker.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    }),
    endpointName: 'fraud-scorer',
    timeoutMs,
  });
}

describe('score handler on DynamoDB Local, embedded model', () => {
  it('reads all entities in one round trip and scores the flattened vector', async () => {
    // Arrange: count the calls the request makes to DynamoDB.
    const { handler } = scoreHandler();
    const commands: string[] = [];
    dynamo.client.middlewareStack.add(
      (next, context) => async (args) => {
        commands.push(context.commandName as string);
        return next(args);
      },
      { step: 'initialize', name: 'countCalls' },
    );

    // Act
    let response: APIGatewayProxyStructuredResultV2;
    try {
      response = await handler(httpApiEvent({ entities, t: readAt }));
    } finally {
      dynamo.client.middlewareStack.remove('countCalls');
    }

    // Assert
    expect(response.statusCode).toBe(200);
    expect(commands).toEqual(['BatchGetItemCommand']);
    const body = bodyOf(response);
    const [cardValues, merchantValues, pairValues] = await store.readFeatures(
      [
        { entity: 'card', key: entities.card },
        { entity: 'merchant', key: entities.merchant },
        { entity: 'card_merchant', key: entities.card_merchant },
      ],
      readAt,
    );
    expect(body.features).toEqual({ ...cardValues, ...merchantValues, ...pairValues });
    expect(Object.keys(body.features)).toHaveLength(spec.spec.features.length);
    expect(body.features.card_txn_count_1h).toBeGreaterThan(0);
    expect(body.score).toBeCloseTo(embedded.scoreVector(body.features), 12);
    expect(body).toMatchObject({ modelVersion: 'placeholder-untrained-0', backend: 'embedded' });
    expect(body.fallback).toBeUndefined();
    expect(body.timings.featuresMs).toBeGreaterThan(0);
    expect(body.timings.totalMs).toBeGreaterThanOrEqual(
      body.timings.featuresMs + body.timings.modelMs - 0.02,
    );
  });

  it('reads as of now when the request gives no t, and scores a subset of entities', async () => {
    const { handler } = scoreHandler();
    const body = bodyOf(await handler(httpApiEvent({ entities: { card: entities.card } })));
    const [expected] = await store.readFeatures([{ entity: 'card', key: entities.card }], readAt);
    expect(body.features).toEqual(expected);
    expect(body.features.merchant_txn_count_10m).toBeUndefined();
  });

  it('scores a key never seen: empty windows give 0 or null', async () => {
    const { handler } = scoreHandler();
    const body = bodyOf(await handler(httpApiEvent({ entities: { card: { card_id: 'never-seen' } } })));
    expect(body.features.card_txn_count_10m).toBe(0);
    expect(body.features.card_amount_min_1h).toBeNull();
    expect(body.score).toBeCloseTo(embedded.scoreVector({}), 12);
  });

  it('answers 400 naming the bad field, and 400 to a body that is not JSON', async () => {
    const { handler, metrics } = scoreHandler();
    const unknown = await handler(httpApiEvent({ entities: { merchant: { card_id: 'c1' } } }));
    expect(unknown.statusCode).toBe(400);
    expect(unknown.headers).toEqual({ 'content-type': 'application/json' });
    expect(bodyOf(unknown).message).toContain('entities.merchant.merchant_id: missing');
    const garbage = await handler(httpApiEvent('entities=card'));
    expect(garbage.statusCode).toBe(400);
    expect(bodyOf(garbage).message).toMatch(/^the body is not JSON/);
    expect(metrics.BadRequests).toEqual([1, 1]);
  });

  it('logs features, score, model version and spec version to the feature log', async () => {
    const featureLog = new MemoryRecordStreamWriter();
    const { handler } = scoreHandler({ featureLog });
    const body = bodyOf(await handler(httpApiEvent({ entities, t: readAt }, { requestId: 'r-1' })));
    expect(featureLog.lines()).toEqual([
      {
        request_id: 'r-1',
        request_ms: readAt,
        t: readAt,
        entities,
        features: body.features,
        score: body.score,
        model_version: 'placeholder-untrained-0',
        backend: 'embedded',
        fallback: false,
        variant: 'champion',
        spec_hash: specVersionOf(spec).hash,
        fingerprints: specVersionOf(spec).fingerprints,
      },
    ]);
  });

  it('still answers when the feature log fails, and counts and logs the failure', async () => {
    const failing: RecordStreamWriter = {
      put: async () => {
        throw new Error('Firehose is down');
      },
    };
    const { handler, metrics, logs } = scoreHandler({ featureLog: failing });
    const response = await handler(httpApiEvent({ entities }));
    expect(response.statusCode).toBe(200);
    expect(metrics.FeatureLogErrors).toEqual([1]);
    expect(logs.find((l) => l.level === 'warn')?.extra.error).toContain('Firehose is down');
  });

  it('answers 500 without details when the store fails', async () => {
    const r = recorder();
    const handler = createScoreHandler({
      spec,
      store: new OnlineStore({ client: dynamo.client, tableName: 'no-such-table', spec }),
      model: embedded,
      logger: r.logger,
      metrics: r.metricsSink,
    });
    const response = await handler(httpApiEvent({ entities }));
    expect(response.statusCode).toBe(500);
    expect(bodyOf(response)).toEqual({ message: 'internal error' });
    expect(r.logs.find((l) => l.level === 'error')?.message).toBe('scoring failed');
    expect(r.metrics.ScoreErrors).toEqual([1]);
  });
});

describe('score handler, SageMaker model', () => {
  it('sends the vector as JSON to the endpoint and answers with its score and variant', async () => {
    sagemaker.mode = 'ok';
    sagemaker.requests.length = 0;
    const { handler } = scoreHandler({ model: sageMakerModel(), fallback: embedded });
    const body = bodyOf(await handler(httpApiEvent({ entities, t: readAt })));
    expect(body).toMatchObject({
      score: 0.875,
      backend: 'sagemaker',
      modelVersion: 'sagemaker:fraud-scorer/AllTraffic',
    });
    expect(body.fallback).toBeUndefined();
    expect(sagemaker.requests).toEqual([
      {
        path: '/endpoints/fraud-scorer/invocations',
        contentType: 'application/json',
        body: { features: body.features },
      },
    ]);
  });

  it('falls back to the embedded model when the endpoint does not answer in time, and says so', async () => {
    sagemaker.mode = 'slow';
    const { handler, metrics, logs } = scoreHandler({ model: sageMakerModel(150), fallback: embedded });
    const body = bodyOf(await handler(httpApiEvent({ entities, t: readAt })));
    expect(body).toMatchObject({
      backend: 'embedded',
      fallback: true,
      modelVersion: 'placeholder-untrained-0',
    });
    expect(body.score).toBeCloseTo(embedded.scoreVector(body.features), 12);
    expect(body.timings.modelMs).toBeGreaterThanOrEqual(140);
    expect(body.timings.modelMs).toBeLessThan(1_000);
    expect(metrics.ModelFallbacks).toEqual([1]);
    expect(String(logs.find((l) => l.level === 'warn')?.extra.error)).toContain(
      'did not answer within 150 ms',
    );
  });

  it('falls back to the embedded model when the endpoint fails', async () => {
    sagemaker.mode = 'fail';
    const { handler } = scoreHandler({ model: sageMakerModel(), fallback: embedded });
    const body = bodyOf(await handler(httpApiEvent({ entities, t: readAt })));
    expect(body).toMatchObject({ backend: 'embedded', fallback: true });
  });

  it('answers 502 when the endpoint fails and the fallback is "error"', async () => {
    sagemaker.mode = 'fail';
    const { handler } = scoreHandler({ model: sageMakerModel() });
    const response = await handler(httpApiEvent({ entities, t: readAt }));
    expect(response.statusCode).toBe(502);
    expect(bodyOf(response).message).toMatch(
      /^the sagemaker model failed: SageMaker endpoint "fraud-scorer" failed/,
    );
  });
});

describe('score handler, a SageMaker challenger', () => {
  const challenger = (mode: 'shadow' | 'split', timeoutMs = 1_000): Challenger => {
    const model = sageMakerModel(timeoutMs);
    return mode === 'shadow'
      ? { mode, model, name: 'sagemaker:fraud-scorer' }
      : { mode, model, name: 'sagemaker:fraud-scorer', weight: 0.5 };
  };

  it('shadow: the embedded model answers, and the endpoint’s score of the same vector is logged beside it', async () => {
    sagemaker.mode = 'ok';
    sagemaker.requests.length = 0;
    const featureLog = new MemoryRecordStreamWriter();
    const { handler, metrics } = scoreHandler({ challenger: challenger('shadow'), featureLog });

    const body = bodyOf(await handler(httpApiEvent({ entities, t: readAt })));

    expect(body).toMatchObject({ modelVersion: 'placeholder-untrained-0', variant: 'champion' });
    expect(body.score).toBeCloseTo(embedded.scoreVector(body.features), 12);
    expect(sagemaker.requests.map((r) => r.body)).toEqual([{ features: body.features }]);
    expect(featureLog.lines()[0]).toMatchObject({
      score: body.score,
      variant: 'champion',
      shadow_score: 0.875,
      shadow_model_version: 'sagemaker:fraud-scorer/AllTraffic',
    });
    expect(metrics.ChallengerScore).toEqual([0.875]);
  });

  it('shadow: an endpoint that does not answer in time changes nothing in the response, and is counted', async () => {
    sagemaker.mode = 'slow';
    const featureLog = new MemoryRecordStreamWriter();
    const { handler, metrics, logs } = scoreHandler({ challenger: challenger('shadow', 150), featureLog });

    const response = await handler(httpApiEvent({ entities, t: readAt }));

    expect(response.statusCode).toBe(200);
    const body = bodyOf(response);
    expect(body).toMatchObject({ modelVersion: 'placeholder-untrained-0', variant: 'champion' });
    expect(body.fallback).toBeUndefined();
    expect(metrics.ChallengerErrors).toEqual([1]);
    expect(String(logs.find((l) => l.level === 'warn')?.extra.error)).toContain(
      'did not answer within 150 ms',
    );
    expect(featureLog.lines()[0]).toMatchObject({
      shadow_score: null,
      shadow_model_version: 'sagemaker:fraud-scorer',
    });
  });

  it('split: the endpoint answers its share of cards, and the embedded model takes over when it fails', async () => {
    // Arrange: one card the split gives the challenger, one it keeps with the champion.
    const assigned = (id: string) =>
      assignVariant(
        assignmentKey(spec, [{ entity: 'card', key: { card_id: id } }]),
        'sagemaker:fraud-scorer',
        0.5,
      );
    const ids = Array.from({ length: 50 }, (_, i) => `split-${i}`);
    const toChallenger = ids.find((id) => assigned(id) === 'challenger') as string;
    const toChampion = ids.find((id) => assigned(id) === 'champion') as string;
    const { handler, metrics } = scoreHandler({ challenger: challenger('split') });
    const score = async (id: string) =>
      bodyOf(await handler(httpApiEvent({ entities: { card: { card_id: id } }, t: readAt })));

    // Act + Assert
    sagemaker.mode = 'ok';
    expect(await score(toChallenger)).toMatchObject({
      variant: 'challenger',
      backend: 'sagemaker',
      score: 0.875,
    });
    expect(await score(toChampion)).toMatchObject({ variant: 'champion', backend: 'embedded' });
    sagemaker.mode = 'fail';
    expect(await score(toChallenger)).toMatchObject({
      variant: 'challenger',
      backend: 'embedded',
      modelVersion: 'placeholder-untrained-0',
      fallback: true,
    });
    expect(metrics.ChallengerFallbacks).toEqual([1]);
  });
});

describe('score handler module (lambdas/score/handler.ts), configured by env', () => {
  function configure(env: Record<string, string>) {
    vi.stubEnv('STREAMFEATURES_SPEC_FILE', 'examples/fraud/spec.json');
    vi.stubEnv('STREAMFEATURES_MODEL_REGISTRY', registry);
    vi.stubEnv('MODEL_VERSION', 'placeholder-untrained-0');
    vi.stubEnv('TABLE_NAME', table);
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', dynamo.endpoint);
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  }

  it('scores with the embedded model by default', async () => {
    configure({});
    const { handler } = await import('../../lambdas/score/handler.js');
    const body = bodyOf(
      (await handler(httpApiEvent({ entities, t: readAt }))) as APIGatewayProxyStructuredResultV2,
    );
    expect(body).toMatchObject({ backend: 'embedded', modelVersion: 'placeholder-untrained-0' });
    expect(body.features.card_txn_count_1h).toBeGreaterThan(0);
  });

  it('runs an embedded challenger from the registry in shadow mode when CHALLENGER_MODE says so', async () => {
    configure({ CHALLENGER_MODE: 'shadow', CHALLENGER_VERSION: challengerVersion });
    const { handler } = await import('../../lambdas/score/handler.js');
    const body = bodyOf(
      (await handler(httpApiEvent({ entities, t: readAt }))) as APIGatewayProxyStructuredResultV2,
    );
    expect(body).toMatchObject({ modelVersion: 'placeholder-untrained-0', variant: 'champion' });
  });

  it('answers from the challenger for its share in split mode', async () => {
    configure({ CHALLENGER_MODE: 'split', CHALLENGER_VERSION: challengerVersion, CHALLENGER_WEIGHT: '0.5' });
    const { handler } = await import('../../lambdas/score/handler.js');
    const versions = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const body = bodyOf(
        (await handler(
          httpApiEvent({ entities: { card: { card_id: `env-${i}` } }, t: readAt }),
        )) as APIGatewayProxyStructuredResultV2,
      );
      expect(body.modelVersion).toBe(
        body.variant === 'challenger' ? challengerVersion : 'placeholder-untrained-0',
      );
      versions.add(body.modelVersion);
    }
    expect([...versions].sort()).toEqual([challengerVersion, 'placeholder-untrained-0']);
  });

  it('fails every invocation naming the versions there are when MODEL_VERSION is not in the registry', async () => {
    configure({ MODEL_VERSION: 'fraud-lr-000000000000' });
    const original = console.error;
    console.error = () => {};
    try {
      const { handler } = await import('../../lambdas/score/handler.js');
      await expect(handler(httpApiEvent({ entities }))).rejects.toThrow(
        `MODEL_VERSION: no model "fraud-lr-000000000000" in the model registry ${JSON.stringify(registry)} ` +
          `(it has: ${challengerVersion}, placeholder-untrained-0)`,
      );
    } finally {
      console.error = original;
    }
  });

  it('scores with SageMaker when MODEL_BACKEND says so, and falls back on a timeout', async () => {
    configure({
      MODEL_BACKEND: 'sagemaker',
      SAGEMAKER_ENDPOINT_NAME: 'fraud-scorer',
      MODEL_TIMEOUT_MS: '150',
      AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: sagemaker.endpoint,
    });
    const { handler } = await import('../../lambdas/score/handler.js');
    sagemaker.mode = 'ok';
    const ok = bodyOf((await handler(httpApiEvent({ entities }))) as APIGatewayProxyStructuredResultV2);
    expect(ok).toMatchObject({ backend: 'sagemaker', score: 0.875 });
    sagemaker.mode = 'slow';
    const slow = bodyOf((await handler(httpApiEvent({ entities }))) as APIGatewayProxyStructuredResultV2);
    expect(slow).toMatchObject({ backend: 'embedded', fallback: true });
  });
});
