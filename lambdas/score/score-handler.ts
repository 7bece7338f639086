/**
 * The score function: a request naming entity keys → one online-store read for all of them → a model score,
 * with the features used, the model version and the timings. Optionally a challenger model in shadow or split
 * mode, and a log of each scored request to Firehose.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { FeatureReader } from '../../adapters/feature-client.js';
import type { RecordStreamWriter } from '../../adapters/firehose/record-stream-writer.js';
import type { FeatureVector, ModelScore, ScoringModel } from '../../adapters/model/model.js';
import { type CompiledSpec, specVersionOf } from '../../core/index.js';
import { partitionValues } from '../../core/offline-schema.js';
import { errorResponse, HttpError, jsonBody, jsonResponse } from '../shared/http.js';
import type { HandlerLogger, HandlerMetrics } from '../shared/observability.js';
import { MAX_SCORE_REQUEST_BYTES, parseScoreRequest } from './request.js';
import { assignmentKey, assignVariant, type Variant } from './variants.js';

/**
 * A second model beside the first (the champion). `shadow`: it scores every request's features beside the
 * champion, for the log only. `split`: it answers `weight` of the entity keys (lambdas/score/variants.ts).
 */
export type Challenger =
  | { readonly mode: 'shadow'; readonly model: ScoringModel; readonly name: string }
  | { readonly mode: 'split'; readonly model: ScoringModel; readonly name: string; readonly weight: number };

export interface ScoreHandlerDeps {
  readonly spec: CompiledSpec;
  /** Where the features are read: a FeatureClient on the online-store table. */
  readonly store: FeatureReader;
  /** The champion. */
  readonly model: ScoringModel;
  /** Scores when `model` fails or times out; none: answer 502 then. */
  readonly fallback?: ScoringModel | undefined;
  /**
   * A challenger; `name` (its version, or `sagemaker:<endpoint>`) salts the split and names it in the log when
   * it gives no answer. @default - none
   */
  readonly challenger?: Challenger | undefined;
  /** The feature + prediction log (a Firehose delivery stream); none: no log. */
  readonly featureLog?: RecordStreamWriter | undefined;
  /**
   * Whether each feature-log record carries `dt` and `hour` of its request time (an Iceberg table partitions on
   * them). @default false - the S3 prefix Firehose writes carries them (Parquet)
   */
  readonly featureLogPartitionFields?: boolean;
  readonly logger: HandlerLogger;
  readonly metrics: HandlerMetrics;
  /** @default Date.now */
  readonly now?: () => number;
}

export interface ScoreResponse {
  readonly score: number;
  readonly modelVersion: string;
  readonly backend: ScoringModel['backend'];
  /** The model the request is assigned to: always the champion, but for the challenger's share in split mode. */
  readonly variant: Variant;
  /** Present when the assigned model failed and another answered (the champion, or the champion's fallback). */
  readonly fallback?: true;
  readonly features: FeatureVector;
  readonly timings: { readonly featuresMs: number; readonly modelMs: number; readonly totalMs: number };
}

