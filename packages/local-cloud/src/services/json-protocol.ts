/**
 * The AWS JSON protocols (1.0 and 1.1): `POST /` with `X-Amz-Target: <prefix>.<Operation>` and a JSON body;
 * errors as `{ "__type": code, "message" }` with `x-amzn-errortype`. Bad JSON or an unknown operation gets a
 * 400 naming it; only a bug of ours gets a 500.
 */

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJson } from '../http-server.js';
import { AwsApiError, messageOf } from './aws-errors.js';

export type JsonObject = Record<string, unknown>;
export type Operation = (input: JsonObject) => unknown | Promise<unknown>;

export interface JsonProtocolOptions {
  /** `Logs_20140328.` */
  targetPrefix: string;
  /** `application/x-amz-json-1.1` */
  contentType: string;
  operations: Readonly<Record<string, Operation>>;
  /** @default 16 MiB */
  maxRequestBytes?: number;
  /** Extra headers on every answer (e.g. `x-amzn-query-mode` answers). */
  errorHeaders?: (error: AwsApiError) => Record<string, string>;
  onInternalError?: (message: string) => void;
}

/** Answers one request with `operations`; the input was already read when `body` is given. */
export function jsonProtocolHandler(options: JsonProtocolOptions) {
  const limit = options.maxRequestBytes ?? 16 * 1024 * 1024;
  return async (req: IncomingMessage, res: ServerResponse, body?: Buffer): Promise<void> => {
    const requestId = randomUUID();
    const headers = { 'content-type': options.contentType, 'x-amzn-requestid': requestId };
    try {
      const bytes = body ?? (await readBody(req, limit));
      if (bytes === undefined)
        throw new AwsApiError('SerializationException', `The request is larger than ${limit} bytes.`, 413);
      const target = String(req.headers['x-amz-target'] ?? '');
      const name = target.startsWith(options.targetPrefix) ? target.slice(options.targetPrefix.length) : '';
      const operation = Object.hasOwn(options.operations, name) ? options.operations[name] : undefined;
      if (operation === undefined) {
        throw new AwsApiError(
          'UnknownOperationException',
          `${target || '(no X-Amz-Target)'} is not an operation the local cloud serves ` +
            `(${Object.keys(options.operations).join(', ')})`,
        );
      }
      let input: unknown;
      try {
        input = bytes.length === 0 ? {} : JSON.parse(bytes.toString('utf8'));
      } catch {
        throw new AwsApiError('SerializationException', 'The request body is not JSON.');
      }
      if (input === null || typeof input !== 'object' || Array.isArray(input))
        throw new AwsApiError('SerializationException', 'The request body is not a JSON object.');
      const output = await operation(input as JsonObject);
      sendJson(res, 200, output ?? {}, headers);
    } catch (error) {
      const apiError =
        error instanceof AwsApiError ? error : new AwsApiError('InternalFailure', messageOf(error), 500);
      if (apiError.statusCode >= 500) options.onInternalError?.(apiError.message);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendJson(
        res,
        apiError.statusCode,
        { __type: apiError.code, message: apiError.message },
        { ...headers, 'x-amzn-errortype': apiError.code, ...options.errorHeaders?.(apiError) },
      );
    }
  };
}

/** Reads an input member: a string (or undefined), else a 400 naming it. */
export function optionalString(input: JsonObject, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw validation(name, value, 'a string');
  return value;
}

export function requiredString(input: JsonObject, name: string): string {
  const value = optionalString(input, name);
  if (value === undefined || value === '')
    throw new AwsApiError(
      'InvalidParameterException',
      `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`,
    );
  return value;
}

export function optionalNumber(input: JsonObject, name: string): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw validation(name, value, 'a number');
  return value;
}

function validation(name: string, value: unknown, what: string): AwsApiError {
  return new AwsApiError(
    'InvalidParameterException',
    `${name} must be ${what} (got ${JSON.stringify(value)})`,
  );
}
