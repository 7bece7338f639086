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
 *   invocation payload past 6 MB. An idle shard is polled every `pollIntervalMs` (Lambda: once a second).
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
 * Not modelled: FilterCriteria and TumblingWindowInSeconds (reported as ignored), ParallelizationFactor above 1
 * (runs as 1), enhanced fan-out (a consumer ARN is read with standard iterators from its stream), checkpoints
 * surviving a restart of the runner.
 */

import { randomUUID } from 'node:crypto';
import {
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  KinesisClient,
  type _Record as KinesisRecord,
  ListShardsCommand,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { InvokeOutcome } from './lambda-runtime.js';

/** The invocation payload limit the batch respects. */
const MAX_BATCH_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** Bytes of a Records array's brackets and of the `{"Records":[]}` around it. */
const EVENT_OVERHEAD_BYTES = 16;
/** Kinesis allows 5 GetRecords calls a second per shard. */
const MIN_GET_RECORDS_INTERVAL_MS = 200;
/** How often shards are listed again, to find children of resharded ones. */
const LIST_SHARDS_INTERVAL_MS = 10_000;

export type StartingPosition = 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';

/** The mapping's settings, named as in AWS::Lambda::EventSourceMapping; defaults are Lambda's. */
export interface KinesisMappingSettings {
  /** The mapping's UUID (its physical id). @default a random one */
  uuid?: string;
  /** A stream ARN, or a stream consumer ARN (read with standard iterators from its stream). */
  eventSourceArn: string;
  functionArn: string;
  /** The function's role: the events' invokeIdentityArn. */
  invokeIdentityArn?: string;
  startingPosition: StartingPosition;
  /** Epoch seconds, for AT_TIMESTAMP. */
  startingPositionTimestamp?: number;
  /** @default 100 */
  batchSize?: number;
  /** @default 0 */
  maximumBatchingWindowInSeconds?: number;
  /** @default -1 (until the records expire) */
  maximumRetryAttempts?: number;
  /** @default -1 (no limit) */
  maximumRecordAgeInSeconds?: number;
  /** @default false */
  bisectBatchOnFunctionError?: boolean;
  /** `['ReportBatchItemFailures']` to honour partial batch responses. */
  functionResponseTypes?: readonly string[];
  /** @default 1 */
  parallelizationFactor?: number;
  /** Where discarded batches are recorded. @default none: they are dropped (and counted) */
  onFailure?: FailureDestination;
  /** Settings present in the template that this runner does not apply (reported in `warnings`). */
  ignored?: readonly string[];
}

export interface KinesisMappingOptions {
  /** A client for the cloud's Kinesis; the runner makes one from `cloudEndpoint` when omitted. */
  kinesis?: KinesisClient;
  /** Used when `kinesis` is omitted. */
  cloudEndpoint?: string;
  /** Invokes the function (local/lambda-runtime.ts `invoke`). */
  invoke(event: KinesisEvent): Promise<InvokeOutcome>;
  /** @default 'us-east-1' */
  region?: string;
  /** Idle poll period of a shard. @default 1000 */
  pollIntervalMs?: number;
  /** @default 500 */
  retryBaseDelayMs?: number;
  /** @default 10_000 */
  retryMaxDelayMs?: number;
  /** Notes of the runner (poll errors, discarded batches). */
  onLog?: (line: string) => void;
}

export interface KinesisEventRecord {
  kinesis: {
    kinesisSchemaVersion: '1.0';
    partitionKey: string;
    sequenceNumber: string;
    data: string;
    approximateArrivalTimestamp: number;
  };
  eventSource: 'aws:kinesis';
  eventVersion: '1.0';
  eventID: string;
  eventName: 'aws:kinesis:record';
  invokeIdentityArn: string;
  awsRegion: string;
  eventSourceARN: string;
}

export interface KinesisEvent {
  Records: KinesisEventRecord[];
}

/** The record Lambda sends to an on-failure destination for a discarded stream batch. */
export interface StreamInvocationRecord {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
    approximateInvokeCount: number;
  };
  responseContext: { statusCode?: number; executedVersion?: string; functionError?: string };
  version: '1.0';
  timestamp: string;
  KinesisBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

export interface FailureDestination {
  readonly arn: string;
  /** Records one discarded batch; `event` is the invocation event of its records. */
  send(record: StreamInvocationRecord, event: KinesisEvent, mappingUuid: string): Promise<void>;
}

export interface MappingCounters {
  /** Invocations made, retries included. */
  invocations: number;
  /** Records the function finished (checkpointed without being discarded). */
  records: number;
  /** Invocations that delivered records again after a failure (partial retries, plain retries, halves). */
  retries: number;
  /** Batches split in two after a function error. */
  bisections: number;
  functionErrors: number;
  /** Invocations that answered with batchItemFailures. */
  partialFailures: number;
  /** Discarded batches recorded at the on-failure destination, and their records. */
  failuresToDestination: number;
  recordsToDestination: number;
  /** Discarded records that could not be recorded (no destination, or it failed). */
  recordsDropped: number;
  destinationErrors: number;
  pollErrors: number;
}

export interface KinesisEventSourceMapping {
  readonly uuid: string;
  readonly eventSourceArn: string;
  readonly streamArn: string;
  readonly functionArn: string;
  readonly counters: Readonly<MappingCounters>;
  /** Settings read but not applied. */
  readonly warnings: readonly string[];
  /** Per shard: the last sequence number checkpointed, records buffered, whether a batch is in flight. */
  shards(): Array<{
    shardId: string;
    checkpoint?: string;
    buffered: number;
    inFlight: boolean;
    done: boolean;
  }>;
  /**
   * Resolves once the stream's shards are listed and each has its iterator (its StartingPosition fixed):
   * records put after that are read, even with LATEST. Rejects after `timeoutMs`.
   */
  ready(timeoutMs?: number): Promise<void>;
  /**
   * Resolves once every shard has read to the end of what the stream held after this call began (a GetRecords
   * that started later came back empty), buffered nothing, and has no batch in flight. Rejects after
   * `timeoutMs` naming the shards still busy.
   */
  drain(timeoutMs?: number): Promise<void>;
  /** Stops polling; resolves once in-flight batches have finished. Idempotent. */
  stop(): Promise<void>;
}

interface Rec {
  record: KinesisEventRecord;
  arrivalMs: number;
  sequenceNumber: string;
  bytes: number;
}

interface ShardState {
  shardId: string;
  parents: string[];
  iterator: string | undefined;
  /** Where the shard's reading began: used again if the iterator expires before a record was read. */
  position: Partial<GetShardIteratorCommandInput>;
  started: boolean;
  /** Read to its end (closed shard) and everything done. */
  done: boolean;
  /** NextShardIterator came back null: no more records will come. */
  closed: boolean;
  buffer: Rec[];
  bufferBytes: number;
  firstBufferedAt: number;
  lastReadSequence: string | undefined;
  checkpoint: string | undefined;
  /** When the last GetRecords that came back empty and not behind had started. */
  caughtUpSince: number;
  inFlight: boolean;
  lastGetRecordsAt: number;
}

/** Parses a stream or stream-consumer ARN into the stream's ARN and name. */
export function kinesisStreamOfArn(arn: string): { streamArn: string; streamName: string } {
  const match = /^(arn:[^:]+:kinesis:[^:]*:[^:]*:stream\/([^/]+))(\/consumer\/.+)?$/.exec(arn);
  if (!match) throw new Error(`Not a Kinesis stream or consumer ARN: ${arn}`);
  return { streamArn: match[1] as string, streamName: match[2] as string };
}

/** The S3 key Lambda gives a discarded batch's record (Lambda documentation, Kinesis on-failure destinations). */
export function failureObjectKey(mappingUuid: string, shardId: string, at: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const day = `${at.getUTCFullYear()}/${pad(at.getUTCMonth() + 1)}/${pad(at.getUTCDate())}`;
  const stamp =
    `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}` +
    `T${pad(at.getUTCHours())}.${pad(at.getUTCMinutes())}.${pad(at.getUTCSeconds())}`;
  return `aws/lambda/${mappingUuid}/${shardId}/${day}/${stamp}-${randomUUID()}`;
}

/** An S3 bucket destination: the record with the batch's event as `payload`. */
export function s3FailureDestination(s3: S3Client, bucketArn: string): FailureDestination {
  const bucket = bucketArn.replace(/^arn:[^:]+:s3:::/, '');
  return {
    arn: bucketArn,
    async send(record, event, mappingUuid) {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: failureObjectKey(mappingUuid, record.KinesisBatchInfo.shardId, new Date(record.timestamp)),
          Body: JSON.stringify({ ...record, payload: event }),
          ContentType: 'application/json',
        }),
      );
    },
  };
}