export type ScoreHandler = (
  event: APIGatewayProxyEventV2,
  context?: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export function createScoreHandler(deps: ScoreHandlerDeps): ScoreHandler {
  const now = deps.now ?? Date.now;
  return async (event, context) => {
    if (context) deps.logger.addContext(context);
    try {
      return await score(deps, now, event);
    } catch (error) {
      if (error instanceof HttpError) {
        if (error.statusCode < 500) deps.metrics.addMetric('BadRequests', MetricUnit.Count, 1);
        return errorResponse(error);
      }
      deps.metrics.addMetric('ScoreErrors', MetricUnit.Count, 1);
      deps.logger.error('scoring failed', { error: errorText(error) });
      return jsonResponse(500, { message: 'internal error' });
    } finally {
      deps.metrics.publishStoredMetrics();
    }
  };
}

/** A model's answer and who gave it. */
interface Answered {
  readonly answer: ModelScore;
  readonly backend: ScoringModel['backend'];
  /** The assigned model failed and another answered. */
  readonly fellBack: boolean;
}

async function score(
  deps: ScoreHandlerDeps,
  now: () => number,
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> {
  const started = performance.now();
  const request = parseScoreRequest(deps.spec, jsonBody(event, { maxBytes: MAX_SCORE_REQUEST_BYTES }));
  const requestMs = now();
  const t = request.t ?? requestMs;

  const readStarted = performance.now();
  const values = await deps.store.readFeatures(request.entities, t);
  const features: Record<string, unknown> = {};
  for (const entityValues of values) Object.assign(features, entityValues);
  const featuresMs = performance.now() - readStarted;

  const { challenger } = deps;
  const variant: Variant =
    challenger?.mode === 'split'
      ? assignVariant(assignmentKey(deps.spec, request.entities), challenger.name, challenger.weight)
      : 'champion';
  // Started before the champion, awaited after it: the two run side by side.
  const shadow = challenger?.mode === 'shadow' ? runShadow(deps, challenger, features) : undefined;

  const modelStarted = performance.now();
  let answered: Answered;
  try {
    answered =
      challenger && variant === 'challenger'
        ? await challengerAnswer(deps, challenger, features)
        : await championAnswer(deps, features, false);
  } catch (error) {
    // Let the shadow finish first: its metrics belong to this invocation.
    await shadow;
    throw error;
  }
  const modelMs = performance.now() - modelStarted;
  const totalMs = performance.now() - started;

  const { answer, backend, fellBack } = answered;
  const response: ScoreResponse = {
    score: answer.score,
    modelVersion: answer.modelVersion,
    backend,
    variant,
    ...(fellBack ? { fallback: true as const } : {}),
    features,
    timings: { featuresMs: round(featuresMs), modelMs: round(modelMs), totalMs: round(totalMs) },
  };
  deps.metrics.addMetric('FeatureReadLatency', MetricUnit.Milliseconds, response.timings.featuresMs);
  deps.metrics.addMetric('ModelLatency', MetricUnit.Milliseconds, response.timings.modelMs);
  if (challenger) {
    // Per variant, by name, so the split and the score distributions compare on one graph.
    const answeredBy = variant === 'challenger' && !fellBack ? 'Challenger' : 'Champion';
    if (challenger.mode === 'split') {
      deps.metrics.addMetric(
        variant === 'challenger' ? 'ChallengerRequests' : 'ChampionRequests',
        MetricUnit.Count,
        1,
      );
    }
    deps.metrics.addMetric(`${answeredBy}Score`, MetricUnit.NoUnit, answer.score);
  }

  // The response waits for the shadow only as long as the shadow is slower than the champion, at most its
  // timeout: a Lambda function does no work after it answers, and the log line carries the shadow's score.
  const shadowed = shadow ? await shadow : undefined;

  if (deps.featureLog) {
    const line = {
      request_id: event.requestContext?.requestId,
      request_ms: requestMs,
      t,
      entities: Object.fromEntries(request.entities.map((e) => [e.entity, e.key])),
      features,
      score: answer.score,
      model_version: answer.modelVersion,
      backend,
      fallback: fellBack,
      variant,
      // Which definitions computed the features: parity compares them with a replay of the same definitions only.
      spec_hash: specVersionOf(deps.spec).hash,
      fingerprints: specVersionOf(deps.spec).fingerprints,
      ...(challenger?.mode === 'shadow'
        ? {
            shadow_score: shadowed?.score ?? null,
            shadow_model_version: shadowed?.modelVersion ?? challenger.name,
          }
        : {}),
      ...(deps.featureLogPartitionFields ? partitionValues(requestMs) : {}),
    };
    try {
      await deps.featureLog.put([encoder.encode(`${JSON.stringify(line)}\n`)]);
    } catch (error) {
      // Best effort: the caller gets the score; the gap in the log is counted and logged.
      deps.metrics.addMetric('FeatureLogErrors', MetricUnit.Count, 1);
      deps.logger.warn('the feature log write failed', { error: errorText(error) });
    }
  }
  return jsonResponse(200, response);
}

/** The champion's answer, or its fallback's when it fails; with no fallback, 502. */
async function championAnswer(
  deps: ScoreHandlerDeps,
  features: FeatureVector,
  fellBack: boolean,
): Promise<Answered> {
  const backend = deps.model.backend;
  try {
    return { answer: await deps.model.score(features), backend, fellBack };
  } catch (error) {
    deps.metrics.addMetric('ModelErrors', MetricUnit.Count, 1);
    if (!deps.fallback) {
      deps.logger.error('the model failed', { backend, error: errorText(error) });
      throw new HttpError(502, `the ${backend} model failed: ${(error as Error).message}`);
    }
    deps.logger.warn('the model failed: scoring with the fallback', {
      backend,
      fallback: deps.fallback.backend,
      error: errorText(error),
    });
    deps.metrics.addMetric('ModelFallbacks', MetricUnit.Count, 1);
    return { answer: await deps.fallback.score(features), backend: deps.fallback.backend, fellBack: true };
  }
}

/** Split mode, the challenger's share: its answer, or the champion's when it fails or times out. */
async function challengerAnswer(
  deps: ScoreHandlerDeps,
  challenger: Challenger,
  features: FeatureVector,
): Promise<Answered> {
  const started = performance.now();
  try {
    const answer = await challenger.model.score(features);
    deps.metrics.addMetric('ChallengerLatency', MetricUnit.Milliseconds, round(performance.now() - started));
    return { answer, backend: challenger.model.backend, fellBack: false };
  } catch (error) {
    deps.metrics.addMetric('ChallengerErrors', MetricUnit.Count, 1);
    deps.metrics.addMetric('ChallengerFallbacks', MetricUnit.Count, 1);
    deps.logger.warn('the challenger failed: the champion answers', {
      challenger: challenger.name,
      error: errorText(error),
    });
    return championAnswer(deps, features, true);
  }
}

/** Shadow mode: the challenger's score of the same features, or null: a failure is counted and logged, never raised. */
async function runShadow(
  deps: ScoreHandlerDeps,
  challenger: Challenger,
  features: FeatureVector,
): Promise<ModelScore | null> {
  const started = performance.now();
  try {
    const answer = await challenger.model.score(features);
    deps.metrics.addMetric('ChallengerLatency', MetricUnit.Milliseconds, round(performance.now() - started));
    deps.metrics.addMetric('ChallengerScore', MetricUnit.NoUnit, answer.score);
    return answer;
  } catch (error) {
    deps.metrics.addMetric('ChallengerErrors', MetricUnit.Count, 1);
    deps.logger.warn('the challenger failed in shadow: the response is unchanged', {
      challenger: challenger.name,
      error: errorText(error),
    });
    return null;
  }
}

const encoder = new TextEncoder();

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
