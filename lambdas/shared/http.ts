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

/**
 * Deeper than this, a body answers 400 before it is parsed: the validators and JSON.stringify recurse, and a few
 * thousand levels overflow the stack. The requests these functions take are a few levels deep.
 */
export const MAX_JSON_DEPTH = 32;

/** A 400 names this many problems at most, then says how many more: its size stays small whatever the body. */
export const MAX_LISTED_PROBLEMS = 10;

/** Names (entity names, fields) longer than this are cut in messages. */
const MAX_NAME_CHARS = 64;

/**
 * Why JSON text was not read: it nests deeper than MAX_JSON_DEPTH (`reason` says so), or it is not JSON (`reason`
 * is the parser's message, cut to 200 characters).
 */
export type JsonProblem = { readonly kind: 'too deep' | 'not JSON'; readonly reason: string };

/**
 * JSON text parsed, the depth checked first, or the problem with it: never throws, so a caller that reads many
 * documents (the labels' JSON Lines) can name each bad one, and one that reads a whole body can answer 400.
 */
export function parseJson(text: string): { readonly value: unknown } | { readonly problem: JsonProblem } {
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    return {
      problem: { kind: 'too deep', reason: `nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels` },
    };
  }
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    return { problem: { kind: 'not JSON', reason: clip((error as Error).message, 200) } };
  }
}

/**
 * The request body parsed as JSON (decoded from base64 when API Gateway encoded it). 400 when there is none, it
 * is not JSON or it nests deeper than MAX_JSON_DEPTH; 413 when it is over `maxBytes`.
 */
export function jsonBody(
  event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>,
  options: { readonly maxBytes?: number } = {},
): unknown {
  const parsed = parseJson(bodyText(event, options));
  if ('value' in parsed) return parsed.value;
  const { kind, reason } = parsed.problem;
  throw new HttpError(400, kind === 'too deep' ? `the body ${reason}` : `the body is not JSON: ${reason}`);
}

/**
 * The request body as text (decoded from base64 when API Gateway encoded it). 400 when there is none; 413 when it
 * is over `maxBytes`.
 */
export function bodyText(
  event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>,
  options: { readonly maxBytes?: number } = {},
): string {
  const raw = event.body;
  if (raw === undefined || raw === null || raw === '')
    throw new HttpError(400, 'the request has no body: send a JSON document');
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : undefined;
  const size = bytes ? bytes.length : Buffer.byteLength(raw, 'utf8');
  if (options.maxBytes !== undefined && size > options.maxBytes) {
    throw new HttpError(413, `the body is ${size} bytes: this API takes at most ${options.maxBytes}`);
  }
  return bytes ? bytes.toString('utf8') : raw;
}

/** Whether JSON text opens more than `limit` arrays or objects inside one another (brackets in strings aside). */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      // A backslash escapes the next character.
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** `a; b; c` of the first MAX_LISTED_PROBLEMS problems, then `; and 12 more`. */
export function listProblems(problems: readonly string[]): string {
  const listed = problems.slice(0, MAX_LISTED_PROBLEMS).join('; ');
  const more = problems.length - MAX_LISTED_PROBLEMS;
  return more > 0 ? `${listed}; and ${more} more` : listed;
}

/** A name as a message shows it: cut to MAX_NAME_CHARS characters. */
export function shortName(name: string): string {
  return clip(name, MAX_NAME_CHARS);
}

/** `{ "a": 1 }` → `{"a":1}`, cut to 80 characters: for naming a bad value in a message. */
export function preview(value: unknown): string {
  return clip(value === undefined ? 'nothing' : (JSON.stringify(value) ?? String(value)), 80);
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
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
