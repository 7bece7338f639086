/**
 * Lambda entry point of the score function (HTTP API, payload 2.0).
 * Env: TABLE_NAME, MODEL_BACKEND, SAGEMAKER_ENDPOINT_NAME, MODEL_TIMEOUT_MS, MODEL_FALLBACK, FEATURE_LOG_STREAM.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { FirehoseWriter } from '../../adapters/firehose/record-stream-writer.js';
import { EmbeddedModel } from '../../adapters/model/embedded-model.js';
import { SageMakerModel } from '../../adapters/model/sagemaker-model.js';
import { OnlineStore } from '../../adapters/online-store/online-store.js';
import { handlerAtColdStart } from '../shared/entry.js';
import { powertools } from '../shared/powertools.js';
import { loadSpec } from '../shared/spec.js';
import { readScoreConfig } from './config.js';
import modelDocument from './model.json' with { type: 'json' };
import { createScoreHandler } from './score-handler.js';

export const handler = handlerAtColdStart('score', () => {
  const config = readScoreConfig(process.env);
  const spec = loadSpec();
  const { logger, metrics, tracer } = powertools('streamfeatures-score');
  const dynamodb = tracer.captureAWSv3Client(new DynamoDBClient({}));
  const embedded = EmbeddedModel.fromDocument(modelDocument, 'lambdas/score/model.json');
  const computed = new Set(spec.spec.features.map((feature) => feature.name));
  const unknown = embedded.features.filter((name) => !computed.has(name));
  if (unknown.length > 0) {
    logger.warn('the embedded model reads features the spec does not compute: they are always imputed', {
      unknown,
    });
  }
  const model =
    config.backend === 'sagemaker'
      ? new SageMakerModel({
          // The timeout bounds the whole call; at most one retry fits in it.
          client: tracer.captureAWSv3Client(new SageMakerRuntimeClient({ maxAttempts: 2 })),
          endpointName: config.endpointName,
          timeoutMs: config.timeoutMs,
        })
      : embedded;
  return createScoreHandler({
    spec,
    store: new OnlineStore({ client: dynamodb, tableName: config.tableName, spec }),
    model,
    fallback: config.backend === 'sagemaker' && config.fallback === 'embedded' ? embedded : undefined,
    featureLog: config.featureLogStream
      ? new FirehoseWriter(tracer.captureAWSv3Client(new FirehoseClient({})), config.featureLogStream)
      : undefined,
    logger,
    metrics,
  });
});
