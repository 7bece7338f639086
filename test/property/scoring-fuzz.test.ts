/**
 * No client input gets a 5xx from the scoring function: random and hostile request bodies, content types, headers
 * and sizes, through the real score handler, the FeatureClient and DynamoDB Local (the store a deployed function
 * reads). Every answer is 2xx, or 4xx with a JSON `message` that names the problem and stays small.
 */
import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureClient } from '../../adapters/feature-client.js';
import { MemoryRecordStreamWriter } from '../../adapters/firehose/record-stream-writer.js';
import { EmbeddedModel } from '../../adapters/model/embedded-model.js';
import { OnlineStore } from '../../adapters/online-store/online-store.js';
import { compileSpec, parseSpecJson } from '../../core/index.js';
import { generateFraudTraffic } from '../../examples/fraud/generate.js';
import modelDocument from '../../examples/fraud/models/placeholder-untrained-0.json' with { type: 'json' };
import { MAX_SCORE_REQUEST_BYTES } from '../../lambdas/score/request.js';
import { createScoreHandler, type ScoreHandler } from '../../lambdas/score/score-handler.js';
import { httpApiEvent, MAX_JSON_DEPTH, MAX_LISTED_PROBLEMS } from '../../lambdas/shared/http.js';
import { createTestTable, type DynamoForTests, dynamoForTests } from '../support/dynamodb.js';
import { recorder } from '../support/observability.js';
import { batchesOf, onShards, RECENT_START } from '../support/stream.js';

/** Seeded, and few enough runs for a slow shared machine: each run is one request and at most one read. */
const RUNS = 200;
const SEED = 1414;

const spec = compileSpec(parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8')));
const traffic = generateFraudTraffic({ events: 200, seed: 14, startMs: RECENT_START });
const records = onShards(traffic.records, 2);
const readAt = Math.max(...records.map((r) => r.arrivalMs)) + 1;

/** A 4xx's message is at most this long: the first problems, each value and name cut (lambdas/shared/http.ts). */
const MAX_MESSAGE_CHARS = 2_000;

let dynamo: DynamoForTests;
let handler: ScoreHandler;

beforeAll(async () => {
  dynamo = await dynamoForTests();
  const table = await createTestTable(dynamo.client);
  const store = new OnlineStore({ client: dynamo.client, tableName: table, spec });
  for (const batch of batchesOf(records, 100)) expect((await store.applyBatch(batch)).retryFrom).toEqual([]);
  const r = recorder();
  handler = createScoreHandler({
    spec,
    store: new FeatureClient({ client: dynamo.client, tableName: table, spec }),
    model: EmbeddedModel.fromDocument(modelDocument),
    featureLog: new MemoryRecordStreamWriter(),
    logger: r.logger,
    metrics: r.metricsSink,
    now: () => readAt,
  });
});
afterAll(async () => {
  await dynamo?.stop();
});

/** Asserts the no-5xx contract on one answer; returns its status. */
function expectClientAnswer(response: APIGatewayProxyStructuredResultV2, what: string): number {
  const status = response.statusCode ?? 0;
  expect(
    status >= 200 && status < 500,
    `${what}: status ${status}, body ${response.body?.slice(0, 300)}`,
  ).toBe(true);
  const body = JSON.parse(response.body ?? '') as { message?: unknown; score?: unknown };
  if (status >= 400) {
    expect(typeof body.message, what).toBe('string');
    expect((body.message as string).length, what).toBeGreaterThan(0);
    expect((body.message as string).length, what).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
  } else {
    expect(typeof body.score, what).toBe('number');
  }
  return status;
}

// ---------------------------------------------------------------------------------------------------------------
// Requests

/** What a client controls: the body's bytes, its content type (hence base64 or not), and other headers. */
interface ClientRequest {
  readonly body: string | undefined;
  readonly contentType: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
}

/** Payload 2.0 as API Gateway builds it: a body of a non-text content type arrives in base64. */
function eventOf(request: ClientRequest): APIGatewayProxyEventV2 {
  const text =
    request.contentType !== undefined && /^(text\/|application\/(.*\+)?json)/i.test(request.contentType);
  const event = httpApiEvent(request.body ?? '', { base64: !text, timeEpoch: readAt });
  const headers: Record<string, string> = { ...request.headers };
  if (request.contentType !== undefined) headers['content-type'] = request.contentType;
  return { ...event, headers, ...(request.body === undefined ? { body: undefined } : {}) };
}

const entityNames = [...spec.entityByName.keys()];
const keyFields = [...new Set(spec.entities.flatMap((e) => e.keyFields))];

/** Strings a client might send: short, unicode (lone surrogates too), with the store's escapes, or long. */
const hostileString = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.constantFrom('', '#', '%', '%23', 'c1#m1', '\u0000', '\ud800', '💳', '__proto__', 'constructor'),
  fc
    .tuple(fc.constantFrom('x', '#', '%', 'é', '€', '💳'), fc.integer({ min: 300, max: 4_000 }))
    .map(([unit, n]) => unit.repeat(n)),
);

const hostileNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, 1e308, -1e308, 5e-324, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, 1e21),
);

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 3, arbitrary: hostileNumber },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** Bodies of the right shape with hostile names and values. */
const shapedBody = fc
  .record(
    {
      entities: fc.dictionary(
        fc.oneof(
          { weight: 3, arbitrary: fc.constantFrom(...entityNames) },
          { weight: 1, arbitrary: hostileString },
        ),
        fc.oneof(
          {
            weight: 4,
            arbitrary: fc.dictionary(
              fc.oneof(
                { weight: 4, arbitrary: fc.constantFrom(...keyFields) },
                { weight: 1, arbitrary: hostileString },
              ),
              hostileValue,
              { maxKeys: 3 },
            ),
          },
          { weight: 1, arbitrary: hostileValue },
        ),
        { maxKeys: 4 },
      ),
      t: fc.oneof(hostileNumber, fc.integer({ min: 0, max: readAt }), hostileValue),
      extra: hostileValue,
    },
    { requiredKeys: ['entities'] },
  )
  .map((body) => JSON.stringify(body));

/** Requests the spec accepts but for their values: hostile keys the store is read with. */
const keyedBody = fc
  .tuple(
    fc.subarray([...spec.entities], { minLength: 1 }),
    fc.array(fc.oneof({ weight: 3, arbitrary: hostileString }, { weight: 1, arbitrary: hostileNumber }), {
      minLength: 2,
      maxLength: 2,
    }),
    fc.option(fc.integer({ min: 0, max: 2 * readAt }), { nil: undefined }),
  )
  .map(([entities, values, t]) =>
    JSON.stringify({
      entities: Object.fromEntries(
        entities.map((e) => [e.name, Object.fromEntries(e.keyFields.map((f, i) => [f, values[i]]))]),
      ),
      ...(t === undefined ? {} : { t }),
    }),
  );

/** Arrays or objects nested `depth` deep, somewhere in a body. */
const deepBody = fc
  .tuple(
    fc.integer({ min: 1, max: 30_000 }),
    fc.constantFrom('[', '{"a":'),
    fc.constantFrom('top', 'key', 't'),
  )
  .map(([depth, open, where]) => {
    const close = open === '[' ? ']' : '}';
    const nested = `${open.repeat(depth)}${open === '[' ? '' : '1'}${close.repeat(depth)}`;
    if (where === 'top') return nested;
    if (where === 'key') return `{"entities":{"card":{"card_id":${nested}}}}`;
    return `{"entities":{"card":{"card_id":"c1"}},"t":${nested}}`;
  });

