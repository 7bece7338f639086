/**
 * A local API Gateway HTTP API (v2) in front of Lambda callbacks, for the embedded local cloud: each request
 * becomes a payload format 2.0 event, the callback's result becomes the HTTP answer, as API Gateway's Lambda
 * proxy integration does.
 *
 * As AWS does:
 * - Routes `METHOD /path` with `{param}` and greedy `{proxy+}` segments, `ANY`, and `$default`; the most
 *   specific route wins. No route: 404 `{"message":"Not Found"}`.
 * - The event: version, routeKey, rawPath, rawQueryString, cookies, headers (lower-cased, repeated ones joined
 *   with commas), queryStringParameters (repeated ones joined with commas), pathParameters, requestContext
 *   (accountId, apiId, domainName, domainPrefix, http {method, path, protocol, sourceIp, userAgent},
 *   requestId, routeKey, stage `$default`, time, timeEpoch, and authorizer.iam for AWS_IAM routes), body and
 *   isBase64Encoded (text content types as text, anything else in base64).
 * - The result: `{statusCode, headers, cookies, body, isBase64Encoded}`; anything else (an object without
 *   statusCode, a string, a number) is a 200 with `content-type: application/json` and the value as JSON.
 *   A callback that throws, or a result that is not a valid response, is a 500 `{"message":"Internal Server
 *   Error"}`; one slower than the integration timeout (30 s) a 503 `{"message":"Service Unavailable"}`.
 * - AWS_IAM routes: SigV4 (`Authorization` header, service `execute-api`) recomputed with @smithy/signature-v4
 *   from the request as received and the secret of the access key (test/test and local/local by default); an
 *   unsigned request is 403 `{"message":"Forbidden"}`, as LocalStack and AWS answer; a bad signature, an
 *   unknown key, a wrong service or a date more than 5 minutes off is 403 with AWS's message for it.
 * - Throttling per route from the stage's DefaultRouteSettings (token bucket: `throttlingBurstLimit` tokens,
 *   refilled at `throttlingRateLimit` a second): 429 `{"message":"Too Many Requests"}`, checked before auth.
 *
 * Not emulated: JWT and Lambda authorizers, presigned (query-string) SigV4, CORS, custom domains, stage
 * variables, mapping of response headers; `multiValueHeaders` in a result is ignored, as payload 2.0 does.
 */

import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export type HttpApiResult =
  | {
      statusCode?: number;
      headers?: Record<string, string | number | boolean>;
      cookies?: string[];
      body?: string;
      isBase64Encoded?: boolean;
    }
  | string
  | number
  | boolean
  | null
  | object;

export interface HttpApiRoute {
  /** `POST /score`, `GET /items/{id}`, `ANY /{proxy+}`, `$default`. */
  readonly routeKey: string;
  /** @default 'NONE' */
  readonly authorizationType?: 'NONE' | 'AWS_IAM';
  /** The Lambda behind the route. */
  readonly invoke: (event: APIGatewayProxyEventV2) => Promise<HttpApiResult>;
}

export interface HttpApiOptions {
  /** More can be added with `addRoute`. */
  readonly routes: readonly HttpApiRoute[];
  /** The stage's DefaultRouteSettings. @default - no throttling */
  readonly defaultRouteSettings?: {
    readonly throttlingRateLimit?: number;
    readonly throttlingBurstLimit?: number;
  };
  /** Access key → secret key accepted on AWS_IAM routes. @default { test: 'test', local: 'local' } */
  readonly credentials?: Readonly<Record<string, string>>;
  /** @default 'local' */
  readonly apiId?: string;
  /** @default '000000000000' */
  readonly accountId?: string;
  /** @default 30_000 */
  readonly integrationTimeoutMs?: number;
  /** 0 picks a free port on 127.0.0.1. @default 0 */
  readonly port?: number;
  /** Each request's access-log line (method, path, route, status, latency). */
  readonly onLog?: (line: string) => void;
}

