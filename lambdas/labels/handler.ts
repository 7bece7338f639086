/** Lambda entry point of the labels function (HTTP API, payload 2.0, `POST /labels`). Env: DELIVERY_STREAM_NAME. */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { handlerAtColdStart } from '../shared/entry.js';
import { powertools } from '../shared/powertools.js';
import { loadSpec } from '../shared/spec.js';
import { readLabelsConfig } from './config.js';
import { LabelBatchWriter } from './label-writer.js';
import { createLabelsHandler } from './labels-handler.js';

export const handler = handlerAtColdStart('labels', () => {
  const config = readLabelsConfig(process.env);
  const spec = loadSpec();
  const { logger, metrics, tracer } = powertools('streamfeatures-labels');
  return createLabelsHandler({
    spec,
    delivery: new LabelBatchWriter(tracer.captureAWSv3Client(new FirehoseClient({})), config.deliveryStream),
    logger,
    metrics,
  });
});
