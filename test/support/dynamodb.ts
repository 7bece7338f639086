import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createOnlineStoreTable } from '../../adapters/online-store/table.js';
import { startDynamoDbLocal } from '../../packages/local-cloud/src/dynamodb-local.js';

export interface DynamoForTests {
  client: DynamoDBClient;
  endpoint: string;
  /** Destroys the client and, when we started DynamoDB Local, stops it. */
  stop(): Promise<void>;
}

/**
 * A DynamoDB for tests: the endpoint in `AWS_ENDPOINT_URL` when set (e.g. LocalStack; credentials from
 * the usual env variables or `test`/`test`), otherwise a fresh in-memory DynamoDB Local.
 */
export async function dynamoForTests(): Promise<DynamoForTests> {
  const external = process.env.AWS_ENDPOINT_URL;
  if (external !== undefined && external !== '') {
    const sessionToken = process.env.AWS_SESSION_TOKEN;
    const client = new DynamoDBClient({
      endpoint: external,
      region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      credentials: {
        accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'test',
        secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
        ...(sessionToken ? { sessionToken } : {}),
      },
    });
    return {
      client,
      endpoint: external,
      stop: async () => client.destroy(),
    };
  }

  const local = await startDynamoDbLocal();
  const client = new DynamoDBClient({
    endpoint: local.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    client,
    endpoint: local.endpoint,
    stop: async () => {
      client.destroy();
      await local.stop();
    },
  };
}

/** Creates an online-store table (a unique random name by default) and waits until it is active. */
export async function createTestTable(client: DynamoDBClient, name?: string): Promise<string> {
  return createOnlineStoreTable(
    client,
    name ?? `sf-test-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`,
  );
}
