import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DynamoDbLocal,
  findFreePort,
  startDynamoDbLocal,
} from '../../packages/local-cloud/src/dynamodb-local.js';
import { createTestTable, dynamoForTests } from '../support/dynamodb.js';

/** Pids of live DynamoDB Local java processes started with `-port <port>`, read from /proc. */
function dynamoDbLocalPids(port: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // exited meanwhile
    }
    const portIndex = args.indexOf('-port');
    if (
      args.some((a) => a.endsWith('DynamoDBLocal.jar')) &&
      portIndex >= 0 &&
      args[portIndex + 1] === `${port}`
    ) {
      pids.push(Number(entry));
    }
  }
  return pids;
}

const TIMEOUT = 60_000;

describe.runIf(process.platform === 'linux')('DynamoDB Local', () => {
  let local: DynamoDbLocal;
  let startupMs = 0;

  beforeAll(async () => {
    const started = performance.now();
    local = await startDynamoDbLocal();
    startupMs = performance.now() - started;
    console.log(`DynamoDB Local ready on ${local.endpoint} in ${Math.round(startupMs)} ms`);
  }, TIMEOUT);

  afterAll(async () => {
    await local?.stop();
  }, TIMEOUT);

  it(
    'serves a table: put then get an item',
    async () => {
      expect(local.endpoint).toBe(`http://127.0.0.1:${local.port}`);
      expect(dynamoDbLocalPids(local.port)).toHaveLength(1);

      const client = new DynamoDBClient({
        endpoint: local.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      try {
        const table = await createTestTable(client);
        await client.send(
          new PutItemCommand({ TableName: table, Item: { pk: { S: 'card#1' }, amount: { N: '42.5' } } }),
        );
        const got = await client.send(
          new GetItemCommand({ TableName: table, Key: { pk: { S: 'card#1' } }, ConsistentRead: true }),
        );
        expect(got.Item).toEqual({ pk: { S: 'card#1' }, amount: { N: '42.5' } });
      } finally {
        client.destroy();
      }
    },
    TIMEOUT,
  );

  it(
    'stop() leaves no java process behind and is idempotent',
    async () => {
      const other = await startDynamoDbLocal();
      expect(dynamoDbLocalPids(other.port)).toHaveLength(1);
      await other.stop();
      expect(dynamoDbLocalPids(other.port)).toEqual([]);
      await other.stop();
    },
    TIMEOUT,
  );

  it(
    'fails with a message naming the port when the port is taken',
    async () => {
      const port = await findFreePort();
      const blocker: Server = createServer();
      await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
      try {
        await expect(startDynamoDbLocal({ port })).rejects.toThrow(new RegExp(`port ${port}\\b.*in use`));
        expect(dynamoDbLocalPids(port)).toEqual([]);
      } finally {
        await new Promise<void>((resolve) => blocker.close(() => resolve()));
      }
    },
    TIMEOUT,
  );

  it('says that Java 17 is needed when java is not on PATH', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(startDynamoDbLocal()).rejects.toThrow(/Java 17.*openjdk-17-jre-headless/s);
    } finally {
      process.env.PATH = path;
    }
  });

  it(
    'dynamoForTests() gives a working client and cleans up',
    async () => {
      const dynamo = await dynamoForTests();
      try {
        const table = await createTestTable(dynamo.client, 'explicit-name');
        expect(table).toBe('explicit-name');
      } finally {
        await dynamo.stop();
      }
      if (!process.env.AWS_ENDPOINT_URL) {
        const port = Number(new URL(dynamo.endpoint).port);
        expect(dynamoDbLocalPids(port)).toEqual([]);
      }
    },
    TIMEOUT,
  );
});
