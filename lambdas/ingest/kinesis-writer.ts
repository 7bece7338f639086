import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import {
  type BatchLimits,
  type PutSummary,
  putWithRetries,
  type RetryOptions,
} from '../../adapters/firehose/batched-put.js';

export interface StreamEntry {
  readonly data: Uint8Array;
  readonly partitionKey: string;
}

/** Where the ingest function puts events: a Kinesis stream in AWS, an array in tests. */
export interface StreamWriter {
  put(entries: readonly StreamEntry[]): Promise<PutSummary>;
}

/** Kinesis quotas: PutRecords takes 500 records or 5 MiB; a record (data and partition key) holds 1 MiB. */
export const KINESIS_LIMITS: BatchLimits = {
  maxRecords: 500,
  maxBytes: 5 * 1024 * 1024,
  maxRecordBytes: 1024 * 1024,
};

const encoder = new TextEncoder();

/** The bytes a record counts against the quotas: its data and its partition key. */
export function entryBytes(entry: StreamEntry): number {
  return entry.data.byteLength + encoder.encode(entry.partitionKey).byteLength;
}

/** PutRecords to one stream (by name, or by ARN when given one), retrying the entries Kinesis failed. */
export class KinesisWriter implements StreamWriter {
  constructor(
    private readonly client: Pick<KinesisClient, 'send'>,
    readonly stream: string,
    private readonly retry: RetryOptions = {},
  ) {}

  put(entries: readonly StreamEntry[]): Promise<PutSummary> {
    const target = this.stream.startsWith('arn:') ? { StreamARN: this.stream } : { StreamName: this.stream };
    return putWithRetries(
      entries,
      entryBytes,
      KINESIS_LIMITS,
      async (chunk) => {
        const output = await this.client.send(
          new PutRecordsCommand({
            ...target,
            Records: chunk.map((entry) => ({ Data: entry.data, PartitionKey: entry.partitionKey })),
          }),
        );
        if (!output.FailedRecordCount) return { failed: [], errorCodes: [] };
        const failed: number[] = [];
        const errorCodes: string[] = [];
        (output.Records ?? []).forEach((result, position) => {
          if (result.ErrorCode === undefined) return;
          failed.push(position);
          errorCodes.push(result.ErrorCode);
        });
        return { failed, errorCodes };
      },
      this.retry,
    );
  }
}

/** Keeps the entries in memory: for tests and in-process runs. */
export class MemoryStreamWriter implements StreamWriter {
  readonly entries: StreamEntry[] = [];

  async put(entries: readonly StreamEntry[]): Promise<PutSummary> {
    this.entries.push(...entries);
    return { calls: entries.length > 0 ? 1 : 0, retriedEntries: 0 };
  }
}
