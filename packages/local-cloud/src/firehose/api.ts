/** Firehose's JSON protocol (`X-Amz-Target: Firehose_20150804.<Operation>`): the request handlers. */

import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJson } from '../http-server.js';
import type { DeliveryStream } from './buffer.js';
import { MIB } from './config.js';
import { FirehoseApiError, invalidArgument, validation } from './errors.js';
import { STREAM_VERSION } from './key-layout.js';
import { isObject, type Json, numberAt, stringAt } from './values.js';

const TARGET_PREFIX = 'Firehose_20150804.';
const MAX_BATCH_RECORDS = 500;
const MAX_BATCH_BYTES = 4 * MIB;
const MAX_RECORD_BYTES = 1_024_000;
/** The HTTP body of one call: 4 MiB of data in base64, plus the JSON around it. */
const MAX_REQUEST_BYTES = 8 * MIB;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** What the handlers act on: the emulator's streams. */
export interface FirehoseApiHost {
  isStopping(): boolean;
  readonly streams: ReadonlyMap<string, DeliveryStream>;
  /** The named live stream (or one being deleted, with `orDeleting`), or a ResourceNotFoundException. */
  stream(name: unknown, orDeleting?: boolean): DeliveryStream;
  /** Creates a stream from CreateDeliveryStream's input; returns its ARN. */
  create(input: Json): string;
  /** Deletes a stream: DELETING until what it holds is delivered, then gone. Again on a DELETING one: nothing. */
  remove(stream: DeliveryStream): void;
  log(line: string): void;
}

/** Answers one HTTP request to the Firehose API. */
export async function handleRequest(
  host: FirehoseApiHost,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const requestId = randomUUID();
  try {
    const target = req.headers['x-amz-target'];
    const operation =
      typeof target === 'string' && target.startsWith(TARGET_PREFIX)
        ? target.slice(TARGET_PREFIX.length)
        : '';
    const body = (await readBody(req, MAX_REQUEST_BYTES, () =>
      invalidArgument(`The request is larger than ${MAX_REQUEST_BYTES} bytes.`),
    )) as Buffer;
    if (req.method !== 'POST' || operation === '') {
      throw new FirehoseApiError('UnknownOperationException', `Unknown operation ${String(target ?? '')}`);
    }
    let input: unknown;
    try {
      input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      throw new FirehoseApiError('SerializationException', 'The request body is not JSON.');
    }
    if (!isObject(input))
      throw new FirehoseApiError('SerializationException', 'The request body is not a JSON object.');
    const output = call(host, operation, input);
    send(res, 200, output, requestId);
  } catch (error) {
    if (error instanceof FirehoseApiError) {
      send(res, error.statusCode, { __type: error.type, message: error.message }, requestId, error.type);
    } else {
      const message = error instanceof Error ? error.message : String(error);
      host.log(`internal error: ${message}`);
      send(res, 500, { __type: 'InternalFailure', message }, requestId, 'InternalFailure');
    }
  }
}

function call(host: FirehoseApiHost, operation: string, input: Json): Json {
  if (host.isStopping())
    throw new FirehoseApiError('ServiceUnavailableException', 'The local Firehose is stopping.', 503);
  switch (operation) {
    case 'CreateDeliveryStream':
      return { DeliveryStreamARN: host.create(input) };
    case 'DescribeDeliveryStream':
      return { DeliveryStreamDescription: describeStream(host.stream(input.DeliveryStreamName, true)) };
    case 'ListDeliveryStreams':
      return list(host, input);
    case 'DeleteDeliveryStream': {
      host.remove(host.stream(input.DeliveryStreamName, true));
      return {};
    }
    case 'PutRecord':
      return putRecord(host, input);
    case 'PutRecordBatch':
      return putRecordBatch(host, input);
    default:
      throw new FirehoseApiError(
        'UnknownOperationException',
        `${operation} is not emulated by the local Firehose (CreateDeliveryStream, DescribeDeliveryStream, ` +
          'ListDeliveryStreams, DeleteDeliveryStream, PutRecord, PutRecordBatch).',
      );
  }
}

