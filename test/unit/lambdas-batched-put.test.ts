import { PutRecordBatchCommand, PutRecordCommand } from '@aws-sdk/client-firehose';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { chunksWithin, putWithRetries } from '../../adapters/firehose/batched-put.js';
import { FIREHOSE_LIMITS, FirehoseWriter } from '../../adapters/firehose/record-stream-writer.js';
import { KinesisWriter } from '../../lambdas/ingest/kinesis-writer.js';

const noSleep = { sleep: async () => {} };
const bytes = (n: number, fill = 0x61) => new Uint8Array(n).fill(fill);

/** A fake SDK client: answers each command with `answer`, keeps what it was sent. */
function fakeClient(answer: (command: unknown, call: number) => unknown) {
  const sent: unknown[] = [];
  return {
    sent,
    client: {
      send: async (command: unknown) => {
        sent.push(command);
        return answer(command, sent.length);
      },
    } as never,
  };
}

describe('chunks within the service limits', () => {
  const limits = { maxRecords: 3, maxBytes: 10, maxRecordBytes: 6 };

  it('start a new call at the record count limit', () => {
    expect(chunksWithin([1, 1, 1, 1, 1, 1, 1], (n) => n, limits).map((c) => c.length)).toEqual([3, 3, 1]);
  });

  it('start a new call at the byte limit, keeping order', () => {
    expect(chunksWithin([4, 4, 4, 1, 6], (n) => n, limits)).toEqual([[4, 4], [4, 1], [6]]);
  });

  it('fail on a record larger than one record may hold', () => {
    expect(() => chunksWithin([1, 7], (n) => n, limits)).toThrow('entry 1 is 7 bytes, more than the 6 bytes');
  });

  it('fit Firehose: 500 records or 4 MiB a call', () => {
    const many = Array.from({ length: 1201 }, () => bytes(10));
    expect(chunksWithin(many, (b) => b.byteLength, FIREHOSE_LIMITS).map((c) => c.length)).toEqual([
      500, 500, 201,
    ]);
    const big = Array.from({ length: 9 }, () => bytes(1_000 * 1024));
    expect(chunksWithin(big, (b) => b.byteLength, FIREHOSE_LIMITS).map((c) => c.length)).toEqual([4, 4, 1]);
  });
});

describe('puts with retries', () => {
  it('send again only the entries a call failed, until none fail', async () => {
    const calls: number[][] = [];
    const summary = await putWithRetries(
      [1, 2, 3, 4],
      () => 1,
      { maxRecords: 10, maxBytes: 100, maxRecordBytes: 10 },
      async (chunk) => {
        calls.push([...chunk]);
        // Fails the even entries on the first call.
        return calls.length === 1
          ? { failed: [1, 3], errorCodes: ['ServiceUnavailableException', 'ServiceUnavailableException'] }
          : { failed: [], errorCodes: [] };
      },
      noSleep,
    );
    expect(calls).toEqual([
      [1, 2, 3, 4],
      [2, 4],
    ]);
    expect(summary).toEqual({ calls: 2, retriedEntries: 2 });
  });

  it('give up after the attempts, naming the error codes', async () => {
    await expect(
      putWithRetries(
        [1, 2],
        () => 1,
        { maxRecords: 10, maxBytes: 100, maxRecordBytes: 10 },
        async () => ({ failed: [0], errorCodes: ['ProvisionedThroughputExceededException'] }),
        { ...noSleep, maxAttempts: 3 },
      ),
    ).rejects.toThrow(
      '1 of 2 records still failed after 3 attempts (ProvisionedThroughputExceededException)',
    );
  });

  it('back off between attempts, within the ceiling', async () => {
    const delays: number[] = [];
    await putWithRetries(
      [1],
      () => 1,
      { maxRecords: 10, maxBytes: 100, maxRecordBytes: 10 },
      async () => ({ failed: delays.length < 3 ? [0] : [], errorCodes: ['x'] }),
      { sleep: async (ms) => void delays.push(ms), baseDelayMs: 10, maxDelayMs: 30 },
    );
    expect(delays).toHaveLength(3);
    expect(delays[0]).toBeLessThanOrEqual(20);
    for (const delay of delays) expect(delay).toBeLessThanOrEqual(30);
  });
});

describe('Firehose writer', () => {
  it('puts one record with PutRecord', async () => {
    const { client, sent } = fakeClient(() => ({}));
    await new FirehoseWriter(client, 'log').put([bytes(3)]);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeInstanceOf(PutRecordCommand);
    expect((sent[0] as PutRecordCommand).input).toEqual({
      DeliveryStreamName: 'log',
      Record: { Data: bytes(3) },
    });
  });

  it('puts many with PutRecordBatch and retries the records FailedPutCount reports', async () => {
    const { client, sent } = fakeClient((_command, call) =>
      call === 1
        ? {
            FailedPutCount: 1,
            RequestResponses: [
              { RecordId: 'a' },
              { ErrorCode: 'ServiceUnavailableException' },
              { RecordId: 'c' },
            ],
          }
        : { FailedPutCount: 0, RequestResponses: [{ RecordId: 'b' }] },
    );
    const records = [bytes(1, 0x61), bytes(1, 0x62), bytes(1, 0x63)];
    const summary = await new FirehoseWriter(client, 'archive', noSleep).put(records);
    expect(sent.every((command) => command instanceof PutRecordBatchCommand)).toBe(true);
    expect((sent[1] as PutRecordBatchCommand).input.Records).toEqual([{ Data: bytes(1, 0x62) }]);
    expect(summary.retriedEntries).toBe(1);
  });

  it('refuses a record over 1,000 KiB before sending anything', async () => {
    const { client, sent } = fakeClient(() => ({}));
    await expect(new FirehoseWriter(client, 'log').put([bytes(1_000 * 1024 + 1)])).rejects.toThrow(
      /1,000 KiB/,
    );
    expect(sent).toEqual([]);
  });
});

describe('Kinesis writer', () => {
  it('names the stream by name, or by ARN when given one', async () => {
    const { client, sent } = fakeClient(() => ({ FailedRecordCount: 0, Records: [{}] }));
    const entry = { data: bytes(2), partitionKey: 'c1' };
    await new KinesisWriter(client, 'events').put([entry]);
    await new KinesisWriter(client, 'arn:aws:kinesis:us-east-1:1:stream/events').put([entry]);
    expect(sent.every((command) => command instanceof PutRecordsCommand)).toBe(true);
    expect((sent[0] as PutRecordsCommand).input).toEqual({
      StreamName: 'events',
      Records: [{ Data: bytes(2), PartitionKey: 'c1' }],
    });
    expect((sent[1] as PutRecordsCommand).input.StreamARN).toBe('arn:aws:kinesis:us-east-1:1:stream/events');
  });

  it('retries the entries Kinesis failed', async () => {
    const { client, sent } = fakeClient((_command, call) =>
      call === 1
        ? { FailedRecordCount: 1, Records: [{ ErrorCode: 'ProvisionedThroughputExceededException' }, {}] }
        : { FailedRecordCount: 0, Records: [{}] },
    );
    const entries = [
      { data: bytes(1), partitionKey: 'a' },
      { data: bytes(1), partitionKey: 'b' },
    ];
    await new KinesisWriter(client, 'events', noSleep).put(entries);
    expect((sent[1] as PutRecordsCommand).input.Records).toEqual([{ Data: bytes(1), PartitionKey: 'a' }]);
  });
});
