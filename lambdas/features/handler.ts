/**
 * Lambda entry point of the features function (Kinesis event-source mapping with ReportBatchItemFailures).
 * Env: TABLE_NAME, SIDE_OUTPUT_BUCKET, QUARANTINE_PREFIX, LATE_PREFIX, RAW_ARCHIVE_STREAM, RAW_ARCHIVE_RECORDS,
 * RAW_ARCHIVE_PARTITION_FIELDS, RAW_OVERSIZE_PREFIX.
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import { createDynamoDbClient } from '../../adapters/dynamodb-client.js';
import { FirehoseWriter } from '../../adapters/firehose/record-stream-writer.js';
import { OnlineStore } from '../../adapters/online-store/online-store.js';
import { S3SideOutputWriter } from '../../adapters/side-outputs/side-output-writer.js';
import { compileArchiveColumns } from '../../core/offline-schema.js';
import { usesCustomEndpoint } from '../shared/endpoints.js';
import { handlerAtColdStart } from '../shared/entry.js';
import { powertools } from '../shared/powertools.js';
import { loadSpec } from '../shared/spec.js';
import { readFeaturesConfig } from './config.js';
import { createFeaturesHandler } from './features-handler.js';

export const handler = handlerAtColdStart('features', () => {
  const config = readFeaturesConfig(process.env);
  const spec = loadSpec();
  const { logger, metrics, tracer } = powertools('streamfeatures-features');
  const dynamodb = tracer.captureAWSv3Client(createDynamoDbClient());
  const s3 = tracer.captureAWSv3Client(new S3Client({ forcePathStyle: usesCustomEndpoint('S3') }));
  const archive = config.rawArchiveStream;
  return createFeaturesHandler({
    // Built once per execution environment: the store's item cache survives warm invocations.
    store: new OnlineStore({ client: dynamodb, tableName: config.tableName, spec }),
    sideOutputs: new S3SideOutputWriter(s3, config.sideOutputBucket),
    rawArchive: archive
      ? new FirehoseWriter(tracer.captureAWSv3Client(new FirehoseClient({})), archive, {
          packLines: config.rawArchiveRecords === 'packed',
        })
      : undefined,
    archiveColumns: compileArchiveColumns(spec.spec),
    archivePartitionFields: config.rawArchivePartitionFields === 'dt-hour',
    prefixes: {
      quarantine: config.quarantinePrefix,
      late: config.latePrefix,
      rawOversize: config.rawOversizePrefix,
    },
    logger,
    metrics,
  });
});
