/**
 * The local CloudWatch metrics on the three wire protocols CloudWatch clients use:
 * - the query protocol (form POST, XML answers): the AWS CLI v2 up to 2.2x (Debian's 2.9), the SDK for
 *   JavaScript v2, older SDKs;
 * - AWS JSON 1.0 (`X-Amz-Target: GraniteServiceVersion20100801.<Op>`, with query-compatible error codes in
 *   `x-amzn-query-error`): the AWS SDK for JavaScript v3;
 * - Smithy RPC v2 CBOR (`POST /service/GraniteServiceVersion20100801/operation/<Op>`): the AWS CLI v1.4x
 *   (botocore) and current CLI v2 releases.
 * Metrics come from PutMetricData and from the EMF lines functions log (`ingestLogLine`).
 */

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { cbor, dateToTag } from '@smithy/core/cbor';
import { readBody } from '../http-server.js';
import { AwsApiError, messageOf } from '../services/aws-errors.js';
import { decodeQueryParams, queryErrorXml, queryResponseXml } from '../services/query-protocol.js';
import { API_OWNER } from './alarm-api.js';
import { LocalAlarms, type PublishToTopic, samplesOfStore } from './alarms.js';
import { type CloudWatchOperation, cloudWatchOperations } from './api.js';
import { samplesOfEmfLine } from './emf.js';
import { DEFAULT_MAX_SAMPLES_PER_METRIC, MetricStore } from './metric-store.js';
import { type ServiceMetrics, serviceMetricsInto } from './service-metrics.js';

export const CLOUDWATCH_TARGET_PREFIX = 'GraniteServiceVersion20100801.';
const CBOR_PATH = '/service/GraniteServiceVersion20100801/operation/';
const XMLNS = 'http://monitoring.amazonaws.com/doc/2010-08-01/';
const MAX_REQUEST_BYTES = 1024 * 1024;

/** The query-protocol error codes, with the error shape names the JSON and CBOR protocols answer. */
const ERROR_SHAPES: Readonly<Record<string, string>> = {
  InvalidParameterValue: 'InvalidParameterValueException',
  MissingParameter: 'MissingRequiredParameterException',
  InvalidParameterCombination: 'InvalidParameterCombinationException',
  InternalFailure: 'InternalServiceFault',
  InvalidAction: 'InvalidAction',
  SerializationException: 'SerializationException',
};

export interface CloudWatchService {
  readonly store: MetricStore;
  /** This service's alarms, judged on its store's metrics: those put through its API and its cloud's stacks'. */
  readonly alarms: LocalAlarms;
  /** Where its cloud's parts publish the metrics AWS services publish (AWS/Lambda, AWS/Firehose...): its store. */
  readonly serviceMetrics: ServiceMetrics;
  /** Turns an EMF log line into metrics (other lines are ignored). */
  ingestLogLine(line: string, timestamp: number): void;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Removes the alarms put through this service's API (their evaluation stops). */
  stop(): void;
}

export interface CloudWatchServiceOptions {
  maxSamplesPerMetric?: number;
  onInternalError?: (message: string) => void;
  /** @default 'us-east-1' */
  region?: string;
  /** @default '000000000000' */
  accountId?: string;
  /** How alarms put through the API notify their SNS actions; without it, a publication fails with a log line. */
  publish?: PublishToTopic;
  /** Lines of the alarms put through the API (evaluation errors, actions not run). */
  onAlarmLog?: (line: string) => void;
}

