import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  waitUntilStreamExists,
} from '@aws-sdk/client-kinesis';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findFreePort,
  isSameProcess,
  listProcesses,
} from '../../packages/local-cloud/src/emulator-process.js';
import { startKinesisMock } from '../../packages/local-cloud/src/kinesis-mock.js';
import {
  type LocalCloud,
  localCloudClientEnv,
  localCloudStatus,
  startLocalCloud,
} from '../../packages/local-cloud/src/local-cloud.js';
import { CLI, runCli } from '../support/cli.js';

/**
 * The local cloud as a client sees it: the SDK v3 clients get nothing but AWS_ENDPOINT_URL, dummy credentials
 * and a region from the environment (S3 adds forcePathStyle). With AWS_ENDPOINT_URL already set (LocalStack),
 * the service tests run against that endpoint and the tests of our own processes are skipped.
 */

const external = process.env.AWS_ENDPOINT_URL ? process.env.AWS_ENDPOINT_URL : undefined;
const onLinux = process.platform === 'linux';
const TIMEOUT = 60_000;
const unique = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

/**
 * Emulator processes this test process started (detached, they are still its children): other test files
 * running at the same time have emulators of their own.
 */
function ourEmulatorPids(): number[] {
  return listProcesses()
    .filter(
      (p) =>
        p.ppid === process.pid &&
        /kinesis-local\/main\.js|DynamoDBLocal\.jar|fauxqs\/dist\/app\.js/.test(p.args),
    )
    .map((p) => p.pid)
    .sort((a, b) => a - b);
}

const mib = (n: number) => n * 1024 * 1024;

