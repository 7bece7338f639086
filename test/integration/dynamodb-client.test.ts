import {
  BatchGetItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbClient } from '../../adapters/dynamodb-client.js';
import { createTestTable, type DynamoForTests, dynamoForTests } from '../support/dynamodb.js';

let dynamo: DynamoForTests;
let client: DynamoDBClient;
let table: string;
beforeAll(async () => {
  dynamo = await dynamoForTests();
  client = createDynamoDbClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  table = await createTestTable(dynamo.client);
});
afterAll(async () => {
  client?.destroy();
  await dynamo?.stop();
});

const key = (i: number) => `card#c${i}`;
const put = (i: number, version: number) =>
  new PutItemCommand({
    TableName: table,
    Item: { pk: { S: key(i) }, v: { N: String(version) } },
    ConditionExpression: 'attribute_not_exists(pk)',
  });

describe("the product's DynamoDB client on DynamoDB Local", () => {
  it('gives each of many calls in flight together its own answer: refused conditional puts, reads', async () => {
    const keys = Array.from({ length: 60 }, (_, i) => i);
    const existing = keys.filter((i) => i % 3 === 0);
    await Promise.all(existing.map((i) => client.send(put(i, 1))));

    // Every key at once: the existing ones must be refused by their condition, the others created; reads and a
    // BatchGetItem interleave with them on the same cached handlers.
    const [puts, gets, batch] = await Promise.all([
      Promise.allSettled(keys.map((i) => client.send(put(i, 2)))),
      Promise.all(
        existing.map((i) =>
          client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: key(i) } } })),
        ),
      ),
      client.send(
        new BatchGetItemCommand({
          RequestItems: { [table]: { Keys: existing.map((i) => ({ pk: { S: key(i) } })) } },
        }),
      ),
    ]);

    const refused = keys.filter((i) => {
      const outcome = puts[i] as PromiseSettledResult<unknown>;
      return (
        outcome.status === 'rejected' && (outcome.reason as Error).name === 'ConditionalCheckFailedException'
      );
    });
    const created = keys.filter((i) => puts[i]?.status === 'fulfilled');
    expect(refused).toEqual(existing);
    expect(created).toEqual(keys.filter((i) => i % 3 !== 0));
    expect(gets.map((g) => g.Item?.pk?.S)).toEqual(existing.map(key));
    expect(gets.map((g) => g.Item?.v?.N)).toEqual(existing.map(() => '1'));
    expect((batch.Responses?.[table] ?? []).map((item) => item.pk?.S).sort()).toEqual(
      existing.map(key).sort(),
    );
  });
});
