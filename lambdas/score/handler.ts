/**
 * Lambda entry point of the score function (HTTP API, payload 2.0).
 * Env: TABLE_NAME, MODEL_BACKEND, MODEL_VERSION, SAGEMAKER_ENDPOINT_NAME, MODEL_TIMEOUT_MS, MODEL_FALLBACK,
 * CHALLENGER_MODE, CHALLENGER_VERSION, CHALLENGER_ENDPOINT_NAME, CHALLENGER_TIMEOUT_MS, CHALLENGER_WEIGHT,
 * FEATURE_LOG_STREAM, FEATURE_LOG_PARTITION_FIELDS.
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { createDynamoDbClient } from '../../adapters/dynamodb-client.js';
import { FeatureClient } from '../../adapters/feature-client.js';
import { FirehoseWriter } from '../../adapters/firehose/record-stream-writer.js';
import type { EmbeddedModel } from '../../adapters/model/embedded-model.js';
import type { ScoringModel } from '../../adapters/model/model.js';
import { SageMakerModel } from '../../adapters/model/sagemaker-model.js';
import { type CompiledSpec, type SpecVersion, specVersionOf } from '../../core/index.js';
import { handlerAtColdStart } from '../shared/entry.js';
import type { HandlerLogger } from '../shared/observability.js';
import { powertools } from '../shared/powertools.js';
import { loadSpec } from '../shared/spec.js';
import { type ChallengerConfig, readScoreConfig } from './config.js';
import { embeddedModel, loadModelSource, type ModelSource } from './models.js';
import { type Challenger, createScoreHandler } from './score-handler.js';

export const handler = handlerAtColdStart('score', () => {
  const config = readScoreConfig(process.env);
  const spec = loadSpec();
  const models = loadModelSource();
  const { logger, metrics, tracer } = powertools('streamfeatures-score');
  const dynamodb = tracer.captureAWSv3Client(createDynamoDbClient());
  let sagemakerClient: SageMakerRuntimeClient | undefined;
  // The timeout bounds each whole call; at most one retry fits in it.
  const sagemaker = () =>
    (sagemakerClient ??= tracer.captureAWSv3Client(new SageMakerRuntimeClient({ maxAttempts: 2 })));

  const deployed = specVersionOf(spec);
  const embedded = embeddedModel(models, config.modelVersion, 'MODEL_VERSION', deployed);
  warnOfUnknownFeatures(embedded, spec, logger);
  const model =
    config.backend === 'sagemaker'
      ? new SageMakerModel({
          client: sagemaker(),
          endpointName: config.endpointName,
          timeoutMs: config.timeoutMs,
        })
      : embedded;

  let challenger: Challenger | undefined;
  if (config.challenger.mode !== 'off') {
    const { name, model: challengerModel } = challengerModelOf(
      config.challenger,
      models,
      sagemaker,
      (m) => warnOfUnknownFeatures(m, spec, logger),
      deployed,
    );
    challenger =
      config.challenger.mode === 'split'
        ? { mode: 'split', model: challengerModel, name, weight: config.challenger.weight }
        : { mode: 'shadow', model: challengerModel, name };
  }

  return createScoreHandler({
    spec,
    store: new FeatureClient({ client: dynamodb, tableName: config.tableName, spec }),
    model,
    fallback: config.backend === 'sagemaker' && config.fallback === 'embedded' ? embedded : undefined,
    challenger,
    featureLog: config.featureLogStream
      ? new FirehoseWriter(tracer.captureAWSv3Client(new FirehoseClient({})), config.featureLogStream)
      : undefined,
    featureLogPartitionFields: config.featureLogPartitionFields === 'dt-hour',
    logger,
    metrics,
  });
});

/** The challenger's model and the name it goes by: its version, or `sagemaker:<endpoint>`. */
function challengerModelOf(
  config: Exclude<ChallengerConfig, { mode: 'off' }>,
  models: ModelSource,
  sagemaker: () => SageMakerRuntimeClient,
  check: (model: EmbeddedModel) => void,
  deployed: SpecVersion,
): { name: string; model: ScoringModel } {
  const target = config.model;
  if (target.backend === 'embedded') {
    const model = embeddedModel(models, target.version, 'CHALLENGER_VERSION', deployed);
    check(model);
    return { name: target.version, model };
  }
  return {
    name: `sagemaker:${target.endpointName}`,
    model: new SageMakerModel({
      client: sagemaker(),
      endpointName: target.endpointName,
      timeoutMs: target.timeoutMs,
    }),
  };
}

function warnOfUnknownFeatures(model: EmbeddedModel, spec: CompiledSpec, logger: HandlerLogger): void {
  const computed = new Set(spec.spec.features.map((feature) => feature.name));
  const unknown = model.features.filter((name) => !computed.has(name));
  if (unknown.length > 0) {
    logger.warn('an embedded model reads features the spec does not compute: they are always imputed', {
      model: model.version,
      unknown,
    });
  }
}
