import { type FirehoseClient, PutRecordBatchCommand, PutRecordCommand } from '@aws-sdk/client-firehose';
import { type BatchLimits, type PutSummary, putWithRetries, type RetryOptions } from './batched-put.js';
import { packLines } from './packed-records.js';

/** Where newline-terminated records go: a Firehose delivery stream in AWS, an array in tests. */
export interface RecordStreamWriter {
  /** Delivers every record (at least once) or throws. */
  put(records: readonly Uint8Array[]): Promise<PutSummary>;
}

/** Firehose quotas: PutRecordBatch takes 500 records or 4 MiB; one record holds up to 1,000 KiB. */
export const FIREHOSE_LIMITS: BatchLimits = {
  maxRecords: 500,
  maxBytes: 4 * 1024 * 1024,
  maxRecordBytes: 1_000 * 1024,
};

export interface FirehoseWriterOptions extends RetryOptions {
  /**
   * Packs the lines given to one `put` into as few records as the 1,000 KiB record limit allows
   * (packed-records.ts). Only for a stream whose destination reads several JSON documents in a record: S3 with
   * format conversion, or plain S3. Not for an Iceberg destination, which takes one JSON document a record.
   * @default false
   */
  readonly packLines?: boolean;
  /**
   * Puts even a single record with PutRecordBatch, so that a writer's role needs that one action only.
   * @default false - one record with PutRecord
   */
  readonly batchOnly?: boolean;
}

/**
 * Writes to a Firehose delivery stream: one record with PutRecord (unless `batchOnly`), more with PutRecordBatch,
 * retrying the records a batch reports as failed (FailedPutCount) with backoff.
 */
export class FirehoseWriter implements RecordStreamWriter {
  constructor(
    private readonly client: Pick<FirehoseClient, 'send'>,
    readonly deliveryStreamName: string,
    private readonly options: FirehoseWriterOptions = {},
  ) {}

  async put(lines: readonly Uint8Array[]): Promise<PutSummary> {
    const records = this.options.packLines ? packLines(lines, FIREHOSE_LIMITS.maxRecordBytes) : lines;
    if (records.length === 0) return { calls: 0, retriedEntries: 0 };
    const [only] = records;
    if (records.length === 1 && only && !this.options.batchOnly) {
      if (only.byteLength > FIREHOSE_LIMITS.maxRecordBytes) {
        throw new RangeError(`record is ${only.byteLength} bytes, more than Firehose's 1,000 KiB`);
      }
      await this.client.send(
        new PutRecordCommand({ DeliveryStreamName: this.deliveryStreamName, Record: { Data: only } }),
      );
      return { calls: 1, retriedEntries: 0 };
    }
    return putWithRetries(
      records,
      (record) => record.byteLength,
      FIREHOSE_LIMITS,
      async (chunk) => {
        const output = await this.client.send(
          new PutRecordBatchCommand({
            DeliveryStreamName: this.deliveryStreamName,
            Records: chunk.map((Data) => ({ Data })),
          }),
        );
        if (!output.FailedPutCount) return { failed: [], errorCodes: [] };
        const failed: number[] = [];
        const errorCodes: string[] = [];
        (output.RequestResponses ?? []).forEach((response, position) => {
          if (response.ErrorCode === undefined) return;
          failed.push(position);
          errorCodes.push(response.ErrorCode);
        });
        return { failed, errorCodes };
      },
      this.options,
    );
  }
}

const decoder = new TextDecoder();

/** Keeps the records in memory: for tests and in-process runs. */
export class MemoryRecordStreamWriter implements RecordStreamWriter {
  readonly records: Uint8Array[] = [];

  async put(records: readonly Uint8Array[]): Promise<PutSummary> {
    this.records.push(...records);
    return { calls: records.length > 0 ? 1 : 0, retriedEntries: 0 };
  }

  /** The records as parsed JSON lines. */
  lines(): unknown[] {
    return this.records.map((record) => JSON.parse(decoder.decode(record)) as unknown);
  }
}
