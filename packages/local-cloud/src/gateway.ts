/**
 * The local cloud's one endpoint: a LocalStack-style edge proxy on 127.0.0.1:<port> (and [::1] where there is
 * one) that forwards each request to the emulator serving its AWS service.
 *
 * - The service of a request: its `X-Amz-Target` prefix (`Kinesis_20131202.`, `DynamoDB_20120810.`,
 *   `AmazonSQS.`...), else the service of its SigV4 credential scope (`Authorization` header, or the
 *   `X-Amz-Credential` of a presigned URL), else S3 (plain path-style and virtual-host requests: curl, a
 *   browser, a presigned URL without scope).
 * - Bodies stream both ways (a big S3 PUT is never held in memory here). Request headers pass unchanged, Host
 *   included, except the hop-by-hop ones, none of which SigV4 signs; the emulators do not check signatures
 *   anyway, and fauxqs needs the client's Host for virtual-host buckets and queue URLs.
 * - HTTP/1.1 and HTTP/2 cleartext share the port: the AWS SDK v3 Kinesis client talks HTTP/2 to an `http://`
 *   endpoint (prior knowledge, no upgrade), the other clients HTTP/1.1. Each connection is told apart by its
 *   first bytes (the HTTP/2 preface). Requests go on to the emulators as HTTP/1.1.
 * - `GET /_localstack/health` answers like LocalStack: `{"services": {"kinesis": "running", ...}}`, from real
 *   probes of the emulators.
 * - A service the cloud does not serve gets a 501 naming it; one still starting, a 503; an emulator not
 *   answering, a 502 naming it.
 * - TLS on the same port: a connection whose first byte is a TLS handshake (0x16) is served with certificates
 *   made at start (src/gateway-tls.ts), then told HTTP/1.1 from HTTP/2 by ALPN.
 * - STS is answered here (src/sts/), and SQS's query protocol is translated to the JSON protocol in front of
 *   the SQS emulator (src/sqs-query/). DynamoDB calls are read whole, for DynamoDB's metrics (src/dynamodb/).
 * - HTTP APIs (`routeApi`) answer as LocalStack routes execute-api: the Host `<apiId>.execute-api.localhost`
 *   (or `.localhost.localstack.cloud`, see EXECUTE_API_HOST), and the path form
 *   `/_aws/execute-api/<apiId>/<path>`, which needs no name resolution. In the path form the API sees `/<path>`,
 *   and `X-Forwarded-Prefix` tells it the prefix the client signed.
 */

import http, { type ServerResponse } from 'node:http';
import http2, { type Http2Session } from 'node:http2';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { DynamoDbCall } from './dynamodb/call-metrics.js';
import { answerDynamoDb, isDynamoDbCall } from './dynamodb/metrics-front.js';
import { PortInUseError } from './emulator-process.js';
import { forwardRequest, type GatewayRequest, type GatewayResponse, sendError } from './gateway/forward.js';
import { executeApiTarget, executeApiUrl, serviceForRequest } from './gateway/routing.js';
import { makeEndpointCertificates } from './gateway-tls.js';
import { answerSqsQuery, isSqsQueryRequest } from './sqs-query/handler.js';
import { answerSts } from './sts/server.js';

export { executeApiTarget, executeApiUrl, serviceForRequest } from './gateway/routing.js';

/** A service's state as LocalStack's health endpoint spells it. */
export type ServiceState = 'running' | 'starting' | 'error' | 'stopped';

export interface GatewayOptions {
  /** 0 picks a free port. */
  port: number;
  /** The services the cloud will serve: requests for them wait for `route` (503 until then). */
  services: readonly string[];
  /** Each served service's state, for `/_localstack/health`. */
  health(): Promise<Record<string, ServiceState>>;
  /** Each DynamoDB call, once answered (the cloud publishes DynamoDB's metrics from it: src/dynamodb/). */
  onDynamoDbCall?: (call: DynamoDbCall) => void;
}

