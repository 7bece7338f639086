import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../src/emulator-process.js';
import { type Gateway, serviceForRequest, startGateway } from '../../src/gateway.js';

/** What a stand-in emulator received. */
interface Received {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Buffer;
}

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

describe('local cloud gateway', () => {
  let gateway: Gateway;
  let backend: Server;
  let backendOrigin: string;
  const received: Received[] = [];
  /** Set by the streaming test: called with each body chunk as it reaches the backend. */
  let onChunk: ((chunk: Buffer) => void) | undefined;

  beforeAll(async () => {
    backend = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        onChunk?.(chunk);
      });
      req.on('end', () => {
        const headers: Record<string, string> = {};
        for (let i = 0; i < req.rawHeaders.length; i += 2) {
          headers[(req.rawHeaders[i] as string).toLowerCase()] = req.rawHeaders[i + 1] as string;
        }
        received.push({ method: req.method ?? '', url: req.url ?? '', headers, body: Buffer.concat(chunks) });
        const body = Buffer.alloc(256 * 1024, 'x');
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-backend': 'yes' });
        res.end(req.url === '/big' ? body : '{}');
      });
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    const address = backend.address();
    backendOrigin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    gateway = await startGateway({
      port: 0,
      services: ['kinesis', 'dynamodb', 's3', 'sqs'],
      health: async () => ({ kinesis: 'running', dynamodb: 'running', s3: 'starting', sqs: 'running' }),
    });
    gateway.route('kinesis', backendOrigin);
    gateway.route('dynamodb', backendOrigin);
    gateway.route('s3', backendOrigin);
  });

  afterAll(async () => {
    await gateway?.close();
    await new Promise<void>((resolve) => backend?.close(() => resolve()));
  });

  it('tells services apart by X-Amz-Target, then credential scope, then falls back to S3', () => {
    const scope = (service: string) => ({
      authorization: `AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=00`,
    });
    expect(serviceForRequest('/', { 'x-amz-target': 'Kinesis_20131202.PutRecords' })).toBe('kinesis');
    expect(serviceForRequest('/', { 'x-amz-target': 'DynamoDB_20120810.GetItem' })).toBe('dynamodb');
    expect(serviceForRequest('/', { 'x-amz-target': 'DynamoDBStreams_20120810.GetRecords' })).toBe(
      'dynamodb',
    );
    expect(serviceForRequest('/', { 'x-amz-target': 'AmazonSQS.SendMessage' })).toBe('sqs');
    expect(serviceForRequest('/', scope('sqs'))).toBe('sqs'); // query protocol: no target
    expect(serviceForRequest('/', scope('sns'))).toBe('sns');
    expect(serviceForRequest('/bucket/key', scope('s3'))).toBe('s3');
    expect(serviceForRequest('/2015-03-31/functions', scope('lambda'))).toBe('lambda');
    const presigned =
      '/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F20250101%2Fus-east-1%2Fs3%2Faws4_request';
    expect(serviceForRequest(presigned, {})).toBe('s3');
    expect(serviceForRequest('/bucket/key', {})).toBe('s3');
    expect(serviceForRequest('/key', { host: 'bucket.s3.localhost:4566' })).toBe('s3');
  });

  it('passes what SigV4 signs unchanged, over HTTP/1.1 (DynamoDB client) and HTTP/2 (Kinesis client)', async () => {
    for (const client of [
      new DynamoDBClient({ endpoint: gateway.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 }),
      new KinesisClient({ endpoint: gateway.endpoint, region: 'eu-west-1', credentials, maxAttempts: 1 }),
    ]) {
      let sent: { method: string; path: string; headers: Record<string, string>; body: unknown } | undefined;
      client.middlewareStack.add(
        (next) => async (args) => {
          sent = args.request as typeof sent;
          return next(args);
        },
        { step: 'deserialize', name: 'captureSignedRequest' },
      );
      received.length = 0;
      const command =
        client instanceof DynamoDBClient
          ? new ListTablesCommand({ Limit: 5 })
          : new ListStreamsCommand({ Limit: 5 });
      await (client as DynamoDBClient).send(command as ListTablesCommand).catch(() => {});
      client.destroy();

      expect(sent).toBeDefined();
      expect(received).toHaveLength(1);
      const got = received[0] as Received;
      const signedHeaders =
        /SignedHeaders=([^,]+)/.exec(sent?.headers.authorization ?? '')?.[1]?.split(';') ?? [];
      expect(signedHeaders).toContain('x-amz-date');
      expect(signedHeaders.filter((h) => h === 'host' || h === ':authority')).toHaveLength(1);
      for (const name of [...signedHeaders, 'authorization']) {
        const sentValue = Object.entries(sent?.headers ?? {}).find(([k]) => k.toLowerCase() === name)?.[1];
        // Over HTTP/2 the SDK signs the pseudo-header :authority (the host); HTTP/1.1 carries it as Host.
        const receivedName = name === ':authority' ? 'host' : name;
        expect({ name, value: got.headers[receivedName] }).toEqual({ name, value: sentValue });
      }
      expect(got.method).toBe(sent?.method);
      expect(got.url).toBe(sent?.path);
      const sentBody = sent?.body;
      expect(got.body.toString()).toBe(
        typeof sentBody === 'string' ? sentBody : new TextDecoder().decode(sentBody as Uint8Array),
      );
    }
  });

  it('streams a request body to the emulator while the client is still sending it', async () => {
    const firstChunkArrived = new Promise<void>((resolve) => {
      onChunk = () => resolve();
    });
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${gateway.endpoint}/bucket/streamed`, { method: 'PUT' }, (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write(Buffer.alloc(64 * 1024, 'a'));
      // The rest is sent only once the first chunk has reached the emulator: a gateway that held the body
      // until it had all of it would never get there (and the test would time out).
      void firstChunkArrived.then(() => req.end(Buffer.alloc(64 * 1024, 'b')));
    });
    const result = await answer;
    onChunk = undefined;
    expect(result.status).toBe(200);
    expect(received.at(-1)?.body.length).toBe(128 * 1024);
    expect(received.at(-1)?.headers['transfer-encoding']).toBe('chunked');
  });

  it('streams responses back, keeping status and headers', async () => {
    const response = await fetch(`${gateway.endpoint}/big`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-backend')).toBe('yes');
    expect((await response.arrayBuffer()).byteLength).toBe(256 * 1024);
  });

  it('answers /_localstack/health itself', async () => {
    const response = await fetch(`${gateway.endpoint}/_localstack/health`);
    expect(await response.json()).toMatchObject({
      services: { kinesis: 'running', dynamodb: 'running', s3: 'starting', sqs: 'running' },
    });
  });

  it('says which service it does not serve (501), is still starting (503) or does not answer (502)', async () => {
    const scoped = (service: string) => ({
      authorization: `AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=00`,
    });
    const lambda = await fetch(`${gateway.endpoint}/2015-03-31/functions`, { headers: scoped('lambda') });
    expect(lambda.status).toBe(501);
    expect(await lambda.text()).toContain('does not serve lambda');

    const sqs = await fetch(gateway.endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'AmazonSQS.ListQueues', 'content-type': 'application/x-amz-json-1.0' },
      body: '{}',
    });
    expect(sqs.status).toBe(503);
    expect((await sqs.json()) as unknown).toMatchObject({
      message: expect.stringContaining('sqs is still starting'),
    });

    const closedPort = await findFreePort();
    gateway.route('sqs', `http://127.0.0.1:${closedPort}`);
    const down = await fetch(gateway.endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'AmazonSQS.ListQueues', 'content-type': 'application/x-amz-json-1.0' },
      body: '{}',
    });
    expect(down.status).toBe(502);
    expect(await down.text()).toContain(`sqs emulator at http://127.0.0.1:${closedPort} did not answer`);
  });

  it('names the port when it is taken', async () => {
    const port = await findFreePort();
    const blocker = createNetServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      await expect(startGateway({ port, services: [], health: async () => ({}) })).rejects.toThrow(
        new RegExp(`port ${port}: the port is already in use`),
      );
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
