/**
 * MaximumBatchingWindowInSeconds as Lambda documents it: records keep buffering until the window expires or the
 * batch is full, so a record put while the window is open goes in the same batch as the one that opened it. A
 * scripted Kinesis client stands in for the stream: the poller's reads are the behaviour under test.
 */
import {
  type _Record,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { afterEach, expect, it } from 'vitest';
import type { KinesisEvent } from '../../src/esm/kinesis-event.js';
import { type ShardPollers, startShardPollers } from '../../src/esm/shard-poller.js';

const SHARD = 'shardId-000000000000';
let pollers: ShardPollers | undefined;
afterEach(async () => {
  await pollers?.stop();
});

/** A one-shard stream whose records become readable at `availableAfterMs` from the start, each read once. */
function scriptedStream(records: ReadonlyArray<{ id: string; availableAfterMs: number }>): KinesisClient {
  const started = Date.now();
  let next = 0;
  const send = async (command: unknown) => {
    if (command instanceof ListShardsCommand)
      return { Shards: [{ ShardId: SHARD, SequenceNumberRange: { StartingSequenceNumber: '0' } }] };
    if (command instanceof GetShardIteratorCommand) return { ShardIterator: 'iterator' };
    if (command instanceof GetRecordsCommand) {
      const readable: _Record[] = [];
      while (next < records.length && Date.now() - started >= (records[next]?.availableAfterMs ?? 0)) {
        const record = records[next++] as { id: string };
        readable.push({
          Data: Buffer.from(JSON.stringify({ id: record.id })),
          PartitionKey: record.id,
          SequenceNumber: String(next),
          ApproximateArrivalTimestamp: new Date(),
        });
      }
      return { Records: readable, NextShardIterator: 'iterator', MillisBehindLatest: 0 };
    }
    throw new Error(`unexpected command ${String(command)}`);
  };
  return { send, destroy() {} } as unknown as KinesisClient;
}

it('puts a record that arrives while the batching window is open in the same batch', async () => {
  const batches: string[][] = [];
  pollers = startShardPollers(
    {
      eventSourceArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/events',
      functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:features',
      startingPosition: 'TRIM_HORIZON',
      batchSize: 100,
      maximumBatchingWindowInSeconds: 1,
    },
    {
      // The first record opens the window whenever it is read; the second is readable 300 ms after the
      // start, so well before any window opened by the first can close.
      kinesis: scriptedStream([
        { id: 'a', availableAfterMs: 0 },
        { id: 'b', availableAfterMs: 300 },
      ]),
      invoke: async (event: KinesisEvent) => {
        batches.push(
          event.Records.map(
            (r) => (JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString()) as { id: string }).id,
          ),
        );
        return { ok: true, payload: {}, requestId: 'r', durationMs: 1, billedDurationMs: 1 } as never;
      },
    },
  );
  const deadline = Date.now() + 30_000;
  while (batches.flat().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(batches).toEqual([['a', 'b']]);
});
