/** Turns a delivered batch into its S3 objects: raw records, a Parquet file, and format-conversion-failed documents. */

import { TextDecoder } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { StreamConfig } from './config.js';
import { errorDocumentObject } from './error-documents.js';
import { DEFAULT_TIME_TOKENS, dateParts, evaluatePrefix, objectKey } from './key-layout.js';
import { ConversionError, encodeParquet, rowsOf, yieldToLoop } from './parquet.js';

const CONVERSION_CHUNK = 2_000;
const NEWLINE = Buffer.from('\n');

export interface Buffered {
  readonly data: Buffer;
  readonly arrivalMs: number;
  readonly sequenceNumber: string;
}

export interface S3Object {
  readonly key: string;
  readonly body: Uint8Array;
  readonly records: number;
  readonly failed: boolean;
}

/** The objects one batch of a stream delivers (dated by their oldest record's arrival). */
export async function objectsOf(
  streamName: string,
  config: StreamConfig,
  batch: readonly Buffered[],
): Promise<S3Object[]> {
  const destinationKey = (arrivalMs: number) => {
    const parts = dateParts(arrivalMs, config.timeZone);
    return objectKey(
      evaluatePrefix(config.prefix, parts, undefined, [{ timestamp: DEFAULT_TIME_TOKENS }]),
      streamName,
      arrivalMs,
      config.timeZone,
      config.extension,
    );
  };
  const first = batch[0] as Buffered;

  if (!config.conversion) {
    const chunks: Buffer[] = [];
    for (const record of batch) {
      chunks.push(record.data);
      if (config.appendDelimiter) chunks.push(NEWLINE);
    }
    let body: Uint8Array = Buffer.concat(chunks);
    if (config.compression === 'GZIP') body = gzipSync(body);
    return [{ key: destinationKey(first.arrivalMs), body, records: batch.length, failed: false }];
  }

  const { columns, serde } = config.conversion;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const rows: unknown[][] = [];
  let converted = 0;
  let firstRowArrival: number | undefined;
  const failures: { record: Buffered; message: string }[] = [];
  for (let i = 0; i < batch.length; i++) {
    if (i > 0 && i % CONVERSION_CHUNK === 0) await yieldToLoop();
    const record = batch[i] as Buffered;
    try {
      rows.push(...rowsOf(record.data, columns, serde, decoder));
      converted++;
      firstRowArrival ??= record.arrivalMs;
    } catch (error) {
      if (!(error instanceof ConversionError)) throw error;
      failures.push({ record, message: error.message });
    }
  }
  const objects: S3Object[] = [];
  if (rows.length > 0) {
    objects.push({
      key: destinationKey(firstRowArrival as number),
      body: await encodeParquet(columns, rows, config.conversion),
      // Firehose records, not rows: a record may hold many documents.
      records: converted,
      failed: false,
    });
  }
  if (failures.length > 0) objects.push(errorDocumentObject(streamName, config, failures));
  return objects;
}
