/**
 * The score handler with a challenger, over an in-memory store: shadow mode (the champion answers, the challenger
 * is logged beside it) and split mode (a hash of the entity key picks the model).
 */
import { readFileSync } from 'node:fs';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { MemoryRecordStreamWriter } from '../../adapters/firehose/record-stream-writer.js';
import { EmbeddedModel } from '../../adapters/model/embedded-model.js';
import { ModelError, type ScoringModel } from '../../adapters/model/model.js';
import type { EntityKeyRequest } from '../../adapters/online-store/online-store.js';
import { compileSpec, parseSpecJson } from '../../core/index.js';
import placeholder from '../../examples/fraud/models/placeholder-untrained-0.json' with { type: 'json' };
import {
  type Challenger,
  createScoreHandler,
  type ScoreResponse,
} from '../../lambdas/score/score-handler.js';
import { assignmentKey, assignVariant } from '../../lambdas/score/variants.js';
import { httpApiEvent } from '../../lambdas/shared/http.js';
import { recorder } from '../support/observability.js';

const spec = compileSpec(parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8')));
const champion = EmbeddedModel.fromDocument(placeholder);
const challengerVersion = 'fraud-lr-0123456789ab';
const challengerModel = EmbeddedModel.fromDocument({ ...placeholder, version: challengerVersion, bias: -2 });

/** Every card has two recent transactions and one decline; merchants have none. */
const store = {
  readFeatures: async (requests: readonly EntityKeyRequest[]) =>
    requests.map((r) =>
      r.entity === 'card' ? { card_txn_count_10m: 2, card_declines_1h: 1 } : { merchant_declines_1h: 0 },
    ),
};
const features = { card_txn_count_10m: 2, card_declines_1h: 1 };

/** A SageMaker challenger that never answers in time. */
const failing: ScoringModel = {
  backend: 'sagemaker',
  score: async () => {
    throw new ModelError('SageMaker endpoint "fraud-v2" did not answer within 300 ms', 'timeout');
  },
};

function scoreHandler(challenger?: Challenger, model: ScoringModel = champion) {
  const r = recorder();
  const featureLog = new MemoryRecordStreamWriter();
  const handler = createScoreHandler({
    spec,
    store,
    model,
    challenger,
    featureLog,
    logger: r.logger,
    metrics: r.metricsSink,
    now: () => 1_700_000_000_000,
  });
  const score = async (entities: object) =>
    bodyOf(await handler(httpApiEvent({ entities }, { requestId: 'r-1' })));
  return {
    handler,
    score,
    metrics: r.metrics,
    logs: r.logs,
    lines: () => featureLog.lines() as Record<string, unknown>[],
  };
}

function bodyOf(response: APIGatewayProxyStructuredResultV2) {
  return JSON.parse(response.body as string) as ScoreResponse & { message?: string };
}

const card = (id: string | number) => ({ card: { card_id: id } });
const withoutTimings = ({ timings: _, ...rest }: ScoreResponse) => rest;

describe('no challenger', () => {
  it('answers with the champion, variant "champion", and logs no shadow fields and no per-variant metrics', async () => {
    const { score, lines, metrics } = scoreHandler();
    const body = await score(card('c1'));
    expect(body).toMatchObject({ modelVersion: placeholder.version, variant: 'champion' });
    expect(lines()[0]).toMatchObject({ variant: 'champion', fallback: false });
    expect(Object.keys(lines()[0] ?? {})).not.toContain('shadow_score');
    expect(Object.keys(metrics).filter((name) => /^Champion|^Challenger/.test(name))).toEqual([]);
  });
});

describe('shadow mode', () => {
  const shadow = (model: ScoringModel, name: string): Challenger => ({ mode: 'shadow', model, name });

  it('answers with the champion and logs the challenger’s score of the same features beside it', async () => {
    // Arrange
    const { score, lines, metrics } = scoreHandler(shadow(challengerModel, challengerVersion));

    // Act
    const body = await score(card('c1'));

    // Assert
    expect(body).toMatchObject({
      score: champion.scoreVector(features),
      modelVersion: placeholder.version,
      backend: 'embedded',
      variant: 'champion',
    });
    expect(body.fallback).toBeUndefined();
    expect(lines()).toEqual([
      expect.objectContaining({
        score: champion.scoreVector(features),
        model_version: placeholder.version,
        variant: 'champion',
        fallback: false,
        shadow_score: challengerModel.scoreVector(features),
        shadow_model_version: challengerVersion,
      }),
    ]);
    expect(challengerModel.scoreVector(features)).not.toBe(champion.scoreVector(features));
    expect(metrics.ChampionScore).toEqual([body.score]);
    expect(metrics.ChallengerScore).toEqual([challengerModel.scoreVector(features)]);
    expect(metrics.ChallengerLatency).toHaveLength(1);
  });

  it('runs the challenger beside the champion, not after it', async () => {
    // The champion answers only once the challenger has been called: run one after the other, this would hang.
    let challengerCalled!: () => void;
    const called = new Promise<void>((resolve) => {
      challengerCalled = resolve;
    });
    const waitingChampion: ScoringModel = {
      backend: 'embedded',
      score: async (vector) => {
        await called;
        return champion.score(vector);
      },
    };
    const spy: ScoringModel = {
      backend: 'embedded',
      score: async (vector) => {
        challengerCalled();
        return challengerModel.score(vector);
      },
    };
    const { score } = scoreHandler(shadow(spy, challengerVersion), waitingChampion);
    expect(await score(card('c1'))).toMatchObject({ modelVersion: placeholder.version });
  });

  it('keeps the response unchanged when the challenger fails, counts and logs it, and logs a null score', async () => {
    const off = await scoreHandler().score(card('c1'));
    const { score, lines, metrics, logs } = scoreHandler(shadow(failing, 'sagemaker:fraud-v2'));

    const body = await score(card('c1'));

    expect(withoutTimings(body)).toEqual(withoutTimings(off));
    expect(metrics.ChallengerErrors).toEqual([1]);
    expect(metrics.ChallengerScore).toBeUndefined();
    expect(logs).toEqual([
      {
        level: 'warn',
        message: 'the challenger failed in shadow: the response is unchanged',
        extra: {
          challenger: 'sagemaker:fraud-v2',
          error: 'ModelError: SageMaker endpoint "fraud-v2" did not answer within 300 ms',
        },
      },
    ]);
    expect(lines()[0]).toMatchObject({
      score: off.score,
      shadow_score: null,
      shadow_model_version: 'sagemaker:fraud-v2',
    });
  });
});

describe('split mode', () => {
  const split = (
    weight: number,
    model: ScoringModel = challengerModel,
    name = challengerVersion,
  ): Challenger => ({
    mode: 'split',
    model,
    name,
    weight,
  });
  const cards = Array.from({ length: 2_000 }, (_, i) => `card-${i}`);

  it.each([0.1, 0.5])('sends about %s of 2,000 distinct cards to the challenger', async (weight) => {
    const { score, metrics, lines } = scoreHandler(split(weight));
    let challenger = 0;
    for (const id of cards) {
      const body = await score(card(id));
      // The variant and the model that answered agree.
      expect(body.modelVersion).toBe(body.variant === 'challenger' ? challengerVersion : placeholder.version);
      if (body.variant === 'challenger') challenger++;
    }
    expect(Math.abs(challenger / cards.length - weight)).toBeLessThan(0.025);
    expect(metrics.ChallengerRequests).toHaveLength(challenger);
    expect(metrics.ChampionRequests).toHaveLength(cards.length - challenger);
    expect(metrics.ChallengerScore).toHaveLength(challenger);
    expect(lines().filter((line) => line.variant === 'challenger')).toHaveLength(challenger);
  });

  it('gives one card the same model every time, whatever else the request names', async () => {
    const { score } = scoreHandler(split(0.5));
    for (const id of cards.slice(0, 100)) {
      const alone = (await score(card(id))).variant;
      const again = (await score(card(id))).variant;
      const withMerchant = (
        await score({
          merchant: { merchant_id: 'm-7' },
          card: { card_id: id },
          card_merchant: { card_id: id, merchant_id: 'm-7' },
        })
      ).variant;
      expect([again, withMerchant]).toEqual([alone, alone]);
    }
    expect((await score(card(12345))).variant).toBe((await score(card('12345'))).variant);
  });

  it('draws a different share of cards for another challenger, and keeps a card’s group when the weight grows', () => {
    const key = (id: string) => assignmentKey(spec, [{ entity: 'card', key: { card_id: id } }]);
    const group = (salt: string, weight: number) =>
      cards.filter((id) => assignVariant(key(id), salt, weight) === 'challenger');
    const first = group(challengerVersion, 0.1);
    const other = group('fraud-lr-ffffffffffff', 0.1);
    expect(other).not.toEqual(first);
    expect(group(challengerVersion, 0.3)).toEqual(expect.arrayContaining(first));
  });

  it('falls back to the champion when the challenger fails, counts it and says so', async () => {
    const name = 'sagemaker:fraud-v2';
    const assigned = cards.find(
      (id) =>
        assignVariant(assignmentKey(spec, [{ entity: 'card', key: { card_id: id } }]), name, 0.5) ===
        'challenger',
    ) as string;
    const { score, metrics, lines, logs } = scoreHandler(split(0.5, failing, name));

    const body = await score(card(assigned));

    expect(body).toMatchObject({
      score: champion.scoreVector(features),
      modelVersion: placeholder.version,
      backend: 'embedded',
      variant: 'challenger',
      fallback: true,
    });
    expect(metrics).toMatchObject({
      ChallengerRequests: [1],
      ChallengerErrors: [1],
      ChallengerFallbacks: [1],
      ChampionScore: [body.score],
    });
    expect(logs.map((l) => l.message)).toEqual(['the challenger failed: the champion answers']);
    expect(lines()[0]).toMatchObject({
      variant: 'challenger',
      fallback: true,
      model_version: placeholder.version,
    });
  });
});

describe('assignment key', () => {
  it('is the first of the spec’s entities the request names, with its key values in key order', () => {
    const pair = { entity: 'card_merchant', key: { merchant_id: 'm1', card_id: 'c1' } };
    expect(assignmentKey(spec, [pair, { entity: 'card', key: { card_id: 'c1' } }])).toBe('card\u0000c1');
    expect(assignmentKey(spec, [pair])).toBe('card_merchant\u0000c1\u0000m1');
  });
});