export interface Gateway {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  /** `https://127.0.0.1:<port>`: the same port, with TLS. */
  readonly tlsEndpoint: string;
  /** The certificate authority (PEM) of the endpoint's TLS certificate, for `curl --cacert` and the like. */
  readonly caCertificate: string;
  /** Sends a service's requests to an emulator origin (`http://127.0.0.1:<port>`). */
  route(service: string, origin: string): void;
  /** Serves the HTTP API `apiId` (execute-api host and path forms) from `origin` (`http://127.0.0.1:<port>`). */
  routeApi(apiId: string, origin: string): void;
  /** Stops serving the HTTP API `apiId` (404 from then on). */
  unrouteApi(apiId: string): void;
  /** The URL the HTTP API `apiId` answers at here (its ApiEndpoint): see executeApiUrl. */
  apiEndpoint(apiId: string): string;
  /** Stops listening and ends every open connection. Idempotent. */
  close(): Promise<void>;
}

const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
/** The first byte of a TLS connection: a handshake record. */
const TLS_HANDSHAKE = 0x16;

function hostOf(req: GatewayRequest): string | undefined {
  const authority = req.headers[':authority'];
  return req.headers.host ?? (typeof authority === 'string' ? authority : undefined);
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const certificates = await makeEndpointCertificates();
  const routes = new Map<string, URL>();
  const apis = new Map<string, URL>();
  let port = options.port;
  const served = new Set(options.services);
  const agent = new http.Agent({ keepAlive: true });

  const handle = (req: GatewayRequest, res: GatewayResponse): void => {
    const url = req.url ?? '/';
    if (url === '/_localstack/health' || url.startsWith('/_localstack/health?')) {
      void answerHealth(req, res);
      return;
    }
    const api = executeApiTarget(url, hostOf(req));
    if (api !== undefined) {
      serveApi(req, res, api);
      return;
    }
    const service = serviceForRequest(url, req.headers);
    if (service === 'sts') {
      answerSts(req, res).catch((error: unknown) => failed(res, service, error));
      return;
    }
    const origin = routes.get(service);
    if (origin === undefined) {
      req.resume();
      if (served.has(service)) {
        sendError(res, service, 503, 'ServiceUnavailable', `The local cloud's ${service} is still starting.`);
      } else {
        const list = [...served].join(', ');
        sendError(
          res,
          service,
          501,
          'NotImplemented',
          `The local cloud does not serve ${service} (it serves ${list}).`,
        );
      }
      return;
    }
    if (service === 'sqs' && isSqsQueryRequest(req.headers)) {
      answerSqsQuery(req, res, origin, agent).catch((error: unknown) => failed(res, service, error));
      return;
    }
    const onDynamoDbCall = options.onDynamoDbCall;
    if (service === 'dynamodb' && onDynamoDbCall !== undefined && isDynamoDbCall(req.headers)) {
      answerDynamoDb(req, res, origin, agent, onDynamoDbCall).catch((error: unknown) =>
        failed(res, service, error),
      );
      return;
    }
    forwardRequest(req, res, service, origin, agent);
  };

  const failed = (res: GatewayResponse, service: string, error: unknown): void => {
    const reason = error instanceof Error ? error.message : String(error);
    sendError(res, service, 500, 'InternalFailure', `The local cloud's ${service} failed: ${reason}`);
  };

  const serveApi = (
    req: GatewayRequest,
    res: GatewayResponse,
    api: { apiId: string; path: string; prefix: string },
  ): void => {
    const origin = apis.get(api.apiId.toLowerCase());
    if (origin === undefined) {
      req.resume();
      const body = JSON.stringify({
        message: `No HTTP API with id ${api.apiId} is deployed on the local cloud`,
      });
      (res as ServerResponse).writeHead(404, {
        'content-type': 'application/json',
        'content-length': `${Buffer.byteLength(body)}`,
      });
      res.end(body);
      return;
    }
    const encrypted = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
    const extra: Array<[string, string]> = [
      ['x-forwarded-proto', encrypted ? 'https' : 'http'],
      ['x-forwarded-port', `${port}`],
    ];
    if (api.prefix !== '') extra.push(['x-forwarded-prefix', api.prefix]);
    forwardRequest(req, res, 'execute-api', origin, agent, api.path, extra);
  };

  const answerHealth = async (req: GatewayRequest, res: GatewayResponse): Promise<void> => {
    req.resume();
    let services: Record<string, ServiceState>;
    try {
      services = await options.health();
    } catch {
      services = Object.fromEntries([...served].map((s) => [s, 'error' as const]));
    }
    // Answered by the gateway itself.
    services.sts ??= 'running';
    const body = JSON.stringify({ services, edition: 'community', version: 'streamfeatures-local' });
    (res as ServerResponse).writeHead(200, {
      'content-type': 'application/json',
      'content-length': `${Buffer.byteLength(body)}`,
    });
    if (req.method === 'HEAD') res.end();
    else res.end(body);
  };

  const http1 = http.createServer({ requestTimeout: 0 }, handle);
  const h2 = http2.createServer({}, handle);
  const secure = http2.createSecureServer(
    { cert: certificates.certificateChain, key: certificates.privateKey, allowHTTP1: true },
    handle,
  );
  secure.on('tlsClientError', () => {});
  const sockets = new Set<Socket>();
  const sessions = new Set<Http2Session>();
  for (const server of [h2, secure]) {
    server.on('session', (session: Http2Session) => {
      sessions.add(session);
      session.on('close', () => sessions.delete(session));
    });
  }

  const onConnection = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      socket.unshift(chunk);
      if (chunk[0] === TLS_HANDSHAKE) {
        // The TLS server reads what is already buffered on the socket first, then tells HTTP/2 from
        // HTTP/1.1 by ALPN.
        secure.emit('connection', socket);
        return;
      }
      const n = Math.min(chunk.length, HTTP2_PREFACE.length);
      if (chunk.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n))) {
        // The HTTP/2 session reads what is already buffered on the socket, then the socket itself.
        h2.emit('connection', socket);
      } else {
        http1.emit('connection', socket);
        socket.resume();
      }
    });
  };

  const listeners: NetServer[] = [];
  const listen = (port: number, host: string) =>
    new Promise<NetServer>((resolve, reject) => {
      // noDelay as http.Server would set it: without it, Nagle's algorithm and delayed ACKs stall responses.
      const server = createNetServer({ noDelay: true }, onConnection);
      server.once('error', reject);
      server.listen({ port, host, exclusive: true }, () => {
        server.off('error', reject);
        resolve(server);
      });
    });

  const portTaken = (port: number) =>
    new PortInUseError(
      port,
      'The local cloud',
      'Is another local cloud or LocalStack running? Stop it, or pass another --port.',
    );

  let main: NetServer;
  try {
    main = await listen(options.port, '127.0.0.1');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw portTaken(options.port);
    throw error;
  }
  listeners.push(main);
  const address = main.address();
  port = typeof address === 'object' && address !== null ? address.port : options.port;
  try {
    listeners.push(await listen(port, '::1'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      await new Promise<void>((resolve) => main.close(() => resolve()));
      throw portTaken(port);
    }
    // No IPv6 loopback here (EADDRNOTAVAIL, EAFNOSUPPORT): 127.0.0.1 alone it is.
  }

  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    tlsEndpoint: `https://127.0.0.1:${port}`,
    caCertificate: certificates.caCertificate,
    route(service: string, origin: string) {
      served.add(service);
      routes.set(service, new URL(origin));
    },
    routeApi(apiId: string, origin: string) {
      apis.set(apiId.toLowerCase(), new URL(origin));
    },
    unrouteApi(apiId: string) {
      apis.delete(apiId.toLowerCase());
    },
    apiEndpoint(apiId: string) {
      return executeApiUrl(`http://127.0.0.1:${port}`, apiId);
    },
    close() {
      closing ??= (async () => {
        const closed = listeners.map(
          (server) => new Promise<void>((resolve) => server.close(() => resolve())),
        );
        for (const session of sessions) session.destroy();
        for (const socket of sockets) socket.destroy();
        http1.close();
        h2.close();
        secure.close();
        agent.destroy();
        await Promise.all(closed);
      })();
      return closing;
    },
  };
}
