/**
 * How the endpoint passes a request on to an emulator, and answers an error itself: bodies stream both ways,
 * request headers pass unchanged (Host included) except the hop-by-hop ones, none of which SigV4 signs.
 */

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { pipeline } from 'node:stream';

export type GatewayRequest = IncomingMessage | Http2ServerRequest;
export type GatewayResponse = ServerResponse | Http2ServerResponse;

/** Connection-level headers: never forwarded (and forbidden in HTTP/2). SigV4 signs none of them. */
export const HOP_BY_HOP_REQUEST = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'expect',
]);
export const HOP_BY_HOP_RESPONSE = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'transfer-encoding',
]);

/** Services whose errors are XML (REST-XML and query protocols); the others speak JSON. */
const XML_SERVICES = new Set(['s3', 'sns', 'sts', 'monitoring']);

export function sendError(
  res: GatewayResponse,
  service: string,
  status: number,
  code: string,
  message: string,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const xml = XML_SERVICES.has(service);
  const body = xml
    ? `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>`
    : JSON.stringify({ __type: code, message });
  const headers = {
    'content-type': xml ? 'application/xml' : 'application/x-amz-json-1.0',
    'content-length': `${Buffer.byteLength(body)}`,
    'x-amzn-errortype': code,
  };
  (res as ServerResponse).writeHead(status, headers);
  res.end(body);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Streams `req` to the emulator at `origin` and its answer back (HTTP/1.1 upstream, kept alive by `agent`);
 * `extra` headers replace the client's of the same names. An emulator not answering is a 502 naming it.
 */
export function forwardRequest(
  req: GatewayRequest,
  res: GatewayResponse,
  service: string,
  origin: URL,
  agent: http.Agent,
  path: string = req.url ?? '/',
  extra: ReadonlyArray<[string, string]> = [],
): void {
  const headers: string[] = [];
  let hasHost = false;
  const replaced = new Set(extra.map(([name]) => name));
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const lower = name.toLowerCase();
    if (lower.startsWith(':') || HOP_BY_HOP_REQUEST.has(lower) || replaced.has(lower)) continue;
    if (lower === 'host') hasHost = true;
    headers.push(name, raw[i + 1] as string);
  }
  const authority = req.headers[':authority'];
  if (!hasHost && typeof authority === 'string') headers.push('host', authority);
  for (const [name, value] of extra) headers.push(name, value);

  const upstream = http.request({
    protocol: origin.protocol,
    hostname: origin.hostname,
    port: origin.port,
    method: req.method,
    path,
    headers,
    setHost: false,
    agent,
  });
  upstream.on('response', (upstreamRes) => {
    const status = upstreamRes.statusCode ?? 502;
    if (req.httpVersionMajor >= 2) {
      const out: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(upstreamRes.headers)) {
        if (value !== undefined && !HOP_BY_HOP_RESPONSE.has(name)) out[name] = value;
      }
      (res as Http2ServerResponse).writeHead(status, out);
    } else {
      const out: string[] = [];
      const rawOut = upstreamRes.rawHeaders;
      for (let i = 0; i + 1 < rawOut.length; i += 2) {
        if (!HOP_BY_HOP_RESPONSE.has((rawOut[i] as string).toLowerCase()))
          out.push(rawOut[i] as string, rawOut[i + 1] as string);
      }
      (res as ServerResponse).writeHead(status, upstreamRes.statusMessage, out);
    }
    pipeline(upstreamRes, res as NodeJS.WritableStream, () => {});
  });
  upstream.on('error', (error) => {
    if (res.headersSent || res.writableEnded) {
      res.destroy();
      return;
    }
    sendError(
      res,
      service,
      502,
      'BadGateway',
      `The local cloud's ${service} emulator at ${origin.origin} did not answer: ${error.message}`,
    );
  });
  // The client went away before the answer was complete: drop the upstream request too.
  let answered = false;
  res.on('finish', () => {
    answered = true;
  });
  res.on('close', () => {
    if (!answered) upstream.destroy();
  });
  pipeline(req as NodeJS.ReadableStream, upstream, (error) => {
    if (error) upstream.destroy();
  });
}