describe('local cloud', () => {
  let cloud: LocalCloud | undefined;
  let stateDir: string;
  const savedEnv: Record<string, string | undefined> = {};

  beforeAll(async () => {
    let endpoint = external;
    if (endpoint === undefined) {
      stateDir = mkdtempSync(join(tmpdir(), 'streamfeatures-local-cloud-'));
      cloud = await startLocalCloud({ port: 0, stateDir });
      endpoint = cloud.endpoint;
      const rss = new Map(listProcesses().map((p) => [p.pid, p.rssBytes]));
      const each = cloud.emulators
        .map(
          (e) => `${e.name} ready in ${e.readyMs} ms, ${Math.round((rss.get(e.pid) ?? 0) / 2 ** 20)} MB RSS`,
        )
        .join('; ');
      console.log(`local cloud up at ${endpoint} in ${cloud.startupMs} ms: ${each}`);
    }
    const env = external === undefined ? localCloudClientEnv(endpoint) : { AWS_ENDPOINT_URL: endpoint };
    for (const [name, value] of Object.entries({
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
      ...env,
    })) {
      savedEnv[name] = process.env[name];
      process.env[name] ??= value;
      if (name === 'AWS_ENDPOINT_URL') process.env[name] = value;
    }
  }, TIMEOUT);

  afterAll(async () => {
    await cloud?.stop();
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }, TIMEOUT);

  it(
    'Kinesis: a 2-shard stream, ACTIVE at once; PutRecords; GetRecords gives them back with arrival times',
    async () => {
      const kinesis = new KinesisClient({});
      try {
        const StreamName = `sf-${unique}`;
        await kinesis.send(new CreateStreamCommand({ StreamName, ShardCount: 2 }));
        await waitUntilStreamExists({ client: kinesis, maxWaitTime: 30 }, { StreamName });
        const onDemand = `sf-od-${unique}`;
        await kinesis.send(
          new CreateStreamCommand({ StreamName: onDemand, StreamModeDetails: { StreamMode: 'ON_DEMAND' } }),
        );
        await waitUntilStreamExists({ client: kinesis, maxWaitTime: 30 }, { StreamName: onDemand });

        const before = Date.now();
        const records = Array.from({ length: 40 }, (_, i) => ({
          PartitionKey: `card-${i}`,
          Data: Buffer.from(JSON.stringify({ i })),
        }));
        const put = await kinesis.send(new PutRecordsCommand({ StreamName, Records: records }));
        const after = Date.now();
        expect(put.FailedRecordCount ?? 0).toBe(0);

        const shards = (await kinesis.send(new ListShardsCommand({ StreamName }))).Shards ?? [];
        expect(shards).toHaveLength(2);
        const got: _Record[] = [];
        for (const shard of shards) {
          const { ShardIterator } = await kinesis.send(
            new GetShardIteratorCommand({
              StreamName,
              ShardId: shard.ShardId,
              ShardIteratorType: 'TRIM_HORIZON',
            }),
          );
          const page = await kinesis.send(new GetRecordsCommand({ ShardIterator, Limit: 1000 }));
          expect(page.Records?.length ?? 0).toBeGreaterThan(0); // 40 keys hash onto both shards
          got.push(...(page.Records ?? []));
        }
        expect(
          got.map((r) => JSON.parse(Buffer.from(r.Data ?? []).toString()).i).sort((a, b) => a - b),
        ).toEqual(records.map((_, i) => i));
        for (const record of got) {
          const arrival = record.ApproximateArrivalTimestamp?.getTime() ?? 0;
          // Arrival times have second precision or better on the wire.
          expect(arrival).toBeGreaterThanOrEqual(before - 1_000);
          expect(arrival).toBeLessThanOrEqual(after + 1_000);
        }
      } finally {
        kinesis.destroy();
      }
    },
    TIMEOUT,
  );

  it(
    'DynamoDB: a table; put then get an item',
    async () => {
      const dynamo = new DynamoDBClient({});
      try {
        const TableName = `sf-${unique}`;
        await dynamo.send(
          new CreateTableCommand({
            TableName,
            AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
            KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
            BillingMode: 'PAY_PER_REQUEST',
          }),
        );
        await waitUntilTableExists({ client: dynamo, maxWaitTime: 30 }, { TableName });
        await dynamo.send(new PutItemCommand({ TableName, Item: { pk: { S: 'card#1' }, n: { N: '42.5' } } }));
        const got = await dynamo.send(
          new GetItemCommand({ TableName, Key: { pk: { S: 'card#1' } }, ConsistentRead: true }),
        );
        expect(got.Item).toEqual({ pk: { S: 'card#1' }, n: { N: '42.5' } });
      } finally {
        dynamo.destroy();
      }
    },
    TIMEOUT,
  );

  it(
    'S3: a bucket; put, get, ListObjectsV2 pages; a streamed 8 MiB put and a 2-part multipart upload',
    async () => {
      const s3 = new S3Client({ forcePathStyle: true });
      try {
        const Bucket = `sf-${unique}`;
        await s3.send(new CreateBucketCommand({ Bucket }));
        const keys = Array.from({ length: 25 }, (_, i) => `tiles/part-${String(i).padStart(3, '0')}.json`);
        for (const Key of keys)
          await s3.send(new PutObjectCommand({ Bucket, Key, Body: `{"key":"${Key}"}` }));

        const listed: string[] = [];
        let ContinuationToken: string | undefined;
        let pages = 0;
        do {
          const page = await s3.send(
            new ListObjectsV2Command({ Bucket, Prefix: 'tiles/', MaxKeys: 10, ContinuationToken }),
          );
          pages++;
          expect(page.KeyCount).toBe(Math.min(10, keys.length - listed.length));
          listed.push(...(page.Contents ?? []).map((o) => o.Key ?? ''));
          ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (ContinuationToken !== undefined);
        expect(pages).toBe(3);
        expect(listed).toEqual(keys);
        const one = await s3.send(new GetObjectCommand({ Bucket, Key: keys[7] }));
        expect(await one.Body?.transformToString()).toBe(`{"key":"${keys[7]}"}`);

        // A body the SDK reads from a stream (8 MiB, in 64 KiB chunks), through the gateway's stream.
        const size = mib(8);
        const hash = createHash('md5');
        const chunks = function* () {
          for (let offset = 0; offset < size; offset += 65_536) {
            const chunk = Buffer.alloc(65_536, offset % 251);
            hash.update(chunk);
            yield chunk;
          }
        };
        await s3.send(
          new PutObjectCommand({
            Bucket,
            Key: 'big.bin',
            Body: Readable.from(chunks()),
            ContentLength: size,
          }),
        );
        const big = await s3.send(new GetObjectCommand({ Bucket, Key: 'big.bin' }));
        const bytes = await big.Body?.transformToByteArray();
        expect(bytes?.length).toBe(size);
        expect(
          createHash('md5')
            .update(bytes ?? new Uint8Array())
            .digest('hex'),
        ).toBe(hash.digest('hex'));

        const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'multi.bin' }));
        const parts = [Buffer.alloc(mib(5), 1), Buffer.alloc(1000, 2)];
        const etags: string[] = [];
        for (const [i, Body] of parts.entries()) {
          const part = await s3.send(
            new UploadPartCommand({ Bucket, Key: 'multi.bin', UploadId, PartNumber: i + 1, Body }),
          );
          etags.push(part.ETag ?? '');
        }
        await s3.send(
          new CompleteMultipartUploadCommand({
            Bucket,
            Key: 'multi.bin',
            UploadId,
            MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
          }),
        );
        const multi = await s3.send(new GetObjectCommand({ Bucket, Key: 'multi.bin' }));
        expect((await multi.Body?.transformToByteArray())?.length).toBe(mib(5) + 1000);

        // Virtual-host style (bucket in the Host header), as curl or a client without forcePathStyle sends it.
        const endpoint = new URL(process.env.AWS_ENDPOINT_URL ?? '');
        if (external === undefined) {
          const body = await new Promise<string>((resolve, reject) => {
            const req = request(
              {
                host: endpoint.hostname,
                port: endpoint.port,
                path: `/${keys[0]}`,
                headers: { host: `${Bucket}.s3.localhost:${endpoint.port}` },
              },
              (res) => {
                let text = '';
                res.on('data', (c) => {
                  text += c;
                });
                res.on('end', () => resolve(text));
              },
            );
            req.on('error', reject);
            req.end();
          });
          expect(body).toBe(`{"key":"${keys[0]}"}`);
        }
      } finally {
        s3.destroy();
      }
    },
    TIMEOUT,
  );

  it(
    'SQS: a queue; send, receive, delete',
    async () => {
      const sqs = new SQSClient({});
      try {
        const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `sf-${unique}` }));
        // The URL points back at the endpoint the client used (the SDK sends SQS calls to the queue URL's origin).
        if (external === undefined)
          expect(QueueUrl).toBe(`${process.env.AWS_ENDPOINT_URL}/000000000000/sf-${unique}`);
        await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: '{"quarantined":1}' }));
        const received = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        expect(received.Messages?.map((m) => m.Body)).toEqual(['{"quarantined":1}']);
        await sqs.send(
          new DeleteMessageCommand({ QueueUrl, ReceiptHandle: received.Messages?.[0]?.ReceiptHandle }),
        );
        const attributes = await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
          }),
        );
        expect(attributes.Attributes).toMatchObject({
          ApproximateNumberOfMessages: '0',
          ApproximateNumberOfMessagesNotVisible: '0',
        });
      } finally {
        sqs.destroy();
      }
    },
    TIMEOUT,
  );

  it('answers /_localstack/health like LocalStack, from probes of each emulator', async () => {
    const response = await fetch(`${process.env.AWS_ENDPOINT_URL}/_localstack/health`);
    expect(response.status).toBe(200);
    const { services } = (await response.json()) as { services: Record<string, string> };
    const served = ['kinesis', 'dynamodb', 's3', 'sqs'];
    // Ours, in this process: every service the cloud serves is listed.
    if (external === undefined) served.push('sns', 'sts', 'cloudformation', 'ssm', 'firehose', 'sagemaker');
    for (const service of served) expect([service, services[service]]).toEqual([service, 'running']);
  });

  describe.runIf(external === undefined && onLinux)('its processes', () => {
    it('records itself in the state directory, where status finds it', async () => {
      const status = await localCloudStatus(stateDir);
      expect(status).toMatchObject({
        up: true,
        running: true,
        endpoint: cloud?.endpoint,
        ownerPid: process.pid,
      });
      expect(status.emulators.map((e) => [e.name, e.running])).toEqual([
        ['kinesis-mock', true],
        ['DynamoDB Local', true],
        ['fauxqs', true],
      ]);
      expect(existsSync(join(stateDir, 'state.json'))).toBe(true);
    });

    it('names the port when it is taken, and starts nothing', async () => {
      const port = await findFreePort();
      const blocker: Server = createServer();
      await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
      const before = ourEmulatorPids();
      try {
        await expect(startLocalCloud({ port })).rejects.toThrow(
          new RegExp(`port ${port}: the port is already in use`),
        );
        expect(ourEmulatorPids()).toEqual(before);
      } finally {
        await new Promise<void>((resolve) => blocker.close(() => resolve()));
      }
    });

    it(
      'says Java 17 is needed when java is missing, and leaves nothing running',
      async () => {
        const before = ourEmulatorPids();
        const path = process.env.PATH;
        process.env.PATH = '/nonexistent';
        try {
          await expect(startLocalCloud({ port: 0 })).rejects.toThrow(
            /could not start\. DynamoDB Local needs Java 17/,
          );
        } finally {
          process.env.PATH = path;
        }
        expect(ourEmulatorPids()).toEqual(before);
      },
      TIMEOUT,
    );

    it(
      'gives the last output lines of an emulator that exits before it is ready',
      async () => {
        await expect(startKinesisMock({ operationDelay: 'soon' })).rejects.toThrow(
          /kinesis-mock exited before it was ready \(exit code 1.*\nLast stderr lines:\n.*CREATE_STREAM_DURATION with value soon/s,
        );
      },
      TIMEOUT,
    );

    it(
      'stop() ends every process it started and removes its state; a second stop() is a no-op',
      async () => {
        const started = cloud?.emulators ?? [];
        expect(started.every((e) => e.pid > 0 && isSameProcess(e.pid, undefined))).toBe(true);
        const t = performance.now();
        await cloud?.stop();
        console.log(`local cloud stopped in ${Math.round(performance.now() - t)} ms`);
        expect(started.filter((e) => isSameProcess(e.pid, undefined))).toEqual([]);
        const ports = started.map((e) => new URL(e.endpoint).port);
        expect(listProcesses().filter((p) => ports.some((port) => p.args.includes(port)))).toEqual([]);
        expect(ourEmulatorPids()).toEqual([]);
        expect(existsSync(join(stateDir, 'state.json'))).toBe(false);
        expect((await localCloudStatus(stateDir)).up).toBe(false);
        await cloud?.stop();
      },
      TIMEOUT,
    );
  });
});

