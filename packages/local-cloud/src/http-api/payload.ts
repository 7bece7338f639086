/** Payload format 2.0: the event a request becomes, and API Gateway's reading of the Lambda's result. */

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { HttpApiResult } from './types.js';

const TEXT_TYPES =
  /^(text\/.*|application\/(json|.*\+json|xml|.*\+xml|javascript|x-www-form-urlencoded|graphql|yaml|x-yaml))$/i;

/** The API's identity in events. */
export interface EventContext {
  readonly accountId: string;
  readonly apiId: string;
  /** The port it listens on (the domain name when the request has no Host header). */
  readonly port: number | undefined;
}

/** The payload 2.0 event of a request. */
export function eventOf(
  api: EventContext,
  req: IncomingMessage,
  r: {
    method: string;
    rawPath: string;
    decodedPath: string;
    rawQueryString: string;
    body: Buffer;
    routeKey: string;
    pathParameters: Record<string, string> | undefined;
    requestId: string;
    timeEpoch: number;
    accessKey: string | undefined;
  },
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] as string).toLowerCase();
    const value = req.rawHeaders[i + 1] as string;
    // The local cloud's endpoint's note of the path prefix it took off: not the client's header.
    if (name === 'x-forwarded-prefix') continue;
    if (name === 'cookie') {
      cookies = [
        ...(cookies ?? []),
        ...value
          .split(';')
          .map((c) => c.trim())
          .filter((c) => c !== ''),
      ];
      continue;
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  headers['x-forwarded-for'] ??= req.socket.remoteAddress ?? '127.0.0.1';
  headers['x-forwarded-port'] ??= String(req.socket.localPort ?? '');
  headers['x-forwarded-proto'] ??= 'http';
  headers['x-amzn-trace-id'] ??=
    `Root=1-${Math.floor(r.timeEpoch / 1000).toString(16)}-${randomUUID().replaceAll('-', '').slice(0, 24)}`;
  let queryStringParameters: Record<string, string> | undefined;
  for (const [key, value] of new URLSearchParams(r.rawQueryString)) {
    queryStringParameters ??= {};
    queryStringParameters[key] =
      queryStringParameters[key] === undefined ? value : `${queryStringParameters[key]},${value}`;
  }
  const contentType = (headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
  const text = contentType === '' || TEXT_TYPES.test(contentType);
  const host = headers.host ?? `127.0.0.1:${api.port}`;
  const domainName = host.replace(/:\d+$/, '');
  const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  return {
    version: '2.0',
    routeKey: r.routeKey,
    rawPath: r.rawPath,
    rawQueryString: r.rawQueryString,
    ...(cookies ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      accountId: api.accountId,
      apiId: api.apiId,
      ...(r.accessKey === undefined
        ? {}
        : {
            authorizer: {
              iam: {
                accessKey: r.accessKey,
                accountId: api.accountId,
                callerId: r.accessKey,
                cognitoIdentity: null,
                principalOrgId: null,
                userArn: `arn:aws:iam::${api.accountId}:root`,
                userId: api.accountId,
              },
            },
          }),
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: r.method,
        path: r.decodedPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: r.requestId,
      routeKey: r.routeKey,
      stage: '$default',
      time: clfTime(r.timeEpoch),
      timeEpoch: r.timeEpoch,
    },
    ...(r.pathParameters ? { pathParameters: r.pathParameters } : {}),
    ...(r.body.length > 0 ? { body: text ? r.body.toString('utf8') : r.body.toString('base64') } : {}),
    isBase64Encoded: r.body.length > 0 && !text,
  } as APIGatewayProxyEventV2;
}

/** API Gateway's reading of a payload 2.0 result; undefined when it is not a valid response. */
export function responseOf(
  result: HttpApiResult,
): { statusCode: number; headers: Record<string, string>; body: Buffer; cookies: string[] } | undefined {
  const structured =
    typeof result === 'object' && result !== null && !Array.isArray(result) && 'statusCode' in result;
  if (!structured) {
    const body = JSON.stringify(result) ?? '';
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(body),
      cookies: [],
    };
  }
  const r = result as Exclude<HttpApiResult, string | number | boolean | null> & Record<string, unknown>;
  const statusCode = r.statusCode;
  if (
    typeof statusCode !== 'number' ||
    !Number.isInteger(statusCode) ||
    statusCode < 100 ||
    statusCode > 599
  ) {
    return undefined;
  }
  if (r.body !== undefined && r.body !== null && typeof r.body !== 'string') return undefined;
  const headers: Record<string, string> = {};
  if (r.headers !== undefined) {
    if (typeof r.headers !== 'object' || r.headers === null) return undefined;
    for (const [name, value] of Object.entries(r.headers as Record<string, unknown>)) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
        headers[name.toLowerCase()] = String(value);
      }
    }
  }
  const cookies = Array.isArray(r.cookies) ? r.cookies.filter((c): c is string => typeof c === 'string') : [];
  const text = typeof r.body === 'string' ? r.body : '';
  const body = r.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  return { statusCode, headers, body, cookies };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `12/Mar/2020:19:03:58 +0000`, as requestContext.time spells it. */
function clfTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** API Gateway's request ids look like `JKJaXmPLvHcESHA=`. */
export function apiGatewayRequestId(): string {
  return Buffer.from(randomUUID().replaceAll('-', '').slice(0, 20), 'hex').toString('base64');
}