export function createCloudWatchService(options: CloudWatchServiceOptions = {}): CloudWatchService {
  const store = new MetricStore(options.maxSamplesPerMetric ?? DEFAULT_MAX_SAMPLES_PER_METRIC);
  const alarms = new LocalAlarms(samplesOfStore(store));
  // Its own owner name: replacing an alarm another service put is allowed, but each removes only its own on stop.
  const alarmOwner = `${API_OWNER} (${randomUUID()})`;
  const operations = cloudWatchOperations(
    store,
    {
      owner: alarmOwner,
      region: options.region ?? 'us-east-1',
      accountId: options.accountId ?? '000000000000',
      publish:
        options.publish ??
        (async (topicArn) => {
          throw new Error(
            `no SNS to publish to ${topicArn} (the CloudWatch service was started without one)`,
          );
        }),
      onLog: options.onAlarmLog ?? (() => {}),
    },
    alarms,
  );
  const operation = (name: string): CloudWatchOperation => {
    const found = Object.hasOwn(operations, name) ? operations[name] : undefined;
    if (found === undefined) {
      throw new AwsApiError(
        'InvalidAction',
        `The action ${name || '(none)'} is not valid for this web service: the local CloudWatch serves ${Object.keys(operations).join(', ')}.`,
      );
    }
    return found;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const target = String(req.headers['x-amz-target'] ?? '');
    const protocol = url.pathname.startsWith(CBOR_PATH) ? 'cbor' : target !== '' ? 'json' : 'query';
    try {
      const body = await readBody(req, MAX_REQUEST_BYTES);
      if (body === undefined)
        throw new AwsApiError(
          'InvalidParameterValue',
          `The request is larger than ${MAX_REQUEST_BYTES} bytes.`,
          413,
        );
      if (protocol === 'cbor') {
        const name = url.pathname.slice(CBOR_PATH.length);
        const input = body.length === 0 ? {} : (cbor.deserialize(body) as Record<string, unknown>);
        const output = await operation(name)(input ?? {});
        const bytes = cbor.serialize(forCbor(output ?? {}));
        res.writeHead(200, {
          'content-type': 'application/cbor',
          'smithy-protocol': 'rpc-v2-cbor',
          'x-amzn-requestid': requestId,
          'content-length': bytes.byteLength,
        });
        res.end(bytes);
      } else if (protocol === 'json') {
        const name = target.startsWith(CLOUDWATCH_TARGET_PREFIX)
          ? target.slice(CLOUDWATCH_TARGET_PREFIX.length)
          : '';
        let input: unknown;
        try {
          input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
        } catch {
          throw new AwsApiError('SerializationException', 'The request body is not JSON.');
        }
        const output = await operation(name)((input ?? {}) as Record<string, unknown>);
        const text = JSON.stringify(forJson(output ?? {}));
        res.writeHead(200, {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-requestid': requestId,
          'content-length': Buffer.byteLength(text),
        });
        res.end(text);
      } else {
        const params = new URLSearchParams(req.method === 'GET' ? url.search : body.toString('utf8'));
        const name = params.get('Action') ?? '';
        const output = await operation(name)(decodeQueryParams(params));
        const xml = queryResponseXml(name, XMLNS, (output ?? {}) as Record<string, unknown>, requestId);
        res.writeHead(200, {
          'content-type': 'text/xml',
          'x-amzn-requestid': requestId,
          'content-length': Buffer.byteLength(xml),
        });
        res.end(xml);
      }
    } catch (error) {
      const apiError =
        error instanceof AwsApiError ? error : new AwsApiError('InternalFailure', messageOf(error), 500);
      if (apiError.statusCode >= 500) options.onInternalError?.(apiError.message);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const type = apiError.statusCode >= 500 ? 'Receiver' : 'Sender';
      const shape = ERROR_SHAPES[apiError.code] ?? apiError.code;
      const headers = { 'x-amzn-requestid': requestId, 'x-amzn-query-error': `${apiError.code};${type}` };
      if (protocol === 'query') {
        const xml = queryErrorXml(XMLNS, apiError.code, apiError.message, requestId, type);
        res.writeHead(apiError.statusCode, { ...headers, 'content-type': 'text/xml' });
        res.end(xml);
      } else if (protocol === 'cbor') {
        const bytes = cbor.serialize({
          __type: `com.amazonaws.cloudwatch#${shape}`,
          message: apiError.message,
        });
        res.writeHead(apiError.statusCode, {
          ...headers,
          'content-type': 'application/cbor',
          'smithy-protocol': 'rpc-v2-cbor',
        });
        res.end(bytes);
      } else {
        res.writeHead(apiError.statusCode, {
          ...headers,
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-errortype': shape,
        });
        res.end(JSON.stringify({ __type: `com.amazonaws.cloudwatch#${shape}`, message: apiError.message }));
      }
    }
  };

  return {
    store,
    alarms,
    serviceMetrics: serviceMetricsInto(store),
    ingestLogLine(line, timestamp) {
      for (const s of samplesOfEmfLine(line, timestamp))
        store.put(s.namespace, s.metricName, s.dimensions, s.sample);
    },
    handle,
    stop: () => alarms.removeOwnedBy(alarmOwner),
  };
}

function forJson(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (value instanceof Map) return Object.fromEntries([...value.entries()].map(([k, v]) => [k, forJson(v)]));
  if (Array.isArray(value)) return value.map(forJson);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, forJson(v)]));
  return value;
}

function forCbor(value: unknown): unknown {
  if (value instanceof Date) return dateToTag(value);
  if (value instanceof Map) return Object.fromEntries([...value.entries()].map(([k, v]) => [k, forCbor(v)]));
  if (Array.isArray(value)) return value.map(forCbor);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, forCbor(v)]));
  return value;
}