/** Many entities, fields or elements: up to a little over the handler's body limit. */
const hugeBody = fc
  .tuple(fc.integer({ min: 1, max: 120_000 }), fc.constantFrom('entities', 'fields', 'array', 'string'))
  .map(([n, kind]) => {
    if (kind === 'entities')
      return `{"entities":{${Array.from({ length: n }, (_, i) => `"e${i}":{}`).join(',')}}}`;
    if (kind === 'fields')
      return `{"entities":{"card":{${Array.from({ length: n }, (_, i) => `"f${i}":1`).join(',')}}}}`;
    if (kind === 'array') return `{"entities":[${Array.from({ length: n }, () => '0').join(',')}]}`;
    return JSON.stringify({ entities: { card: { card_id: 'x'.repeat(n * 10) } } });
  });

const anyBody = fc.oneof(
  { weight: 5, arbitrary: shapedBody },
  { weight: 5, arbitrary: keyedBody },
  { weight: 2, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 2, arbitrary: deepBody },
  { weight: 2, arbitrary: hugeBody },
);

const requestArb: fc.Arbitrary<ClientRequest> = fc.record({
  body: fc.option(anyBody, { nil: undefined, freq: 20 }),
  contentType: fc.option(
    fc.oneof(
      fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'text/plain',
        'application/octet-stream',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'image/png',
      ),
      fc.string({ maxLength: 30 }),
    ),
    { nil: undefined, freq: 10 },
  ),
  headers: fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ maxLength: 200 }), {
    maxKeys: 5,
  }),
});

// ---------------------------------------------------------------------------------------------------------------

const json = { contentType: 'application/json', headers: {} };

describe('the scoring API answers any client input without a 5xx', () => {
  it('answers a key too long for the store (2,044 characters and up) with 400, naming the limit', async () => {
    for (const n of [2_044, 3_000, 100_000]) {
      const body = JSON.stringify({ entities: { card: { card_id: 'c'.repeat(n) } } });
      const response = await handler(eventOf({ body, ...json }));
      expect(expectClientAnswer(response, `${n} characters`)).toBe(400);
      expect(response.body).toContain('the store takes at most 2000');
    }
  });

  it('answers JSON nested 20,000 deep with 400', async () => {
    const response = await handler(eventOf({ body: `${'['.repeat(20_000)}${']'.repeat(20_000)}`, ...json }));
    expect(expectClientAnswer(response, 'nested')).toBe(400);
    expect(response.body).toContain(`deeper than ${MAX_JSON_DEPTH} levels`);
  });

  it('answers 100,000 unknown entities with a short 4xx: 413 over the body limit, else 400 naming the first few', async () => {
    const bodyOf = (n: number) =>
      JSON.stringify({ entities: Object.fromEntries(Array.from({ length: n }, (_, i) => [`e${i}`, {}])) });
    const over = await handler(eventOf({ body: bodyOf(100_000), ...json }));
    expect(expectClientAnswer(over, '100,000 entities')).toBe(413);
    const within = await handler(eventOf({ body: bodyOf(50_000), ...json }));
    expect(expectClientAnswer(within, '50,000 entities')).toBe(400);
    expect(within.body).toContain('entities.e0: unknown entity');
    expect(within.body).toContain(`; and ${50_000 - MAX_LISTED_PROBLEMS} more`);
  });

  it('answers a body over its 1 MiB limit (up to the 6 MB Lambda takes) with 413, without parsing it', async () => {
    for (const bytes of [MAX_SCORE_REQUEST_BYTES + 1, 6_000_000]) {
      const body = JSON.stringify({ entities: { card: { card_id: 'x'.repeat(bytes) } } });
      const response = await handler(eventOf({ body, ...json }));
      expect(expectClientAnswer(response, `${bytes} bytes`)).toBe(413);
      expect(response.body).toContain(`at most ${MAX_SCORE_REQUEST_BYTES}`);
    }
  });

  it('answers 2xx or 4xx with a JSON message to random and hostile bodies, content types, headers and sizes', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(requestArb, async (request) => {
        const response = await handler(eventOf(request));
        const status = expectClientAnswer(response, `body ${request.body?.slice(0, 120)}`);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    // The generators reach past the parser: some requests score, most are refused.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
  });
});
