/** HTTP API (payload 2.0) requests and responses for the score and ingest functions. */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** A request the client got wrong (4xx) or a dependency that failed (5xx), answered as `{message}`. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function jsonResponse(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

export function errorResponse(error: HttpError): APIGatewayProxyStructuredResultV2 {
  return jsonResponse(error.statusCode, { message: error.message, ...error.details });
}

/** The request body parsed as JSON (decoded from base64 when API Gateway encoded it); 400 when it is not JSON. */
export function jsonBody(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>): unknown {
  const raw = event.body;
  if (raw === undefined || raw === '')
    throw new HttpError(400, 'the request has no body: send a JSON document');
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(400, `the body is not JSON: ${(error as Error).message}`);
  }
}

/** `{ "a": 1 }` → `{"a":1}`, cut to 80 characters: for naming a bad value in a message. */
export function preview(value: unknown): string {
  const text = value === undefined ? 'nothing' : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * An HTTP API payload 2.0 event for a POST with a JSON body: for tests and the local cloud's HTTP adapter.
 */
export function httpApiEvent(
  body: unknown,
  options: { path?: string; base64?: boolean; requestId?: string; timeEpoch?: number } = {},
): APIGatewayProxyEventV2 {
  const path = options.path ?? '/';
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const timeEpoch = options.timeEpoch ?? Date.now();
  return {
    version: '2.0',
    routeKey: `POST ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: 'local',
      domainPrefix: 'local',
      http: {
        method: 'POST',
        path,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'streamfeatures',
      },
      requestId: options.requestId ?? `req-${timeEpoch.toString(36)}`,
      routeKey: `POST ${path}`,
      stage: '$default',
      time: new Date(timeEpoch).toISOString(),
      timeEpoch,
    },
    body: options.base64 ? Buffer.from(text, 'utf8').toString('base64') : text,
    isBase64Encoded: options.base64 ?? false,
  };
}
