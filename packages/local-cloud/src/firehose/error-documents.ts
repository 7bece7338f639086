/** The format-conversion-failed error documents: one JSON document per failed record, one per line. */

import type { StreamConfig } from './config.js';
import { DEFAULT_TIME_TOKENS, dateParts, evaluatePrefix, formatDate, objectKey } from './key-layout.js';
import type { Buffered, S3Object } from './objects.js';

/** The error-prefix object holding the records that failed conversion (dated by the first one's arrival). */
export function errorDocumentObject(
  streamName: string,
  config: StreamConfig,
  failures: readonly { readonly record: Buffered; readonly message: string }[],
): S3Object {
  const arrivalMs = (failures[0] as { record: Buffered }).record.arrivalMs;
  const parts = dateParts(arrivalMs, config.timeZone);
  // No ErrorOutputPrefix (then the Prefix has no expressions): <Prefix><error-output-type>/yyyy/MM/dd/HH/.
  const prefix =
    config.errorPrefix === undefined
      ? `${config.prefixText}format-conversion-failed/${formatDate(DEFAULT_TIME_TOKENS, parts)}`
      : evaluatePrefix(config.errorPrefix, parts, 'format-conversion-failed', [
          { firehose: 'error-output-type' },
          '/',
          { timestamp: DEFAULT_TIME_TOKENS },
        ]);
  const now = Date.now();
  const lines = failures.map(({ record, message }) =>
    JSON.stringify({
      attemptsMade: 1,
      arrivalTimestamp: record.arrivalMs,
      ErrorCode: 'DataFormatConversion.MalformedData',
      ErrorMessage: message,
      attemptEndingTimestamp: now,
      rawData: record.data.toString('base64'),
      sequenceNumber: record.sequenceNumber,
      subSequenceNumber: 0,
      dataCatalogTable: config.conversion?.table,
    }),
  );
  return {
    key: objectKey(prefix, streamName, arrivalMs, config.timeZone, ''),
    body: Buffer.from(`${lines.join('\n')}\n`),
    records: failures.length,
    failed: true,
  };
}
