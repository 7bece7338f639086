/**
 * A Kinesis event-source mapping for the local cloud that behaves like Lambda's (standard iterators, no
 * enhanced fan-out push): it polls the stream with the AWS SDK against the cloud's endpoint and invokes a
 * function with Kinesis events.
 *
 * - Per shard, in order, one batch in flight at a time (ParallelizationFactor 1). Shards existing at the start
 *   begin at StartingPosition (TRIM_HORIZON, LATEST, AT_TIMESTAMP); shards found later (resharding) at their
 *   start, once their parents are read to the end.
 * - Batching: a batch fires when it holds BatchSize records, when MaximumBatchingWindowInSeconds has passed
 *   since its first record was read (0: as soon as records are there), or when the next record would take the
 *   invocation payload past 6 MB. The shard is read again while the window is open and once more as it expires,
 *   so records that arrive in the window go in its batch. An idle shard is polled every `pollIntervalMs`
 *   (Lambda: once a second).
 * - The event: `{ Records: [{ kinesis: { kinesisSchemaVersion, partitionKey, sequenceNumber, data (base64),
 *   approximateArrivalTimestamp (seconds, ms decimals) }, eventSource: 'aws:kinesis', eventVersion, eventID:
 *   '<shardId>:<sequenceNumber>', eventName: 'aws:kinesis:record', invokeIdentityArn, awsRegion,
 *   eventSourceARN }] }`.
 * - Errors, as the Lambda documentation describes them for Kinesis:
 *   - FunctionResponseTypes ReportBatchItemFailures: the records before the lowest reported `itemIdentifier`
 *     are done; the batch is retried from it (one retry attempt). A response Lambda calls invalid (an
 *     identifier empty, not a string, or not in the batch; `batchItemFailures` not a list; a payload that is not
 *     an object) fails the whole batch. Without ReportBatchItemFailures the response is ignored.
 *   - BisectBatchOnFunctionError: a function error splits the batch in two halves, retried in order, first
 *     half first; "splitting batches doesn't consume the retry quota", so a failing batch of one record is
 *     retried until MaximumRetryAttempts.
 *   - MaximumRetryAttempts (-1: until the records expire) and MaximumRecordAgeInSeconds (-1: no limit): when
 *     either is exceeded the records are discarded to the DestinationConfig.OnFailure destination (condition
 *     `RetryAttemptsExhausted` or `RecordAgeExceeded`) and the shard goes on after them.
 * - The on-failure record: `{ requestContext: { requestId, functionArn, condition, approximateInvokeCount },
 *   responseContext: { statusCode, executedVersion, functionError }, version: '1.0', timestamp,
 *   KinesisBatchInfo: { shardId, startSequenceNumber, endSequenceNumber, approximateArrivalOfFirstRecord,
 *   approximateArrivalOfLastRecord, batchSize, streamArn } }`. S3 destinations also get `payload` (the
 *   invocation event of the discarded records), in an object named
 *   `aws/lambda/<mapping UUID>/<shardId>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<uuid>` (UTC); SQS gets the record as the
 *   message body, SNS as the message.
 * - Retries wait `retryBaseDelayMs · 2^(attempt − 1)`, at most `retryMaxDelayMs` (Lambda backs off too, by an
 *   amount it does not document); splits do not wait.
 *
 * - UpdateEventSourceMapping (`update()`, src/esm/mapping.ts): disabling stops the pollers once in-flight
 *   batches finish; enabling starts them again after each shard's last processed record; a changed batch or
 *   retry setting restarts them the same way.
 *
 * Not modelled: FilterCriteria and TumblingWindowInSeconds (reported as ignored), ParallelizationFactor above 1
 * (runs as 1), enhanced fan-out (a consumer ARN is read with standard iterators from its stream), checkpoints
 * surviving a restart of the runner.
 */

export {
  type FailureDestination,
  failureObjectKey,
  type StreamInvocationRecord,
  s3FailureDestination,
  snsFailureDestination,
  snsQuery,
  sqsFailureDestination,
} from './esm/failure-destination.js';
export { type KinesisEvent, type KinesisEventRecord, kinesisStreamOfArn } from './esm/kinesis-event.js';
export { startKinesisEventSourceMapping } from './esm/mapping.js';
export type {
  KinesisEventSourceMapping,
  KinesisMappingOptions,
  KinesisMappingSettings,
  MappingCounters,
  MappingUpdate,
  StartingPosition,
} from './esm/types.js';