/** An SQS queue destination: the record as the message body (no payload). */
export function sqsFailureDestination(
  sqs: SQSClient,
  queueArn: string,
  queueUrl: string,
): FailureDestination {
  return {
    arn: queueArn,
    async send(record) {
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(record) }));
    },
  };
}

/** An SNS topic destination: the record as the message (SNS's query API: no SNS SDK needed). */
export function snsFailureDestination(
  cloudEndpoint: string,
  topicArn: string,
  region: string,
): FailureDestination {
  return {
    arn: topicArn,
    async send(record) {
      await snsQuery(cloudEndpoint, region, {
        Action: 'Publish',
        TopicArn: topicArn,
        Message: JSON.stringify(record),
      });
    },
  };
}

/** One call of SNS's query protocol (form-encoded POST, XML answer); throws on an error answer. */
export async function snsQuery(
  cloudEndpoint: string,
  region: string,
  params: Record<string, string>,
): Promise<string> {
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
  const response = await fetch(cloudEndpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      // The local cloud routes by the credential scope and checks no signature.
      authorization: `AWS4-HMAC-SHA256 Credential=test/${day}/${region}/sns/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: new URLSearchParams({ ...params, Version: '2010-03-31' }).toString(),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (!response.ok) {
    const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? `HTTP ${response.status}`;
    const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? text.slice(0, 200);
    throw new Error(`SNS ${params.Action}: ${code}: ${message}`);
  }
  return text;
}

/** Starts polling at once; `stop()` ends it. */
export function startKinesisEventSourceMapping(
  settings: KinesisMappingSettings,
  options: KinesisMappingOptions,
): KinesisEventSourceMapping {
  const uuid = settings.uuid ?? randomUUID();
  const region = options.region ?? 'us-east-1';
  const { streamArn, streamName } = kinesisStreamOfArn(settings.eventSourceArn);
  const ownClient = options.kinesis === undefined;
  const kinesis =
    options.kinesis ??
    new KinesisClient({
      region,
      ...(options.cloudEndpoint ? { endpoint: options.cloudEndpoint } : {}),
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  const batchSize = clampInteger(settings.batchSize ?? 100, 1, 10_000);
  const windowMs = Math.max(0, (settings.maximumBatchingWindowInSeconds ?? 0) * 1000);
  const maxRetries = settings.maximumRetryAttempts ?? -1;
  const maxAgeMs =
    (settings.maximumRecordAgeInSeconds ?? -1) < 0 ? -1 : (settings.maximumRecordAgeInSeconds ?? 0) * 1000;
  const bisect = settings.bisectBatchOnFunctionError ?? false;
  const partialResponses = (settings.functionResponseTypes ?? []).includes('ReportBatchItemFailures');
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const retryBaseDelayMs = options.retryBaseDelayMs ?? 500;
  const retryMaxDelayMs = options.retryMaxDelayMs ?? 10_000;
  const invokeIdentityArn =
    settings.invokeIdentityArn ?? `arn:aws:iam::000000000000:role/${settings.functionArn.split(':').at(-1)}`;
  const log = (line: string) => options.onLog?.(`[esm ${uuid.slice(0, 8)}] ${line}`);

  const warnings = [...(settings.ignored ?? []).map((name) => `${name} is not applied by the local runner`)];
  if ((settings.parallelizationFactor ?? 1) !== 1) {
    warnings.push(
      `ParallelizationFactor ${settings.parallelizationFactor} runs as 1 (one batch per shard at a time)`,
    );
  }
  if (settings.eventSourceArn !== streamArn) {
    warnings.push('the stream consumer is read with standard iterators (no enhanced fan-out push)');
  }
  for (const warning of warnings) log(warning);

  const counters: MappingCounters = {
    invocations: 0,
    records: 0,
    retries: 0,
    bisections: 0,
    functionErrors: 0,
    partialFailures: 0,
    failuresToDestination: 0,
    recordsToDestination: 0,
    recordsDropped: 0,
    destinationErrors: 0,
    pollErrors: 0,
  };
  const shards = new Map<string, ShardState>();
  const stopping = new AbortController();
  const loops = new Set<Promise<void>>();
  let listedOnce = false;
  let listError: unknown;

  const sleep = (ms: number) =>
    new Promise<void>((resolveSleep) => {
      if (stopping.signal.aborted || ms <= 0) {
        resolveSleep();
        return;
      }
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        stopping.signal.removeEventListener('abort', done);
        resolveSleep();
      }
      stopping.signal.addEventListener('abort', done, { once: true });
    });

  const toRec = (shardId: string, record: KinesisRecord): Rec => {
    const arrivalMs = record.ApproximateArrivalTimestamp?.getTime() ?? Date.now();
    const sequenceNumber = record.SequenceNumber ?? '';
    const eventRecord: KinesisEventRecord = {
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: record.PartitionKey ?? '',
        sequenceNumber,
        data: Buffer.from(record.Data ?? new Uint8Array()).toString('base64'),
        approximateArrivalTimestamp: arrivalMs / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${shardId}:${sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn,
      awsRegion: region,
      eventSourceARN: streamArn,
    };
    return { record: eventRecord, arrivalMs, sequenceNumber, bytes: JSON.stringify(eventRecord).length + 1 };
  };

  const iteratorFor = async (
    shard: ShardState,
    position: Partial<GetShardIteratorCommandInput>,
  ): Promise<string | undefined> => {
    const answer = await kinesis.send(
      new GetShardIteratorCommand({
        ShardIteratorType: 'TRIM_HORIZON',
        ...position,
        StreamName: streamName,
        ShardId: shard.shardId,
      }),
    );
    return answer.ShardIterator;
  };

  const startPosition = (initial: boolean): Partial<GetShardIteratorCommandInput> => {
    if (!initial || settings.startingPosition === 'TRIM_HORIZON')
      return { ShardIteratorType: 'TRIM_HORIZON' };
    if (settings.startingPosition === 'LATEST') return { ShardIteratorType: 'LATEST' };
    return {
      ShardIteratorType: 'AT_TIMESTAMP',
      Timestamp: new Date((settings.startingPositionTimestamp ?? Date.now() / 1000) * 1000),
    };
  };

  const eventOf = (records: readonly Rec[]): KinesisEvent => ({ Records: records.map((r) => r.record) });

  const retryDelay = (attempt: number) =>
    Math.min(retryMaxDelayMs, retryBaseDelayMs * 2 ** Math.max(0, attempt - 1));

  const discard = async (
    shard: ShardState,
    records: readonly Rec[],
    condition: StreamInvocationRecord['requestContext']['condition'],
    invokeCount: number,
    last: InvokeOutcome | undefined,
  ): Promise<void> => {
    const first = records[0] as Rec;
    const lastRecord = records.at(-1) as Rec;
    const record: StreamInvocationRecord = {
      requestContext: {
        requestId: last?.requestId ?? randomUUID(),
        functionArn: settings.functionArn,
        condition,
        approximateInvokeCount: invokeCount,
      },
      responseContext:
        last === undefined
          ? {}
          : {
              statusCode: 200,
              executedVersion: '$LATEST',
              ...(last.ok ? {} : { functionError: last.functionError }),
            },
      version: '1.0',
      timestamp: new Date().toISOString(),
      KinesisBatchInfo: {
        shardId: shard.shardId,
        startSequenceNumber: first.sequenceNumber,
        endSequenceNumber: lastRecord.sequenceNumber,
        approximateArrivalOfFirstRecord: new Date(first.arrivalMs).toISOString(),
        approximateArrivalOfLastRecord: new Date(lastRecord.arrivalMs).toISOString(),
        batchSize: records.length,
        streamArn,
      },
    };
    shard.checkpoint = lastRecord.sequenceNumber;
    if (settings.onFailure === undefined) {
      counters.recordsDropped += records.length;
      log(
        `${shard.shardId}: ${records.length} record(s) discarded (${condition}), no on-failure destination`,
      );
      return;
    }
    try {
      await settings.onFailure.send(record, eventOf(records), uuid);
      counters.failuresToDestination++;
      counters.recordsToDestination += records.length;
      log(`${shard.shardId}: ${records.length} record(s) sent to ${settings.onFailure.arn} (${condition})`);
    } catch (error) {
      counters.destinationErrors++;
      counters.recordsDropped += records.length;
      log(
        `${shard.shardId}: could not record a discarded batch at ${settings.onFailure.arn}: ${errorText(error)}`,
      );
    }
  };

  /**
   * What a function's answer means for the batch: done, or the index of the first record to retry, or a
   * failure of the whole batch.
   */
  const judge = (records: readonly Rec[], outcome: InvokeOutcome): 'done' | 'failed' | number => {
    if (!outcome.ok) return 'failed';
    if (!partialResponses) return 'done';
    const payload = outcome.payload;
    if (payload === null || payload === undefined) return 'done';
    if (typeof payload !== 'object' || Array.isArray(payload)) return 'failed';
    const failures = (payload as { batchItemFailures?: unknown }).batchItemFailures;
    if (failures === null || failures === undefined) return 'done';
    if (!Array.isArray(failures)) return 'failed';
    if (failures.length === 0) return 'done';
    let lowest = Number.POSITIVE_INFINITY;
    for (const failure of failures) {
      const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
      if (typeof id !== 'string' || id === '') return 'failed';
      const index = records.findIndex((r) => r.sequenceNumber === id);
      if (index < 0) return 'failed';
      lowest = Math.min(lowest, index);
    }
    return lowest;
  };

  /** An invocation that could not happen at all counts as a failed one (Lambda retries those too). */
  const invokeSafely = async (records: readonly Rec[]): Promise<InvokeOutcome> => {
    try {
      return await options.invoke(eventOf(records));
    } catch (error) {
      return {
        ok: false,
        functionError: 'Unhandled',
        error: { errorType: 'ServiceException', errorMessage: errorText(error) },
        requestId: randomUUID(),
        durationMs: 0,
        coldStart: false,
        timedOut: false,
      };
    }
  };

  /** Runs one batch to its end: done, or discarded to the destination (in parts, when split). */
  const processBatch = async (shard: ShardState, batch: Rec[]): Promise<void> => {
    // A stack of record runs still to deliver, the first in front; `attempts` counts retries against the quota.
    const pending: Array<{
      records: Rec[];
      attempts: number;
      invokes: number;
      retry: boolean;
      last?: InvokeOutcome;
    }> = [{ records: batch, attempts: 0, invokes: 0, retry: false }];
    while (pending.length > 0 && !stopping.signal.aborted) {
      const item = pending[0] as (typeof pending)[number];
      if (maxAgeMs >= 0) {
        const cutoff = Date.now() - maxAgeMs;
        let expired = 0;
        while (expired < item.records.length && (item.records[expired] as Rec).arrivalMs < cutoff) expired++;
        if (expired > 0) {
          await discard(shard, item.records.slice(0, expired), 'RecordAgeExceeded', item.invokes, item.last);
          item.records = item.records.slice(expired);
          if (item.records.length === 0) {
            pending.shift();
            continue;
          }
        }
      }
      counters.invocations++;
      if (item.retry) counters.retries++;
      item.invokes++;
      const outcome = await invokeSafely(item.records);
      item.last = outcome;
      const verdict = judge(item.records, outcome);
      if (verdict === 'done') {
        counters.records += item.records.length;
        shard.checkpoint = (item.records.at(-1) as Rec).sequenceNumber;
        pending.shift();
        continue;
      }
      item.retry = true;
      if (typeof verdict === 'number') {
        counters.partialFailures++;
        if (verdict > 0) {
          counters.records += verdict;
          shard.checkpoint = (item.records[verdict - 1] as Rec).sequenceNumber;
          item.records = item.records.slice(verdict);
        }
      } else {
        if (!outcome.ok) {
          counters.functionErrors++;
          log(`${shard.shardId}: function error ${outcome.error.errorType}: ${outcome.error.errorMessage}`);
        } else {
          log(`${shard.shardId}: invalid partial batch response, the whole batch failed`);
        }
        if (bisect && item.records.length > 1) {
          counters.bisections++;
          const half = Math.ceil(item.records.length / 2);
          const halves = [item.records.slice(0, half), item.records.slice(half)].map((records) => ({
            records,
            attempts: item.attempts,
            invokes: item.invokes,
            retry: true,
            last: outcome,
          }));
          pending.splice(0, 1, ...halves);
          continue;
        }
      }
      item.attempts++;
      if (maxRetries >= 0 && item.attempts > maxRetries) {
        await discard(shard, item.records, 'RetryAttemptsExhausted', item.invokes, outcome);
        pending.shift();
        continue;
      }
      await sleep(retryDelay(item.attempts));
    }
  };

  /** Takes the next batch off the buffer: at most BatchSize records and 6 MB of event. */
  const takeBatch = (shard: ShardState): Rec[] => {
    let bytes = EVENT_OVERHEAD_BYTES;
    let count = 0;
    while (count < shard.buffer.length && count < batchSize) {
      const next = (shard.buffer[count] as Rec).bytes;
      if (count > 0 && bytes + next > MAX_BATCH_PAYLOAD_BYTES) break;
      bytes += next;
      count++;
    }
    const batch = shard.buffer.splice(0, count);
    shard.bufferBytes -= bytes - EVENT_OVERHEAD_BYTES;
    shard.firstBufferedAt = Date.now();
    return batch;
  };

  const batchReady = (shard: ShardState): boolean => {
    if (shard.buffer.length === 0) return false;
    if (shard.buffer.length >= batchSize) return true;
    if (shard.bufferBytes + EVENT_OVERHEAD_BYTES >= MAX_BATCH_PAYLOAD_BYTES) return true;
    if (shard.closed) return true;
    return Date.now() - shard.firstBufferedAt >= windowMs;
  };

  const read = async (shard: ShardState): Promise<boolean> => {
    const wait = shard.lastGetRecordsAt + MIN_GET_RECORDS_INTERVAL_MS - Date.now();
    if (wait > 0) await sleep(wait);
    if (stopping.signal.aborted || shard.iterator === undefined) return false;
    const startedAt = Date.now();
    shard.lastGetRecordsAt = startedAt;
    let answer: Awaited<ReturnType<typeof getRecords>>;
    try {
      answer = await getRecords(shard.iterator, batchSize - shard.buffer.length);
    } catch (error) {
      if (error instanceof ExpiredIteratorException) {
        shard.iterator = await iteratorFor(
          shard,
          shard.lastReadSequence === undefined
            ? shard.position
            : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: shard.lastReadSequence },
        );
        return false;
      }
      throw error;
    }
    const records = answer.Records ?? [];
    shard.iterator = answer.NextShardIterator ?? undefined;
    if (shard.iterator === undefined) shard.closed = true;
    if (records.length > 0) {
      if (shard.buffer.length === 0) shard.firstBufferedAt = Date.now();
      for (const record of records) {
        const rec = toRec(shard.shardId, record);
        shard.buffer.push(rec);
        shard.bufferBytes += rec.bytes;
        shard.lastReadSequence = rec.sequenceNumber;
      }
    } else if ((answer.MillisBehindLatest ?? 0) === 0 || shard.closed) {
      shard.caughtUpSince = startedAt;
    }
    return records.length > 0;
  };

  const getRecords = (iterator: string, limit: number) =>
    kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: clampInteger(limit, 1, 10_000) }));

  const runShard = async (shard: ShardState): Promise<void> => {
    let backoff = 0;
    while (!stopping.signal.aborted) {
      try {
        if (!shard.started) {
          shard.iterator = await iteratorFor(shard, shard.position);
          shard.started = true;
        }
        let gotRecords = false;
        if (!shard.closed && shard.buffer.length < batchSize && !batchReady(shard))
          gotRecords = await read(shard);
        backoff = 0;
        if (batchReady(shard)) {
          shard.inFlight = true;
          try {
            await processBatch(shard, takeBatch(shard));
          } finally {
            shard.inFlight = false;
          }
          continue;
        }
        if (shard.closed && shard.buffer.length === 0) {
          shard.done = true;
          log(`${shard.shardId}: read to its end`);
          return;
        }
        if (shard.buffer.length > 0) {
          const windowLeft = shard.firstBufferedAt + windowMs - Date.now();
          await sleep(Math.max(0, Math.min(windowLeft, pollIntervalMs)));
        } else if (!gotRecords) {
          await sleep(pollIntervalMs);
        }
      } catch (error) {
        counters.pollErrors++;
        backoff = Math.min(5_000, backoff === 0 ? 250 : backoff * 2);
        log(`${shard.shardId}: ${errorText(error)} (retrying in ${backoff} ms)`);
        await sleep(backoff);
      }
    }
  };

  const listShards = async (): Promise<Shard[]> => {
    const found: Shard[] = [];
    let token: string | undefined;
    do {
      const page = await kinesis.send(
        new ListShardsCommand(token === undefined ? { StreamName: streamName } : { NextToken: token }),
      );
      found.push(...(page.Shards ?? []));
      token = page.NextToken;
    } while (token !== undefined);
    return found;
  };

  /** Starts a loop for each shard whose parents are done (or gone). */
  const adoptShards = (found: readonly Shard[], initial: boolean) => {
    const known = new Set(found.map((s) => s.ShardId));
    for (const shard of found) {
      const shardId = shard.ShardId;
      if (shardId === undefined || shards.has(shardId)) continue;
      const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter(
        (id): id is string => id !== undefined && known.has(id),
      );
      const parentsDone = parents.every((id) => shards.get(id)?.done === true);
      // At the start, a child whose parents are still listed waits for them; later shards start at their start.
      if (!parentsDone) continue;
      const state: ShardState = {
        shardId,
        parents,
        iterator: undefined,
        // Shards there at the start begin at StartingPosition; later ones (children) at their start.
        position: startPosition(initial && parents.length === 0),
        started: false,
        done: false,
        closed: false,
        buffer: [],
        bufferBytes: 0,
        firstBufferedAt: 0,
        lastReadSequence: undefined,
        checkpoint: undefined,
        caughtUpSince: Number.NEGATIVE_INFINITY,
        inFlight: false,
        lastGetRecordsAt: 0,
      };
      shards.set(shardId, state);
      const loop = runShard(state).finally(() => loops.delete(loop));
      loops.add(loop);
    }
  };

  const supervise = async () => {
    let initial = true;
    let backoff = 250;
    while (!stopping.signal.aborted) {
      try {
        const found = await listShards();
        // Children of shards that finished meanwhile are adopted on a later listing.
        adoptShards(found, initial);
        initial = false;
        listedOnce = true;
        listError = undefined;
        backoff = 250;
        const waitingChildren = found.some((s) => s.ShardId !== undefined && !shards.has(s.ShardId));
        await sleep(waitingChildren ? Math.min(1_000, pollIntervalMs) : LIST_SHARDS_INTERVAL_MS);
      } catch (error) {
        listError = error;
        counters.pollErrors++;
        log(`ListShards on ${streamName}: ${errorText(error)}`);
        await sleep(backoff);
        backoff = Math.min(5_000, backoff * 2);
      }
    }
  };
  const supervisor = supervise();

  let stoppingPromise: Promise<void> | undefined;
  return {
    uuid,
    eventSourceArn: settings.eventSourceArn,
    streamArn,
    functionArn: settings.functionArn,
    counters,
    warnings,
    shards: () =>
      [...shards.values()].map((s) => ({
        shardId: s.shardId,
        ...(s.checkpoint === undefined ? {} : { checkpoint: s.checkpoint }),
        buffered: s.buffer.length,
        inFlight: s.inFlight,
        done: s.done,
      })),
    async ready(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!(listedOnce && [...shards.values()].every((s) => s.started || s.done))) {
        if (stopping.signal.aborted) throw new Error(`mapping ${uuid} was stopped before it was ready`);
        if (Date.now() > deadline) {
          const why = listError === undefined ? '' : `: ${errorText(listError)}`;
          throw new Error(`mapping ${uuid} found no iterator for every shard within ${timeoutMs} ms${why}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async drain(timeoutMs = 60_000) {
      const since = Date.now();
      const deadline = since + timeoutMs;
      for (;;) {
        const busy = [...shards.values()].filter(
          (s) => !s.done && (s.inFlight || s.buffer.length > 0 || s.caughtUpSince < since),
        );
        if (listedOnce && busy.length === 0) return;
        if (stopping.signal.aborted) throw new Error(`mapping ${uuid} was stopped before it drained`);
        if (Date.now() > deadline) {
          const what = listedOnce
            ? busy
                .map(
                  (s) => `${s.shardId} (${s.inFlight ? 'batch in flight' : `${s.buffer.length} buffered`})`,
                )
                .join(', ')
            : `no shard listed yet${listError === undefined ? '' : `: ${errorText(listError)}`}`;
          throw new Error(`mapping ${uuid} did not drain within ${timeoutMs} ms: ${what}`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    stop() {
      stoppingPromise ??= (async () => {
        stopping.abort();
        await supervisor;
        await Promise.all([...loops]);
        if (ownClient) kinesis.destroy();
      })();
      return stoppingPromise;
    },
  };
}

function clampInteger(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.floor(value)));
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
