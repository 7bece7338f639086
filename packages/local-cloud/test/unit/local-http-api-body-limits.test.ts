/**
 * The local HTTP API's answers to big bodies, as API Gateway gives them: over the HTTP API payload quota (10 MB)
 * 413; an event over Lambda's synchronous invocation limit (6 MB) 500, the function never invoked.
 */
import { request } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalHttpApi } from '../../src/http-api.js';
import { MAX_PAYLOAD_BYTES } from '../../src/lambda/function.js';

const MB = 1024 * 1024;
let api: LocalHttpApi;
const invoked: APIGatewayProxyEventV2[] = [];

beforeAll(async () => {
  api = await new LocalHttpApi({
    routes: [
      {
        routeKey: 'POST /score',
        invoke: async (event) => {
          invoked.push(event);
          return { statusCode: 200, body: JSON.stringify({ bodyBytes: event.body?.length ?? 0 }) };
        },
      },
    ],
  }).start();
});
afterAll(async () => {
  await api?.stop();
});

function post(body: Buffer, contentType: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL('/score', api.url),
      { method: 'POST', headers: { 'content-type': contentType, 'content-length': body.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    // The server may answer 413 before it has read the whole body and close the connection.
    req.on('error', reject);
    req.end(body);
  });
}

/** A JSON body of `bytes` bytes. */
const jsonOf = (bytes: number) => Buffer.from(JSON.stringify({ pad: 'x'.repeat(bytes - 10) }));

describe('request bodies the local HTTP API passes on, as API Gateway does', () => {
  it('invokes the function with a body whose event fits in 6 MB', async () => {
    const before = invoked.length;
    const answer = await post(jsonOf(5 * MB), 'application/json');
    expect(answer.status).toBe(200);
    expect(invoked.length).toBe(before + 1);
  });

  it('answers 500 without invoking the function when the event is over 6 MB (the Lambda API refuses it)', async () => {
    const before = invoked.length;
    for (const size of [MAX_PAYLOAD_BYTES + 1, 8 * MB, 10 * MB]) {
      const answer = await post(jsonOf(size), 'application/json');
      expect(answer, `${size} bytes`).toEqual({ status: 500, body: '{"message":"Internal Server Error"}' });
    }
    expect(invoked.length).toBe(before);
  });

  it('counts a binary body as the event carries it, in base64 (5 MB becomes 6.7 MB)', async () => {
    const before = invoked.length;
    const answer = await post(Buffer.alloc(5 * MB, 7), 'application/octet-stream');
    expect(answer).toEqual({ status: 500, body: '{"message":"Internal Server Error"}' });
    expect(invoked.length).toBe(before);
  });

  it('answers 413 to a body over the HTTP API payload quota of 10 MB', async () => {
    const answer = await post(jsonOf(10 * MB + 1), 'application/json');
    expect(answer).toEqual({ status: 413, body: '{"message":"Request Entity Too Large"}' });
  });
});
