/**
 * The endpoint's front for DynamoDB calls (`X-Amz-Target: DynamoDB_20120810.*`): passes each call to DynamoDB
 * Local and tells `onCall` what happened, so the cloud publishes DynamoDB's CloudWatch metrics (call-metrics.ts).
 *
 * - ConsumedCapacity: DynamoDB Local reports it only when asked, so a call that did not ask
 *   (`ReturnConsumedCapacity` absent or `NONE`) is sent asking for `TOTAL`, and the `ConsumedCapacity` is taken
 *   out of its answer again (with the answer's `X-Amz-Crc32` recomputed, which the SDKs and the CLI check): the
 *   caller gets the answer it asked for.
 * - The call and its answer are held in memory here (DynamoDB's largest request is 16 MB); a request over
 *   16 MiB is refused with a 413 naming its size, before DynamoDB Local. DynamoDB Streams calls are not held:
 *   the endpoint streams them as any other service's.
 * - `onCall` runs after the answer is sent, off the caller's path (the answer is parsed for it there, unless
 *   ConsumedCapacity had to be taken out of it first).
 */

import http from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import {
  type GatewayRequest,
  type GatewayResponse,
  HOP_BY_HOP_REQUEST,
  HOP_BY_HOP_RESPONSE,
  sendError,
} from '../gateway/forward.js';
import { headerValue } from '../gateway/routing.js';
import { CAPACITY_OPERATIONS, type DynamoDbCall } from './call-metrics.js';
import { crc32 } from './crc32.js';

const TARGET_PREFIX = 'DynamoDB_20120810.';
/** DynamoDB's request size limit (16 MB), in bytes. */
export const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

export function isDynamoDbCall(headers: GatewayRequest['headers']): boolean {
  return headerValue(headers, 'x-amz-target')?.startsWith(TARGET_PREFIX) === true;
}

/** The whole request body, or undefined once it grows past `limit` (the rest is drained). */
async function readBody(req: GatewayRequest, limit: number): Promise<Buffer | { tooLarge: number }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  return size > limit ? { tooLarge: size } : Buffer.concat(chunks);
}

function parseObject(bytes: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

interface Upstream {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function send(origin: URL, agent: http.Agent, req: GatewayRequest, body: Buffer): Promise<Upstream> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(':') || HOP_BY_HOP_REQUEST.has(name)) continue;
    // The body may have changed; and the answer is read here, so it comes uncompressed.
    if (name === 'content-length' || name === 'transfer-encoding' || name === 'accept-encoding') continue;
    headers[name] = value;
  }
  const authority = req.headers[':authority'];
  if (headers.host === undefined && typeof authority === 'string') headers.host = authority;
  headers['content-length'] = `${body.length}`;
  return new Promise((resolve, reject) => {
    const upstream = http.request(
      {
        protocol: origin.protocol,
        hostname: origin.hostname,
        port: origin.port,
        method: req.method,
        path: req.url ?? '/',
        headers,
        agent,
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () =>
          resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(chunks) }),
        );
        answer.on('error', reject);
      },
    );
    upstream.on('error', reject);
    upstream.end(body);
  });
}

/** Answers a DynamoDB call through DynamoDB Local at `origin`; `onCall` learns what happened once it is answered. */
export async function answerDynamoDb(
  req: GatewayRequest,
  res: GatewayResponse,
  origin: URL,
  agent: http.Agent,
  onCall: (call: DynamoDbCall) => void,
): Promise<void> {
  const started = performance.now();
  const operation = (headerValue(req.headers, 'x-amz-target') ?? '').slice(TARGET_PREFIX.length);
  const read = await readBody(req, MAX_REQUEST_BYTES);
  if (!Buffer.isBuffer(read)) {
    sendError(
      res,
      'dynamodb',
      413,
      'RequestEntityTooLarge',
      `The ${operation} request is ${read.tooLarge} bytes; DynamoDB takes at most ${MAX_REQUEST_BYTES}.`,
    );
    return;
  }
  let body = read;
  const request = parseObject(body);
  const asked = request?.ReturnConsumedCapacity;
  const strip =
    request !== undefined && CAPACITY_OPERATIONS.has(operation) && (asked === undefined || asked === 'NONE');
  if (strip) body = Buffer.from(JSON.stringify({ ...request, ReturnConsumedCapacity: 'TOTAL' }));

  let upstream: Upstream;
  try {
    upstream = await send(origin, agent, req, body);
  } catch (error) {
    sendError(
      res,
      'dynamodb',
      502,
      'BadGateway',
      `The local cloud's dynamodb emulator at ${origin.origin} did not answer: ${(error as Error).message}`,
    );
    return;
  }
  const latencyMs = performance.now() - started;
  const plain = upstream.headers['content-encoding'] === undefined;
  // Parsed before answering only when ConsumedCapacity must come out of it; otherwise after, off the caller's path.
  let answer = strip && plain ? parseObject(upstream.body) : undefined;
  let out = upstream.body;
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(upstream.headers)) {
    if (value !== undefined && !HOP_BY_HOP_RESPONSE.has(name) && name !== 'content-length')
      headers[name] = value;
  }
  if (strip && answer !== undefined && 'ConsumedCapacity' in answer) {
    const { ConsumedCapacity: _taken, ...rest } = answer;
    out = Buffer.from(JSON.stringify(rest));
    if (headers['x-amz-crc32'] !== undefined) headers['x-amz-crc32'] = `${crc32(out)}`;
  }
  headers['content-length'] = `${out.length}`;
  (res as Http2ServerResponse).writeHead(upstream.status, headers);
  res.end(out);
  setImmediate(() => {
    if (answer === undefined && plain) answer = parseObject(upstream.body);
    onCall({ operation, request, status: upstream.status, answer, latencyMs });
  });
}
