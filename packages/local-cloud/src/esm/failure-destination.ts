/**
 * The on-failure record of a discarded batch, and the destinations it goes to: S3 (with the event as
 * `payload`, under Lambda's key layout), SQS (as the message body), SNS (as the message).
 */

import { randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { InvokeOutcome } from '../lambda-runtime.js';
import { errorText } from './errors.js';
import { eventOf, type KinesisEvent } from './kinesis-event.js';
import type { MappingCounters, Rec, ShardState } from './types.js';

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

/** What discarding needs from the mapping. */
export interface DiscardContext {
  uuid: string;
  functionArn: string;
  streamArn: string;
  onFailure: FailureDestination | undefined;
  counters: MappingCounters;
  log(line: string): void;
}

/** Records a discarded run of records at the on-failure destination (or drops it), and moves the checkpoint. */
export async function discard(
  context: DiscardContext,
  shard: ShardState,
  records: readonly Rec[],
  condition: StreamInvocationRecord['requestContext']['condition'],
  invokeCount: number,
  last: InvokeOutcome | undefined,
): Promise<void> {
  const { uuid, streamArn, counters, log } = context;
  const first = records[0] as Rec;
  const lastRecord = records.at(-1) as Rec;
  const record: StreamInvocationRecord = {
    requestContext: {
      requestId: last?.requestId ?? randomUUID(),
      functionArn: context.functionArn,
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
  if (context.onFailure === undefined) {
    counters.recordsDropped += records.length;
    log(`${shard.shardId}: ${records.length} record(s) discarded (${condition}), no on-failure destination`);
    return;
  }
  try {
    await context.onFailure.send(record, eventOf(records), uuid);
    counters.failuresToDestination++;
    counters.recordsToDestination += records.length;
    log(`${shard.shardId}: ${records.length} record(s) sent to ${context.onFailure.arn} (${condition})`);
  } catch (error) {
    counters.destinationErrors++;
    counters.recordsDropped += records.length;
    log(
      `${shard.shardId}: could not record a discarded batch at ${context.onFailure.arn}: ${errorText(error)}`,
    );
  }
}
