import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { mapSettled } from '../../adapters/concurrency.js';
import { WriterCalls } from '../../bench/writer-calls.js';

/** Commands as the SDK's are: told apart by their class's name. */
class PutItemCommand {
  constructor(readonly refuse = false) {}
}
class BatchGetItemCommand {}

/** A client answering each call after a different delay (so answers come back out of order), refusing some puts. */
function fakeClient(): DynamoDBClient {
  let n = 0;
  const send = (command: PutItemCommand | BatchGetItemCommand) =>
    new Promise((resolve, reject) => {
      setTimeout(
        () => {
          if (command instanceof PutItemCommand && command.refuse) {
            const error = new Error('refused');
            error.name = 'ConditionalCheckFailedException';
            reject(error);
          } else resolve({});
        },
        (n++ * 7) % 5,
      );
    });
  return { send } as unknown as DynamoDBClient;
}

/** The store's shape: one read round, then items written `concurrency` at a time, some items taking two puts. */
async function storeLikeBatch(
  client: DynamoDBClient,
  items: number,
  concurrency: number,
  twice: Set<number>,
) {
  await Promise.all([
    client.send(new BatchGetItemCommand() as never),
    client.send(new BatchGetItemCommand() as never),
  ]);
  await mapSettled(
    Array.from({ length: items }, (_, i) => i),
    concurrency,
    async (i) => {
      if (twice.has(i)) await client.send(new PutItemCommand(true) as never).catch(() => undefined);
      await client.send(new PutItemCommand() as never);
    },
  );
}

describe("the writer's round trips, counted in lock step", () => {
  it('answers the critical path of a read round and puts 3 at a time: 1 + ceil(10 / 3) rounds', async () => {
    const calls = new WriterCalls(fakeClient());
    const batch = calls.startBatch(true);
    await storeLikeBatch(calls.asClient(), 10, 3, new Set());
    expect(batch.rounds).toBe(1 + 4);
    expect(batch.byKind).toEqual({ BatchGetItem: 2, PutItem: 10 });
  });

  it('adds the round a refused put waits before its retry, on the worker it holds up', async () => {
    const calls = new WriterCalls(fakeClient());
    const batch = calls.startBatch(true);
    // Items 0-2 go first, one to each worker; item 0's refused put and its retry take two rounds, while the other
    // workers take items 3 and 4: its worker puts 0, 0, 5, 8, four rounds where 9 / 3 would be three; with the read, 5.
    await storeLikeBatch(calls.asClient(), 9, 3, new Set([0]));
    expect(batch.rounds).toBe(5);
    expect(batch.byKind).toEqual({ BatchGetItem: 2, PutItem: 9, 'PutItem refused': 1 });
  });

  it('counts no rounds when not in lock step, and still counts the calls', async () => {
    const calls = new WriterCalls(fakeClient());
    const batch = calls.startBatch(false);
    await storeLikeBatch(calls.asClient(), 5, 2, new Set([1]));
    expect(batch.rounds).toBe(0);
    expect(batch.byKind).toEqual({ BatchGetItem: 2, PutItem: 5, 'PutItem refused': 1 });
  });
});
