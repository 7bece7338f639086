/**
 * Serves SQS's query protocol (form-encoded `Action=CreateQueue&...`, XML answers: the AWS CLI 2.9 Debian
 * ships, the JavaScript SDK v2, older SDKs) in front of an emulator that speaks only SQS's JSON protocol
 * (fauxqs 1.x): each call is translated, sent on as `X-Amz-Target: AmazonSQS.<Action>`, and its answer
 * translated back.
 */

import { randomUUID } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { readBody } from '../http-server.js';
import { SQS_ACTIONS } from './shapes.js';
import { jsonRequestOf, QueryRequestError, queryErrorCode, xmlErrorOf, xmlResultOf } from './translate.js';

/** SQS takes messages of up to 1 MiB, form encoding at most triples that. */
const MAX_QUERY_BODY_BYTES = 4 * 1024 * 1024;

/** True for an SQS request in the query protocol: no JSON-protocol target header. */
export function isSqsQueryRequest(headers: IncomingHttpHeaders): boolean {
  return headers['x-amz-target'] === undefined;
}

/** Answers one query-protocol SQS request through the JSON-protocol emulator at `origin`. */
export async function answerSqsQuery(
  req: IncomingMessage | Http2ServerRequest,
  res: ServerResponse | Http2ServerResponse,
  origin: URL,
  agent: http.Agent,
): Promise<void> {
  const requestId = randomUUID();
  const send = (status: number, xml: string) => {
    if (res.headersSent) return;
    (res as ServerResponse).writeHead(status, {
      'content-type': 'text/xml',
      'content-length': `${Buffer.byteLength(xml)}`,
      'x-amzn-requestid': requestId,
    });
    res.end(xml);
  };
  const body = await readBody(req as IncomingMessage, MAX_QUERY_BODY_BYTES);
  if (body === undefined) {
    send(
      413,
      xmlErrorOf(
        413,
        'RequestEntityTooLarge',
        `Request bodies are limited to ${MAX_QUERY_BODY_BYTES} bytes.`,
        requestId,
      ),
    );
    return;
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const params = new Map<string, string>(url.searchParams);
  for (const [key, value] of new URLSearchParams(body.toString('utf8'))) params.set(key, value);
  const host = hostOf(req);
  let action: string;
  let json: Record<string, unknown>;
  try {
    ({ action, body: json } = jsonRequestOf(params));
  } catch (error) {
    if (!(error instanceof QueryRequestError)) throw error;
    send(400, xmlErrorOf(400, error.code, error.message, requestId));
    return;
  }
  // Clients such as the JavaScript SDK v2 post to the queue's URL and leave QueueUrl out.
  if (
    json.QueueUrl === undefined &&
    'QueueUrl' in (SQS_ACTIONS[action]?.input ?? {}) &&
    url.pathname !== '/'
  ) {
    json.QueueUrl = `http://${host}${url.pathname}`;
  }

  let answer: { status: number; text: string };
  try {
    answer = await postJson(origin, agent, host, action, JSON.stringify(json), res);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    send(
      502,
      xmlErrorOf(
        502,
        'ServiceUnavailable',
        `The local cloud's SQS emulator did not answer: ${reason}`,
        requestId,
      ),
    );
    return;
  }
  let parsed: Record<string, unknown>;
  try {
    parsed = answer.text === '' ? {} : (JSON.parse(answer.text) as Record<string, unknown>);
  } catch {
    send(
      502,
      xmlErrorOf(
        502,
        'InternalFailure',
        `The SQS emulator answered ${action} with something not JSON.`,
        requestId,
      ),
    );
    return;
  }
  if (answer.status >= 200 && answer.status < 300) {
    send(200, xmlResultOf(action, parsed, requestId));
    return;
  }
  const type = typeof parsed.__type === 'string' ? parsed.__type : 'InternalFailure';
  const message = typeof parsed.message === 'string' ? parsed.message : `${action} failed`;
  send(answer.status, xmlErrorOf(answer.status, queryErrorCode(type), message, requestId));
}

function hostOf(req: IncomingMessage | Http2ServerRequest): string {
  const authority = req.headers[':authority'];
  return req.headers.host ?? (typeof authority === 'string' ? authority : '127.0.0.1');
}

function postJson(
  origin: URL,
  agent: http.Agent,
  host: string,
  action: string,
  body: string,
  res: ServerResponse | Http2ServerResponse,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const upstream = http.request(
      {
        hostname: origin.hostname,
        port: origin.port,
        method: 'POST',
        path: '/',
        agent,
        headers: {
          // fauxqs builds queue URLs from the Host the client used.
          host,
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': `AmazonSQS.${action}`,
          'content-length': `${Buffer.byteLength(body)}`,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          answered = true;
          resolve({ status: response.statusCode ?? 502, text: Buffer.concat(chunks).toString('utf8') });
        });
        response.on('error', reject);
      },
    );
    upstream.on('error', reject);
    // A long poll (ReceiveMessage WaitTimeSeconds) whose client went away: stop waiting for it. Not once
    // answered: the keep-alive socket may serve another request by then.
    let answered = false;
    res.on('close', () => {
      if (!answered) upstream.destroy();
    });
    upstream.end(body);
  });
}