const MAX_SKEW_MS = 5 * 60 * 1000;
/** HTTP APIs take request bodies of at most 10 MB. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
const TEXT_TYPES =
  /^(text\/.*|application\/(json|.*\+json|xml|.*\+xml|javascript|x-www-form-urlencoded|graphql|yaml|x-yaml))$/i;

type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytesOf(data: SourceData): string | Buffer {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** A SHA-256 for @smithy/signature-v4 on node:crypto (an HMAC when given a secret): for the verifier here and for clients signing requests to the local API. */
export class Sha256 {
  private readonly hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytesOf(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytesOf(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
  reset(): void {
    throw new Error('Sha256.reset is not supported');
  }
}

interface CompiledRoute {
  readonly route: HttpApiRoute;
  readonly method: string | undefined;
  readonly segments: readonly string[] | undefined;
  readonly bucket: TokenBucket | undefined;
}

class TokenBucket {
  private tokens: number;
  private last = performance.now();
  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }
  take(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

class Refusal extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export class LocalHttpApi {
  private server: http.Server | undefined;
  private port: number | undefined;
  private routes: CompiledRoute[] = [];
  private settings: HttpApiOptions['defaultRouteSettings'];
  private readonly credentials: Readonly<Record<string, string>>;
  private readonly apiId: string;
  private readonly accountId: string;

  constructor(private readonly options: HttpApiOptions) {
    this.credentials = options.credentials ?? { test: 'test', local: 'local' };
    this.apiId = options.apiId ?? 'local';
    this.accountId = options.accountId ?? '000000000000';
    this.settings = options.defaultRouteSettings;
    for (const route of options.routes) this.addRoute(route);
  }

  /** Adds a route, or replaces the one with its route key (a deployer adds them as the template's come). */
  addRoute(route: HttpApiRoute): void {
    let compiled: CompiledRoute;
    if (route.routeKey === '$default') {
      compiled = { route, method: undefined, segments: undefined, bucket: this.bucket() };
    } else {
      const match = /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) (\/\S*)$/.exec(route.routeKey);
      if (!match) {
        throw new Error(`route key ${JSON.stringify(route.routeKey)} is not "METHOD /path" or "$default"`);
      }
      const path = match[2] as string;
      const segments = path === '/' ? [] : path.slice(1).split('/');
      compiled = { route, method: match[1], segments, bucket: this.bucket() };
    }
    this.routes = [...this.routes.filter((r) => r.route.routeKey !== route.routeKey), compiled];
  }

  /** Sets the stage's DefaultRouteSettings (every route's token bucket starts full again). */
  setDefaultRouteSettings(settings: HttpApiOptions['defaultRouteSettings']): void {
    this.settings = settings;
    this.routes = this.routes.map((r) => ({ ...r, bucket: this.bucket() }));
  }

  private bucket(): TokenBucket | undefined {
    const settings = this.settings;
    if (settings?.throttlingRateLimit === undefined && settings?.throttlingBurstLimit === undefined) {
      return undefined;
    }
    // One limit alone: the other is the account's (10,000 requests/s, burst 5,000).
    return new TokenBucket(settings.throttlingRateLimit ?? 10_000, settings.throttlingBurstLimit ?? 5_000);
  }

  /** `http://127.0.0.1:<port>/`, once started. */
  get url(): string {
    return `${this.origin}/`;
  }

  /** `http://127.0.0.1:<port>`, once started. */
  get origin(): string {
    if (this.port === undefined) throw new Error('the local HTTP API is not started');
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    if (this.server) return this;
    const server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: this.options.port ?? 0, host: '127.0.0.1' }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const timeEpoch = Date.now();
    const requestId = apiGatewayRequestId();
    const rawUrl = req.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    const rawPath = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    const rawQueryString = queryAt === -1 ? '' : rawUrl.slice(queryAt + 1);
    const method = (req.method ?? 'GET').toUpperCase();
    let status = 500;
    let routeKey = '-';
    const answer = (
      statusCode: number,
      headers: Record<string, string>,
      body: Buffer | string,
      cookies: string[] = [],
    ) => {
      status = statusCode;
      const outHeaders: http.OutgoingHttpHeaders = {
        ...headers,
        'content-length': Buffer.byteLength(body),
        'apigw-requestid': requestId,
      };
      if (cookies.length > 0) outHeaders['set-cookie'] = cookies;
      res.writeHead(statusCode, outHeaders);
      res.end(method === 'HEAD' ? undefined : body);
    };
    const message = (statusCode: number, text: string) =>
      answer(statusCode, { 'content-type': 'application/json' }, JSON.stringify({ message: text }));
    try {
      const body = await readBody(req);
      if (body === undefined) {
        message(413, 'Request Entity Too Large');
        return;
      }
      let decodedPath: string;
      try {
        decodedPath = decodeURIComponent(rawPath);
      } catch {
        decodedPath = rawPath;
      }
      const found = this.match(method, decodedPath);
      if (!found) {
        message(404, 'Not Found');
        return;
      }
      const { compiled, pathParameters } = found;
      routeKey = compiled.route.routeKey;
      if (compiled.bucket && !compiled.bucket.take()) {
        message(429, 'Too Many Requests');
        return;
      }
      let accessKey: string | undefined;
      if (compiled.route.authorizationType === 'AWS_IAM') {
        try {
          accessKey = await this.verifySignature(req, method, rawPath, rawQueryString, body);
        } catch (error) {
          if (error instanceof Refusal) {
            message(error.statusCode, error.message);
            return;
          }
          throw error;
        }
      }
      const event = this.event(req, {
        method,
        rawPath,
        decodedPath,
        rawQueryString,
        body,
        routeKey,
        pathParameters,
        requestId,
        timeEpoch,
        accessKey,
      });
      let result: HttpApiResult;
      try {
        result = await withTimeout(compiled.route.invoke(event), this.options.integrationTimeoutMs ?? 30_000);
      } catch (error) {
        if (error instanceof IntegrationTimeout) message(503, 'Service Unavailable');
        else message(500, 'Internal Server Error');
        return;
      }
      const response = responseOf(result);
      if (!response) {
        message(500, 'Internal Server Error');
        return;
      }
      answer(response.statusCode, response.headers, response.body, response.cookies);
    } catch {
      if (!res.headersSent) message(500, 'Internal Server Error');
      else res.destroy();
    } finally {
      this.options.onLog?.(
        `${requestId} ${method} ${rawPath} ${routeKey} ${status} ${Math.round(performance.now() - started)} ms`,
      );
    }
  }

  private match(
    method: string,
    path: string,
  ): { compiled: CompiledRoute; pathParameters: Record<string, string> | undefined } | undefined {
    const segments = path === '/' ? [] : path.replace(/^\//, '').split('/');
    let best:
      | { compiled: CompiledRoute; pathParameters: Record<string, string>; score: number[] }
      | undefined;
    let fallback: CompiledRoute | undefined;
    for (const compiled of this.routes) {
      if (compiled.segments === undefined) {
        fallback = compiled;
        continue;
      }
      if (compiled.method !== 'ANY' && compiled.method !== method) continue;
      const params: Record<string, string> = {};
      // Specificity: literal segments, then parameters, then no greedy segment, then an exact method.
      const score = [0, 0, 1, compiled.method === method ? 1 : 0];
      let ok = true;
      for (let i = 0; i < compiled.segments.length; i++) {
        const pattern = compiled.segments[i] as string;
        const greedy = /^\{(.+)\+\}$/.exec(pattern);
        if (greedy) {
          if (i !== compiled.segments.length - 1 || i >= segments.length) ok = false;
          else params[greedy[1] as string] = segments.slice(i).join('/');
          score[2] = 0;
          break;
        }
        const value = segments[i];
        if (
          value === undefined ||
          (i === compiled.segments.length - 1 && segments.length > compiled.segments.length)
        ) {
          ok = false;
          break;
        }
        const param = /^\{(.+)\}$/.exec(pattern);
        if (param && value === '') {
          ok = false;
          break;
        } else if (param) {
          params[param[1] as string] = value;
          (score[1] as number)++;
        } else if (pattern === value) {
          (score[0] as number)++;
        } else {
          ok = false;
          break;
        }
      }
      if (compiled.segments.length === 0 && segments.length > 0) ok = false;
      if (ok && (best === undefined || compareScores(score, best.score) > 0)) {
        best = { compiled, pathParameters: params, score };
      }
    }
    if (best) {
      return {
        compiled: best.compiled,
        pathParameters: Object.keys(best.pathParameters).length > 0 ? best.pathParameters : undefined,
      };
    }
    return fallback ? { compiled: fallback, pathParameters: undefined } : undefined;
  }

  /** Checks the request's SigV4 signature; returns its access key, or throws a Refusal. */
  private async verifySignature(
    req: IncomingMessage,
    method: string,
    rawPath: string,
    rawQueryString: string,
    body: Buffer,
  ): Promise<string> {
    const authorization = header(req, 'authorization');
    if (authorization === undefined) throw new Refusal(403, 'Forbidden');
    const parsed =
      /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-f]{64})\s*$/.exec(
        authorization,
      );
    if (!parsed) {
      throw new Refusal(
        403,
        `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters. Authorization=${authorization}`,
      );
    }
    const [, credential, signedHeaderList, signature] = parsed as unknown as [string, string, string, string];
    const scope = credential.split('/');
    const [accessKey, scopeDate, region, service, terminator] = scope;
    if (scope.length !== 5 || terminator !== 'aws4_request' || !accessKey || !scopeDate || !region) {
      throw new Refusal(403, `Credential should be scoped to a valid region. Credential=${credential}`);
    }
    if (service !== 'execute-api') {
      throw new Refusal(
        403,
        `Credential should be scoped to correct service: 'execute-api'. Credential=${credential}`,
      );
    }
    const secret = this.credentials[accessKey];
    if (secret === undefined)
      throw new Refusal(403, 'The security token included in the request is invalid.');
    const amzDate = header(req, 'x-amz-date');
    const signingDate = amzDate === undefined ? undefined : parseAmzDate(amzDate);
    if (signingDate === undefined) {
      throw new Refusal(
        403,
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
      );
    }
    if (!amzDate?.startsWith(scopeDate)) {
      throw new Refusal(
        403,
        `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${amzDate?.slice(0, 8)}', from '${amzDate}'.`,
      );
    }
    const now = Date.now();
    if (signingDate.getTime() < now - MAX_SKEW_MS) {
      throw new Refusal(
        403,
        `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(now - MAX_SKEW_MS)} (${formatAmzDate(now)} - 5 min.)`,
      );
    }
    if (signingDate.getTime() > now + MAX_SKEW_MS) {
      throw new Refusal(
        403,
        `Signature not yet current: ${amzDate} is still later than ${formatAmzDate(now + MAX_SKEW_MS)} (${formatAmzDate(now)} + 5 min.)`,
      );
    }
    const signed = signedHeaderList.split(';');
    if (!signed.includes('host')) {
      throw new Refusal(403, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
    }
    const headers: Record<string, string> = {};
    for (const name of signed) {
      const value = header(req, name);
      if (value !== undefined) headers[name] = value;
    }
    // The signer trusts x-amz-content-sha256 as the body's hash; API Gateway hashes the body it received.
    const bodyHash = createHash('sha256').update(body).digest('hex');
    const claimed = headers['x-amz-content-sha256'];
    if (claimed !== undefined && claimed !== bodyHash) throw new Refusal(403, SIGNATURE_MISMATCH);
    const query: Record<string, string | string[]> = {};
    for (const [key, value] of new URLSearchParams(rawQueryString)) {
      const seen = query[key];
      query[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
    }
    const signer = new SignatureV4({
      credentials: {
        accessKeyId: accessKey,
        secretAccessKey: secret,
        ...(headers['x-amz-security-token'] ? { sessionToken: headers['x-amz-security-token'] } : {}),
      },
      region,
      service: 'execute-api',
      sha256: Sha256,
      applyChecksum: false,
    });
    const expected = await signer.sign(
      { method, protocol: 'http:', hostname: headers.host ?? '', path: rawPath, query, headers, body },
      { signingDate, signableHeaders: new Set(signed) },
    );
    const expectedSignature =
      /Signature=([0-9a-f]{64})/.exec(String(expected.headers.authorization))?.[1] ?? '';
    const expectedHeaders = /SignedHeaders=([^,\s]+)/.exec(String(expected.headers.authorization))?.[1];
    if (
      expectedHeaders !== signedHeaderList ||
      !timingSafeEqual(Buffer.from(expectedSignature), Buffer.from(signature))
    ) {
      throw new Refusal(403, SIGNATURE_MISMATCH);
    }
    return accessKey;
  }

  private event(
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
    const host = headers.host ?? `127.0.0.1:${this.port}`;
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
        accountId: this.accountId,
        apiId: this.apiId,
        ...(r.accessKey === undefined
          ? {}
          : {
              authorizer: {
                iam: {
                  accessKey: r.accessKey,
                  accountId: this.accountId,
                  callerId: r.accessKey,
                  cognitoIdentity: null,
                  principalOrgId: null,
                  userArn: `arn:aws:iam::${this.accountId}:root`,
                  userId: this.accountId,
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
}

/** Starts a local HTTP API (see HttpApiOptions). */
export async function startHttpApi(options: HttpApiOptions): Promise<LocalHttpApi> {
  return new LocalHttpApi(options).start();
}

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret ' +
  'Access Key and signing method. Consult the service documentation for details.';

class IntegrationTimeout extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new IntegrationTimeout()), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** API Gateway's reading of a payload 2.0 result; undefined when it is not a valid response. */
function responseOf(
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

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function compareScores(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}

function parseAmzDate(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
}

function formatAmzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `12/Mar/2020:19:03:58 +0000`, as requestContext.time spells it. */
function clfTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** API Gateway's request ids look like `JKJaXmPLvHcESHA=`. */
function apiGatewayRequestId(): string {
  return Buffer.from(randomUUID().replaceAll('-', '').slice(0, 20), 'hex').toString('base64');
}

/** The request body; undefined when it is larger than HTTP APIs take (the rest is read and dropped). */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size <= MAX_BODY_BYTES ? Buffer.concat(chunks) : undefined));
    req.on('error', reject);
  });
}
