import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  type DynamoDBClient,
  GetItemCommand,
  type KeysAndAttributes,
} from '@aws-sdk/client-dynamodb';
import type { CapacityMeter } from './capacity.js';

/** BatchGetItem takes at most this many keys a call. */
const BATCH_GET_LIMIT = 100;
const MAX_UNPROCESSED_ROUNDS = 8;

/**
 * Reads items by key in as few round trips as BatchGetItem allows (one call per 100 keys, in parallel),
 * following UnprocessedKeys with backoff. Returns the items found, by pk.
 */
export async function batchGetItems(
  client: DynamoDBClient,
  tableName: string,
  keys: readonly string[],
  meter: CapacityMeter,
  options: { consistent?: boolean; projection?: string } = {},
): Promise<Map<string, Record<string, AttributeValue>>> {
  const found = new Map<string, Record<string, AttributeValue>>();
  const unique = [...new Set(keys)];
  const chunks: string[][] = [];
  for (let i = 0; i < unique.length; i += BATCH_GET_LIMIT) chunks.push(unique.slice(i, i + BATCH_GET_LIMIT));
  await Promise.all(
    chunks.map(async (chunk) => {
      let request: KeysAndAttributes | undefined = {
        Keys: chunk.map((pk) => ({ pk: { S: pk } })),
        ConsistentRead: options.consistent ?? false,
        ...(options.projection ? { ProjectionExpression: options.projection } : {}),
      };
      for (let round = 0; request?.Keys?.length; round++) {
        if (round > MAX_UNPROCESSED_ROUNDS)
          throw new Error(`BatchGetItem left keys unprocessed after ${round} rounds`);
        if (round > 0) await sleep(25 * 2 ** round);
        const response: BatchGetItemCommandOutput = await client.send(
          new BatchGetItemCommand({
            RequestItems: { [tableName]: request },
            ReturnConsumedCapacity: 'TOTAL',
          }),
        );
        meter.record('read', response.ConsumedCapacity);
        for (const item of response.Responses?.[tableName] ?? []) found.set(item.pk?.S as string, item);
        request = response.UnprocessedKeys?.[tableName];
      }
    }),
  );
  return found;
}

/** A strongly consistent read of one item: after a write lost a race, read what won. */
export async function getItemConsistent(
  client: DynamoDBClient,
  tableName: string,
  key: string,
  meter: CapacityMeter,
): Promise<Record<string, AttributeValue> | undefined> {
  const response = await client.send(
    new GetItemCommand({
      TableName: tableName,
      Key: { pk: { S: key } },
      ConsistentRead: true,
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  meter.record('read', response.ConsumedCapacity);
  return response.Item;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
