/** The node:http boilerplate the local emulators share: listen on 127.0.0.1, read bodies, answer JSON, stop. */

import http, { type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ListeningServer {
  readonly server: http.Server;
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
}

/** Starts a server on 127.0.0.1 (port 0 picks a free one); the handler's promise is not awaited. */
export async function listenLocal(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  options: { readonly port?: number; readonly keepAliveTimeout?: number } = {},
): Promise<ListeningServer> {
  const server = http.createServer((req, res) => void handler(req, res));
  if (options.keepAliveTimeout !== undefined) server.keepAliveTimeout = options.keepAliveTimeout;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port ?? 0, host: '127.0.0.1' }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return { server, port, origin: `http://127.0.0.1:${port}` };
}

/** Stops listening and drops every open connection. */
export function closeServer(server: http.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * The request body; undefined when it is larger than `limit` bytes (the rest is read and dropped). With
 * `overflow`, a body past the limit instead destroys the request and rejects with that error.
 */
export function readBody(
  req: IncomingMessage,
  limit: number,
  overflow?: () => Error,
): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
      } else if (overflow) {
        req.destroy();
        reject(overflow());
      }
    });
    req.on('end', () => resolve(size <= limit ? Buffer.concat(chunks) : undefined));
    req.on('error', reject);
  });
}

/** Answers `body` as JSON (content type `application/json` unless `headers` names another). */
export function sendJson(
  res: ServerResponse,
  statusCode: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(statusCode, {
    'content-type': 'application/json',
    ...headers,
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
