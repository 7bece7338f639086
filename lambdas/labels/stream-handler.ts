/**
 * Lambda entry point of the labels-stream function (Kinesis event-source mapping with ReportBatchItemFailures).
 * Env: DELIVERY_STREAM_NAME, SIDE_OUTPUT_BUCKET, QUARANTINE_PREFIX.
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import { FirehoseWriter } from '../../adapters/firehose/record-stream-writer.js';
import { S3SideOutputWriter } from '../../adapters/side-outputs/side-output-writer.js';
import { usesCustomEndpoint } from '../shared/endpoints.js';
import { handlerAtColdStart } from '../shared/entry.js';
import { powertools } from '../shared/powertools.js';
import { loadSpec } from '../shared/spec.js';
import { createLabelsStreamHandler } from './labels-stream-handler.js';
import { readLabelsStreamConfig } from './stream-config.js';

export const handler = handlerAtColdStart('labels-stream', () => {
  const config = readLabelsStreamConfig(process.env);
  const { logger, metrics, tracer } = powertools('streamfeatures-labels-stream');
  const s3 = tracer.captureAWSv3Client(new S3Client({ forcePathStyle: usesCustomEndpoint('S3') }));
  return createLabelsStreamHandler({
    spec: loadSpec(),
    // PutRecordBatch only, even for one label: the role holds that one action on that one stream.
    delivery: new FirehoseWriter(tracer.captureAWSv3Client(new FirehoseClient({})), config.deliveryStream, {
      batchOnly: true,
    }),
    sideOutputs: new S3SideOutputWriter(s3, config.sideOutputBucket),
    quarantinePrefix: config.quarantinePrefix,
    logger,
    metrics,
  });
});
