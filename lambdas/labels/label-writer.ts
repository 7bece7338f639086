import { type FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { type PutSummary, putWithRetries, type RetryOptions } from '../../adapters/firehose/batched-put.js';
import { FIREHOSE_LIMITS, type RecordStreamWriter } from '../../adapters/firehose/record-stream-writer.js';

/**
 * Puts label lines to their delivery stream with PutRecordBatch only (one label is a batch of one): the function's
 * role holds that one action on that one stream. The records a batch reports as failed are sent again with backoff
 * (adapters/firehose/batched-put.ts); when some still fail, `put` throws and the request is answered 503.
 */
export class LabelBatchWriter implements RecordStreamWriter {
  constructor(
    private readonly client: Pick<FirehoseClient, 'send'>,
    readonly deliveryStreamName: string,
    private readonly retry: RetryOptions = {},
  ) {}

  put(records: readonly Uint8Array[]): Promise<PutSummary> {
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
      this.retry,
    );
  }
}
