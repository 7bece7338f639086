/** Lambda entry point of the ingest function (HTTP API, payload 2.0). Env: STREAM_NAME. */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { handlerAtColdStart } from '../shared/entry.js';
import { powertools } from '../shared/powertools.js';
import { loadSpec } from '../shared/spec.js';
import { readIngestConfig } from './config.js';
import { createIngestHandler } from './ingest-handler.js';
import { KinesisWriter } from './kinesis-writer.js';

export const handler = handlerAtColdStart('ingest', () => {
  const config = readIngestConfig(process.env);
  const spec = loadSpec();
  const { logger, metrics, tracer } = powertools('streamfeatures-ingest');
  return createIngestHandler({
    spec,
    stream: new KinesisWriter(tracer.captureAWSv3Client(new KinesisClient({})), config.stream),
    logger,
    metrics,
  });
});
