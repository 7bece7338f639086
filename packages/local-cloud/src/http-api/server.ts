/** The local HTTP API's server: routes each request, checks throttling and SigV4, invokes the route's Lambda. */

import type http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NO_SERVICE_METRICS, type ServiceMetrics } from '../cloudwatch/service-metrics.js';
import { closeServer, listenLocal, readBody } from '../http-server.js';
import { MAX_PAYLOAD_BYTES } from '../lambda/function.js';
import { apiGatewayRequestId, eventOf, responseOf } from './payload.js';
import { type CompiledRoute, compileRoute, matchRoute } from './routes.js';
import { header, Refusal, verifySignature } from './sigv4.js';
import { routeBucket, type TokenBucket } from './throttle.js';
import type { HttpApiOptions, HttpApiResult, HttpApiRoute } from './types.js';

/** HTTP APIs take request bodies of at most 10 MB. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export class LocalHttpApi {
  private server: http.Server | undefined;
  private port: number | undefined;
  private routes: CompiledRoute[] = [];
  private settings: HttpApiOptions['defaultRouteSettings'];
  private readonly credentials: Readonly<Record<string, string>>;
  private readonly apiId: string;
  private readonly accountId: string;
  private readonly region: string;

  constructor(private readonly options: HttpApiOptions) {
    this.credentials = options.credentials ?? { test: 'test', local: 'local' };
    this.apiId = options.apiId ?? 'local';
    this.accountId = options.accountId ?? '000000000000';
    this.region = options.region ?? 'us-east-1';
    this.settings = options.defaultRouteSettings;
    for (const route of options.routes) this.addRoute(route);
  }

  /** Adds a route, or replaces the one with its route key (a deployer adds them as the template's come). */
  addRoute(route: HttpApiRoute): void {
    const compiled = compileRoute(route, this.bucket());
    this.routes = [...this.routes.filter((r) => r.route.routeKey !== route.routeKey), compiled];
  }

  /** Sets the stage's DefaultRouteSettings (every route's token bucket starts full again). */
  setDefaultRouteSettings(settings: HttpApiOptions['defaultRouteSettings']): void {
    this.settings = settings;
    this.routes = this.routes.map((r) => ({ ...r, bucket: this.bucket() }));
  }

  private bucket(): TokenBucket | undefined {
    return routeBucket(this.settings);
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
    const { server, port } = await listenLocal((req, res) => this.handle(req, res), {
      port: this.options.port ?? 0,
    });
    this.server = server;
    this.port = port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await closeServer(server);
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
      const body = await readBody(req, MAX_BODY_BYTES);
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
      const found = matchRoute(this.routes, method, decodedPath);
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
          accessKey = await verifySignature(
            { credentials: this.credentials, region: this.region },
            req,
            method,
            signedPathOf(req, rawPath),
            rawQueryString,
            body,
          );
        } catch (error) {
          if (error instanceof Refusal) {
            message(error.statusCode, error.message);
            return;
          }
          throw error;
        }
      }
      const event = eventOf({ accountId: this.accountId, apiId: this.apiId, port: this.port }, req, {
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
      // Lambda refuses a synchronous invocation over its payload limit (the event: headers, body, base64 of a
      // binary body, and all), so the function never runs and API Gateway answers 500.
      if (Buffer.byteLength(JSON.stringify(event)) > MAX_PAYLOAD_BYTES) {
        message(500, 'Internal Server Error');
        return;
      }
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
      putApiMetrics(
        this.options.serviceMetrics ?? NO_SERVICE_METRICS,
        this.apiId,
        status,
        performance.now() - started,
      );
      this.options.onLog?.(
        `${requestId} ${method} ${rawPath} ${routeKey} ${status} ${Math.round(performance.now() - started)} ms`,
      );
    }
  }
}

/**
 * The metrics API Gateway publishes for an HTTP API, per request, in `AWS/ApiGateway` with the `ApiId` dimension
 * (AWS also publishes them per stage): Count, 4xx, 5xx (1 or 0) and Latency (ms).
 */
function putApiMetrics(metrics: ServiceMetrics, apiId: string, status: number, latencyMs: number): void {
  const dimensions = [{ Name: 'ApiId', Value: apiId }];
  metrics.put('AWS/ApiGateway', 'Count', dimensions, 1, 'Count');
  metrics.put('AWS/ApiGateway', '4xx', dimensions, status >= 400 && status < 500 ? 1 : 0, 'Count');
  metrics.put('AWS/ApiGateway', '5xx', dimensions, status >= 500 ? 1 : 0, 'Count');
  metrics.put('AWS/ApiGateway', 'Latency', dimensions, latencyMs, 'Milliseconds');
}

/**
 * The path the client signed: the local cloud's endpoint serves an API at `/_aws/execute-api/<apiId>/<path>`,
 * passes it on as `/<path>` and names the prefix it took off in X-Forwarded-Prefix.
 */
function signedPathOf(req: IncomingMessage, rawPath: string): string {
  const prefix = header(req, 'x-forwarded-prefix');
  return prefix !== undefined && /^\/_aws\/execute-api\/[^/]+$/.test(prefix)
    ? `${prefix}${rawPath}`
    : rawPath;
}

/** Starts a local HTTP API (see HttpApiOptions). */
export async function startHttpApi(options: HttpApiOptions): Promise<LocalHttpApi> {
  return new LocalHttpApi(options).start();
}

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
