import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { createDynamoDbClient, DYNAMODB_CLIENT_OPTIONS } from '../../adapters/dynamodb-client.js';
import { CANNED_DYNAMODB } from '../support/canned-dynamodb.js';

describe("the product's DynamoDB client", () => {
  it("resolves its middleware once per command class and keeps the SDK's retries for DynamoDB", async () => {
    const client = createDynamoDbClient(CANNED_DYNAMODB);
    const sdkDefaults = new DynamoDBClient(CANNED_DYNAMODB);
    expect(client.config.cacheMiddleware).toBe(DYNAMODB_CLIENT_OPTIONS.cacheMiddleware);
    expect(client.config.cacheMiddleware).toBe(true);
    expect(sdkDefaults.config.cacheMiddleware).toBeFalsy();
    expect(await client.config.maxAttempts()).toBe(await sdkDefaults.config.maxAttempts());
    expect(await client.config.maxAttempts()).toBeGreaterThan(1);
    const mode = async (c: DynamoDBClient) => {
      const value = c.config.retryMode;
      return typeof value === 'function' ? value() : value;
    };
    expect(await mode(client)).toBe(await mode(sdkDefaults));
    client.destroy();
    sdkDefaults.destroy();
  });

  it('takes the caller’s settings beside its own', async () => {
    const client = createDynamoDbClient({ ...CANNED_DYNAMODB, region: 'eu-west-1', maxAttempts: 5 });
    expect(await client.config.region()).toBe('eu-west-1');
    expect(await client.config.maxAttempts()).toBe(5);
    expect(client.config.cacheMiddleware).toBe(true);
    client.destroy();
  });

  it('runs middleware added before the first call on every call, each with its own input', async () => {
    const client = createDynamoDbClient(CANNED_DYNAMODB);
    const seen: string[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Key?: { pk?: { S?: string } }; Item?: { pk?: { S?: string } } };
        seen.push(`${context.commandName} ${(input.Key ?? input.Item)?.pk?.S}`);
        return next(args);
      },
      { step: 'initialize', name: 'recordCalls' },
    );
    const keys = ['a', 'b', 'c', 'd'];
    // Calls in flight together share the command class's one resolved handler.
    await Promise.all(
      keys.flatMap((k) => [
        client.send(new PutItemCommand({ TableName: 't', Item: { pk: { S: k } } })),
        client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: k } } })),
      ]),
    );
    expect(seen.sort()).toEqual(keys.flatMap((k) => [`GetItemCommand ${k}`, `PutItemCommand ${k}`]).sort());
    client.destroy();
  });
});