function describeStream(stream: DeliveryStream): Json {
  const destination = stream.config.description;
  const s3Description = Object.fromEntries(
    [
      'RoleARN',
      'BucketARN',
      'Prefix',
      'ErrorOutputPrefix',
      'BufferingHints',
      'CompressionFormat',
      'EncryptionConfiguration',
      'CloudWatchLoggingOptions',
    ]
      .filter((key) => destination[key] !== undefined)
      .map((key) => [key, destination[key]]),
  );
  return {
    DeliveryStreamName: stream.name,
    DeliveryStreamARN: stream.arn,
    DeliveryStreamStatus: stream.deleted ? 'DELETING' : 'ACTIVE',
    DeliveryStreamType: stream.type,
    ...(stream.encryption
      ? {
          DeliveryStreamEncryptionConfiguration: {
            ...(stream.encryption.KeyARN === undefined ? {} : { KeyARN: stream.encryption.KeyARN }),
            KeyType: stream.encryption.KeyType ?? 'AWS_OWNED_CMK',
            Status: 'ENABLED',
          },
        }
      : { DeliveryStreamEncryptionConfiguration: { Status: 'DISABLED' } }),
    VersionId: String(STREAM_VERSION),
    CreateTimestamp: stream.createdAt / 1000,
    Destinations: [
      stream.config.iceberg
        ? { DestinationId: 'destinationId-000000000001', IcebergDestinationDescription: destination }
        : {
            DestinationId: 'destinationId-000000000001',
            S3DestinationDescription: s3Description,
            ExtendedS3DestinationDescription: destination,
          },
    ],
    HasMoreDestinations: false,
  };
}

function list(host: FirehoseApiHost, input: Json): Json {
  const limit = numberAt(input.Limit, 'Limit', 1, 10_000) ?? 10;
  const type = stringAt(input.DeliveryStreamType, 'DeliveryStreamType');
  const after = stringAt(input.ExclusiveStartDeliveryStreamName, 'ExclusiveStartDeliveryStreamName');
  const names = [...host.streams.values()]
    .filter((s) => type === undefined || s.type === type)
    .map((s) => s.name)
    .sort()
    .filter((name) => after === undefined || name > after);
  return { DeliveryStreamNames: names.slice(0, limit), HasMoreDeliveryStreams: names.length > limit };
}

function putRecord(host: FirehoseApiHost, input: Json): Json {
  const stream = host.stream(input.DeliveryStreamName);
  const data = recordData(input.Record, 'record');
  if (!stream.admit(data.length)) {
    throw new FirehoseApiError('ServiceUnavailableException', 'Slow down.', 503);
  }
  stream.accept(data, Date.now());
  return { RecordId: recordIds(1)[0], Encrypted: stream.encryption !== undefined };
}

function putRecordBatch(host: FirehoseApiHost, input: Json): Json {
  const stream = host.stream(input.DeliveryStreamName);
  const records = input.Records;
  if (!Array.isArray(records) || records.length === 0 || records.length > MAX_BATCH_RECORDS) {
    throw validation(
      `1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have length ` +
        `less than or equal to ${MAX_BATCH_RECORDS} and greater than or equal to 1 (got ${Array.isArray(records) ? records.length : 'none'})`,
    );
  }
  const data = records.map((record, i) => recordData(record, `records.${i + 1}.member`));
  const total = data.reduce((sum, d) => sum + d.length, 0);
  if (total > MAX_BATCH_BYTES) {
    throw invalidArgument(`Records size exceeds 4 MiB limit: the batch holds ${total} bytes of data.`);
  }
  const arrivalMs = Date.now();
  const ids = recordIds(data.length);
  let failed = 0;
  const responses = data.map((d, i) => {
    if (!stream.admit(d.length)) {
      failed++;
      return { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' };
    }
    stream.accept(d, arrivalMs);
    return { RecordId: ids[i] };
  });
  return {
    FailedPutCount: failed,
    Encrypted: stream.encryption !== undefined,
    RequestResponses: responses,
  };
}

function recordData(record: unknown, where: string): Buffer {
  const data = isObject(record) ? record.Data : undefined;
  if (typeof data !== 'string') {
    throw validation(
      `1 validation error detected: Value null at '${where}.data' failed to satisfy constraint: Member must not be null`,
    );
  }
  if (data.length % 4 !== 0 || !BASE64.test(data)) {
    throw new FirehoseApiError('SerializationException', `${where}.Data is not valid base64.`);
  }
  const bytes = Buffer.from(data, 'base64');
  if (bytes.length > MAX_RECORD_BYTES) {
    throw validation(
      `1 validation error detected: Value at '${where}.data' failed to satisfy constraint: Member must have ` +
        `length less than or equal to ${MAX_RECORD_BYTES} (got ${bytes.length})`,
    );
  }
  return bytes;
}

/** Record ids look like AWS's: long opaque base64 strings. */
function recordIds(n: number): string[] {
  const random = randomBytes(n * 96);
  return Array.from({ length: n }, (_, i) => random.subarray(i * 96, (i + 1) * 96).toString('base64'));
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  requestId: string,
  errorType?: string,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, body, {
    'content-type': 'application/x-amz-json-1.1',
    'x-amzn-requestid': requestId,
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
}
