/**
 * Lambda's REST-JSON API (signing name `lambda`, paths `/2015-03-31/...`) over a LambdaRegistry: Invoke
 * (RequestResponse, Event, DryRun; `LogType: Tail`), ListFunctions, GetFunction, GetFunctionConfiguration,
 * ListEventSourceMappings, GetEventSourceMapping, UpdateEventSourceMapping. Errors as Lambda answers them:
 * `x-amzn-ErrorType` and `{ "Type": "User", "Message" }`.
 */

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pathToFileURL } from 'node:url';
import { readBody } from '../http-server.js';
import { MAX_PAYLOAD_BYTES } from '../lambda-runtime.js';
import { AwsApiError, messageOf } from '../services/aws-errors.js';
import { findFunction, functionNameOf, type LambdaRegistry } from './registry.js';
import { functionConfiguration, mappingConfiguration } from './shapes.js';

/** The tail `LogType: Tail` returns. */
const LOG_TAIL_BYTES = 4 * 1024;
const DEFAULT_MAX_ITEMS = 50;

export interface LambdaApiOptions {
  registry: LambdaRegistry;
  region?: string;
  accountId?: string;
  /** An asynchronous invocation's failure (Event invocations have nobody to answer). */
  onLog?: (line: string) => void;
}

type Route = {
  method: string;
  pattern: RegExp;
  run: (match: RegExpExecArray, req: IncomingMessage, url: URL, body: Buffer) => Promise<Reply> | Reply;
};
interface Reply {
  status: number;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

export function createLambdaApi(
  options: LambdaApiOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const { registry } = options;

  const functionOf = (raw: string) => {
    const name = decodeURIComponent(raw);
    const fn = findFunction(registry, name);
    if (fn === undefined) {
      const arn = name.startsWith('arn:')
        ? name
        : `arn:aws:lambda:${region}:${accountId}:function:${functionNameOf(name)}`;
      throw new AwsApiError('ResourceNotFoundException', `Function not found: ${arn}`, 404);
    }
    return fn;
  };
  const mappingOf = (uuid: string) => {
    for (const mapping of registry.mappings()) if (mapping.uuid === uuid) return mapping;
    throw new AwsApiError(
      'ResourceNotFoundException',
      `The resource you requested does not exist. (Service: Lambda, Status Code: 404, Request ID: ${randomUUID()}) UUID: ${uuid}`,
      404,
    );
  };
  const page = <T>(items: T[], url: URL) => {
    const max = Number(url.searchParams.get('MaxItems') ?? DEFAULT_MAX_ITEMS);
    if (!Number.isInteger(max) || max < 1 || max > 10_000) {
      throw new AwsApiError(
        'InvalidParameterValueException',
        `MaxItems must be 1 to 10000 (got ${url.searchParams.get('MaxItems')})`,
      );
    }
    const marker = url.searchParams.get('Marker');
    const start = marker === null ? 0 : Number(marker);
    if (!Number.isInteger(start) || start < 0)
      throw new AwsApiError('InvalidParameterValueException', `Invalid Marker ${marker}`);
    return {
      items: items.slice(start, start + max),
      next: start + max < items.length ? String(start + max) : undefined,
    };
  };

  const routes: Route[] = [
    {
      method: 'GET',
      pattern: /^\/2015-03-31\/functions\/?$/,
      run: (_m, _req, url) => {
        const all = [...registry.functions()].sort((a, b) => (a.functionName < b.functionName ? -1 : 1));
        const { items, next } = page(all, url);
        return {
          status: 200,
          body: { Functions: items.map(functionConfiguration), ...(next ? { NextMarker: next } : {}) },
        };
      },
    },
    {
      method: 'GET',
      pattern: /^\/2015-03-31\/functions\/([^/]+)\/configuration\/?$/,
      run: (m) => ({ status: 200, body: functionConfiguration(functionOf(m[1] as string)) }),
    },
    {
      method: 'GET',
      pattern: /^\/2015-03-31\/functions\/([^/]+)\/?$/,
      run: (m) => {
        const fn = functionOf(m[1] as string);
        return {
          status: 200,
          body: {
            Configuration: functionConfiguration(fn),
            // The code is a folder on this machine, not a zip in S3: its file URL stands for the download link.
            Code: { RepositoryType: 'S3', Location: pathToFileURL(fn.config.codeDir).href },
            Tags: {},
          },
        };
      },
    },
    {
      method: 'POST',
      pattern: /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/,
      run: (m, req, _url, body) => invoke(m[1] as string, req, body),
    },
    {
      method: 'GET',
      pattern: /^\/2015-03-31\/event-source-mappings\/?$/,
      run: (_m, _req, url) => {
        const functionName = url.searchParams.get('FunctionName');
        const sourceArn = url.searchParams.get('EventSourceArn');
        const fnArn = functionName === null ? undefined : functionOf(functionName).functionArn;
        const all = [...registry.mappings()].filter(
          (mapping) =>
            (fnArn === undefined || mapping.functionArn === fnArn) &&
            (sourceArn === null || mapping.eventSourceArn === sourceArn),
        );
        const { items, next } = page(all, url);
        return {
          status: 200,
          body: {
            EventSourceMappings: items.map((mapping) => mappingConfiguration(mapping, region, accountId)),
            ...(next ? { NextMarker: next } : {}),
          },
        };
      },
    },
    {
      method: 'GET',
      pattern: /^\/2015-03-31\/event-source-mappings\/([^/]+)\/?$/,
      run: (m) => ({
        status: 200,
        body: mappingConfiguration(mappingOf(decodeURIComponent(m[1] as string)), region, accountId),
      }),
    },
    {
      method: 'PUT',
      pattern: /^\/2015-03-31\/event-source-mappings\/([^/]+)\/?$/,
      run: async (m, _req, _url, body) => {
        const mapping = mappingOf(decodeURIComponent(m[1] as string));
        const input = jsonObject(body);
        if (input.FunctionName !== undefined) {
          const fn = functionOf(String(input.FunctionName));
          if (fn.functionArn !== mapping.functionArn) {
            throw new AwsApiError(
              'InvalidParameterValueException',
              'Changing the function of a mapping is not supported locally.',
            );
          }
        }
        const unsupported = [
          'FilterCriteria',
          'TumblingWindowInSeconds',
          'ScalingConfig',
          'DestinationConfig',
          'ParallelizationFactor',
        ].filter((key) => input[key] !== undefined);
        if (unsupported.length > 0) {
          throw new AwsApiError(
            'InvalidParameterValueException',
            `Not supported locally by UpdateEventSourceMapping: ${unsupported.join(', ')}`,
          );
        }
        const batchSize = optionalInteger(input, 'BatchSize', 1, 10_000);
        const window = optionalInteger(input, 'MaximumBatchingWindowInSeconds', 0, 300);
        const retries = optionalInteger(input, 'MaximumRetryAttempts', -1, 10_000);
        const age = optionalInteger(input, 'MaximumRecordAgeInSeconds', -1, 604_800);
        if (input.Enabled !== undefined && typeof input.Enabled !== 'boolean') {
          throw new AwsApiError(
            'InvalidParameterValueException',
            `Enabled must be true or false (got ${JSON.stringify(input.Enabled)})`,
          );
        }
        await mapping.update({
          ...(input.Enabled === undefined ? {} : { enabled: input.Enabled as boolean }),
          ...(batchSize === undefined ? {} : { batchSize }),
          ...(window === undefined ? {} : { maximumBatchingWindowInSeconds: window }),
          ...(retries === undefined ? {} : { maximumRetryAttempts: retries }),
          ...(age === undefined ? {} : { maximumRecordAgeInSeconds: age }),
          ...(typeof input.BisectBatchOnFunctionError === 'boolean'
            ? { bisectBatchOnFunctionError: input.BisectBatchOnFunctionError }
            : {}),
          ...(Array.isArray(input.FunctionResponseTypes)
            ? { functionResponseTypes: input.FunctionResponseTypes.map(String) }
            : {}),
        });
        return { status: 202, body: mappingConfiguration(mapping, region, accountId) };
      },
    },
  ];

  const invoke = async (rawName: string, req: IncomingMessage, body: Buffer): Promise<Reply> => {
    const fn = functionOf(rawName);
    const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (!['RequestResponse', 'Event', 'DryRun'].includes(type)) {
      throw new AwsApiError(
        'InvalidParameterValueException',
        `Invalid InvocationType ${type}: RequestResponse, Event or DryRun`,
      );
    }
    if (body.length > MAX_PAYLOAD_BYTES || (type === 'Event' && body.length > 256 * 1024)) {
      const limit = type === 'Event' ? 256 * 1024 : MAX_PAYLOAD_BYTES;
      throw new AwsApiError(
        'RequestTooLargeException',
        `Request must be smaller than ${limit} bytes for the InvokeFunction operation`,
        413,
      );
    }
    let event: unknown = null;
    if (body.length > 0) {
      try {
        event = JSON.parse(body.toString('utf8'));
      } catch {
        throw new AwsApiError(
          'InvalidRequestContentException',
          'Could not parse request body into json: the payload is not JSON',
        );
      }
    }
    if (type === 'DryRun') return { status: 204 };
    if (type === 'Event') {
      // Lambda queues the event and answers at once; the function runs in the background.
      void fn.invoke(event).then(
        (outcome) => {
          if (!outcome.ok)
            options.onLog?.(
              `async invocation of ${fn.functionName} failed: ${outcome.error.errorType}: ${outcome.error.errorMessage}`,
            );
        },
        (error: unknown) =>
          options.onLog?.(`async invocation of ${fn.functionName} failed: ${messageOf(error)}`),
      );
      return { status: 202, raw: '' };
    }
    const outcome = await fn.invoke(event);
    if (!outcome.ok && outcome.error.errorType === 'ResourceNotFoundException') {
      throw new AwsApiError('ResourceNotFoundException', outcome.error.errorMessage, 404);
    }
    const headers: Record<string, string> = { 'x-amz-executed-version': '$LATEST' };
    if (String(req.headers['x-amz-log-type'] ?? 'None') === 'Tail') {
      const log = Buffer.from(`${(outcome.logLines ?? []).join('\n')}\n`);
      headers['x-amz-log-result'] = log.subarray(Math.max(0, log.length - LOG_TAIL_BYTES)).toString('base64');
    }
    if (outcome.ok) return { status: 200, raw: JSON.stringify(outcome.payload) ?? 'null', headers };
    headers['x-amz-function-error'] = outcome.functionError;
    return { status: 200, raw: JSON.stringify(outcome.error), headers };
  };

  return async (req, res) => {
    const requestId = randomUUID();
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const body = await readBody(req, MAX_PAYLOAD_BYTES + 1024);
      if (body === undefined) {
        throw new AwsApiError(
          'RequestTooLargeException',
          `Request must be smaller than ${MAX_PAYLOAD_BYTES} bytes for the InvokeFunction operation`,
          413,
        );
      }
      let reply: Reply | undefined;
      let pathKnown = false;
      for (const route of routes) {
        const match = route.pattern.exec(url.pathname);
        if (match === null) continue;
        pathKnown = true;
        if (route.method !== req.method) continue;
        reply = await route.run(match, req, url, body);
        break;
      }
      if (reply === undefined) {
        throw new AwsApiError(
          pathKnown ? 'MethodNotAllowedException' : 'UnknownOperationException',
          `${req.method} ${url.pathname} is not a Lambda operation the local cloud serves (Invoke, ListFunctions, GetFunction, ` +
            'GetFunctionConfiguration, ListEventSourceMappings, GetEventSourceMapping, UpdateEventSourceMapping)',
          pathKnown ? 405 : 404,
        );
      }
      const text = reply.raw ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
      res.writeHead(reply.status, {
        ...(text === '' ? {} : { 'content-type': 'application/json' }),
        'x-amzn-requestid': requestId,
        ...reply.headers,
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
    } catch (error) {
      const apiError =
        error instanceof AwsApiError ? error : new AwsApiError('ServiceException', messageOf(error), 500);
      if (apiError.statusCode >= 500) options.onLog?.(`internal error: ${apiError.message}`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const text = JSON.stringify({
        Type: apiError.statusCode >= 500 ? 'Service' : 'User',
        Message: apiError.message,
        message: apiError.message,
      });
      res.writeHead(apiError.statusCode, {
        'content-type': 'application/json',
        'x-amzn-requestid': requestId,
        'x-amzn-errortype': apiError.code,
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
    }
  };
}

function jsonObject(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new AwsApiError('InvalidRequestContentException', 'Could not parse request body into json');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AwsApiError('InvalidRequestContentException', 'The request body is not a JSON object');
  }
  return value as Record<string, unknown>;
}

function optionalInteger(
  input: Record<string, unknown>,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new AwsApiError(
      'InvalidParameterValueException',
      `${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`,
    );
  }
  return value;
}