const cli = (...args: string[]) => runCli(args);

// Needs the built CLI (npm test builds it first).
describe.runIf(external === undefined && onLinux && existsSync(CLI))(
  'streamfeatures local up|status|down',
  () => {
    it(
      'up starts the cloud in the background and returns; status reports it; down stops all of it, twice',
      async () => {
        const dir = mkdtempSync(join(tmpdir(), 'streamfeatures-local-cli-'));
        const up = await cli('local', 'up', '--port', '0', '--state-dir', dir);
        expect(up.stderr).toBe('');
        expect(up.code).toBe(0);
        const endpoint = /local cloud up at (http:\/\/127\.0\.0\.1:\d+)/.exec(up.stdout)?.[1];
        expect(endpoint).toBeDefined();
        expect(up.stdout).toContain(`AWS_ENDPOINT_URL=${endpoint} `);
        expect(up.stdout).toMatch(/AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1/);
        const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as {
          owner: { pid: number };
          emulators: Array<{ pid: number }>;
        };
        const pids = [state.owner.pid, ...state.emulators.map((e) => e.pid)];
        try {
          const status = await cli('local', 'status', '--state-dir', dir);
          expect(status.code).toBe(0);
          expect(status.stdout).toContain('kinesis running');
          expect(status.stdout).toContain('s3 running, sqs running');
          expect(status.stdout).toMatch(/in process .*cloudformation running/);
          expect(status.stdout).toMatch(/in process .*ssm running/);

          // --port names which cloud: another port is not this one, and down then stops nothing.
          const port = Number(new URL(endpoint as string).port);
          const otherPort = String(port === 65_535 ? port - 1 : port + 1);
          const elsewhere = await cli('local', 'status', '--port', otherPort, '--state-dir', dir);
          expect(elsewhere.code).toBe(1);
          expect(elsewhere.stdout).toContain(`not up on port ${otherPort}`);
          const refused = await cli('local', 'down', '--port', otherPort, '--state-dir', dir);
          expect(refused.code).not.toBe(0);
          expect(refused.stderr).toContain(`not on port ${otherPort}: nothing stopped`);
          expect(isSameProcess(state.owner.pid, undefined)).toBe(true);
          expect((await cli('local', 'status', '--port', String(port), '--state-dir', dir)).code).toBe(0);

          const down = await cli('local', 'down', '--port', String(port), '--state-dir', dir);
          expect(down).toMatchObject({ code: 0, stderr: '' });
          expect(down.stdout).toContain('local cloud stopped');
          expect(pids.filter((pid) => isSameProcess(pid, undefined))).toEqual([]);
          expect((await cli('local', 'down', '--state-dir', dir)).stdout).toContain(
            'local cloud is not running',
          );
          const after = await cli('local', 'status', '--state-dir', dir);
          expect(after.code).toBe(1);
          expect(after.stdout).toContain('local cloud is not up');
        } finally {
          for (const pid of pids) {
            if (isSameProcess(pid, undefined)) process.kill(pid, 'SIGKILL');
          }
        }
      },
      TIMEOUT,
    );
  },
);
