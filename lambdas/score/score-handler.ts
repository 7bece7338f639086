/**
 * The score function: a request naming entity keys → one online-store read for all of them → a model score,
 * with the features used, the model version and the timings. Optionally logs each scored request to Firehose.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { RecordStreamWriter } from '../../adapters/firehose/record-stream-writer.js';
import type { FeatureVector, ModelScore, ScoringModel } from '../../adapters/model/model.js';
import type { OnlineStore } from '../../adapters/online-store/online-store.js';
import type { CompiledSpec } from '../../core/index.js';
import { errorResponse, HttpError, jsonBody, jsonResponse } from '../shared/http.js';
import type { HandlerLogger, HandlerMetrics } from '../shared/observability.js';
import { parseScoreRequest } from './request.js';

export interface ScoreHandlerDeps {
  readonly spec: CompiledSpec;
  readonly store: Pick<OnlineStore, 'readFeatures'>;
  readonly model: ScoringModel;
  /** Scores when `model` fails or times out; none: answer 502 then. */
  readonly fallback?: ScoringModel | undefined;
  /** The feature + prediction log (a Firehose delivery stream); none: no log. */
  readonly featureLog?: RecordStreamWriter | undefined;
  readonly logger: HandlerLogger;
  readonly metrics: HandlerMetrics;
  /** @default Date.now */
  readonly now?: () => number;
}

export interface ScoreResponse {
  readonly score: number;
  readonly modelVersion: string;
  readonly backend: ScoringModel['backend'];
  /** Present when the configured model failed and the fallback answered. */
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

async function score(
  deps: ScoreHandlerDeps,
  now: () => number,
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> {
  const started = performance.now();
  const request = parseScoreRequest(deps.spec, jsonBody(event));
  const requestMs = now();
  const t = request.t ?? requestMs;

  const readStarted = performance.now();
  const values = await deps.store.readFeatures(request.entities, t);
  const features: Record<string, unknown> = {};
  for (const entityValues of values) Object.assign(features, entityValues);
  const featuresMs = performance.now() - readStarted;

  const modelStarted = performance.now();
  let answer: ModelScore;
  let backend = deps.model.backend;
  let fellBack = false;
  try {
    answer = await deps.model.score(features);
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
    answer = await deps.fallback.score(features);
    backend = deps.fallback.backend;
    fellBack = true;
  }
  const modelMs = performance.now() - modelStarted;
  const totalMs = performance.now() - started;

  const response: ScoreResponse = {
    score: answer.score,
    modelVersion: answer.modelVersion,
    backend,
    ...(fellBack ? { fallback: true as const } : {}),
    features,
    timings: { featuresMs: round(featuresMs), modelMs: round(modelMs), totalMs: round(totalMs) },
  };
  deps.metrics.addMetric('FeatureReadLatency', MetricUnit.Milliseconds, response.timings.featuresMs);
  deps.metrics.addMetric('ModelLatency', MetricUnit.Milliseconds, response.timings.modelMs);

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

const encoder = new TextEncoder();

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
