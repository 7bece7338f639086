/** Lambda entry point of the labels function (HTTP API, payload 2.0, `POST /labels`). Env: DELIVERY_STREAM_NAME. */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { FirehoseWriter } from '../../adapters/firehose/record-stream-writer.js';
import { handlerAtColdStart } from '../shared/entry.js';
import { powertools } from '../shared/powertools.js';
import { loadSpec } from '../shared/spec.js';
import { readLabelsConfig } from './config.js';
import { createLabelsHandler } from './labels-handler.js';

export const handler = handlerAtColdStart('labels', () => {
  const config = readLabelsConfig(process.env);
  const spec = loadSpec();
  const { logger, metrics, tracer } = powertools('streamfeatures-labels');
  return createLabelsHandler({
    spec,
    // PutRecordBatch only, even for one label: the role holds that one action on that one stream.
    delivery: new FirehoseWriter(tracer.captureAWSv3Client(new FirehoseClient({})), config.deliveryStream, {
      batchOnly: true,
    }),
    logger,
    metrics,
  });
});
