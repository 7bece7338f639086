/**
 * Many JSON lines per Firehose record. A delivery stream takes a bounded number of records a second (5,000 by
 * default in the largest regions, fewer elsewhere) and bills each record rounded up to 5 KB, so one record per
 * event throttles early and bills a 300-byte event as 5 KB. Firehose's format conversion reads a record holding
 * several JSON documents one after another, and Firehose's plain S3 delivery concatenates records anyway: packed
 * records deliver the same rows and bytes.
 */

/** Firehose bills ingestion per record, each rounded up to a multiple of this. */
export const FIREHOSE_BILLING_INCREMENT_BYTES = 5 * 1024;

/**
 * Packs newline-terminated lines, in order, into records of at most `maxRecordBytes` each: a line is never split,
 * and a record is closed when the next line would not fit. Throws on a line larger than a record may hold.
 */
export function packLines(lines: readonly Uint8Array[], maxRecordBytes: number): Uint8Array[] {
  const records: Uint8Array[] = [];
  let pending: Uint8Array[] = [];
  let bytes = 0;
  const close = () => {
    if (pending.length === 0) return;
    records.push(pending.length === 1 ? (pending[0] as Uint8Array) : concat(pending, bytes));
    pending = [];
    bytes = 0;
  };
  lines.forEach((line, index) => {
    if (line.byteLength > maxRecordBytes) {
      throw new RangeError(
        `line ${index} is ${line.byteLength} bytes, more than the ${maxRecordBytes} bytes one record may hold`,
      );
    }
    if (bytes + line.byteLength > maxRecordBytes) close();
    pending.push(line);
    bytes += line.byteLength;
  });
  close();
  return records;
}

/** What Firehose bills for these records, in KB: each record rounded up to 5 KB. */
export function billedKilobytes(records: readonly Uint8Array[]): number {
  let increments = 0;
  for (const record of records) {
    increments += Math.max(1, Math.ceil(record.byteLength / FIREHOSE_BILLING_INCREMENT_BYTES));
  }
  return increments * (FIREHOSE_BILLING_INCREMENT_BYTES / 1024);
}

function concat(parts: readonly Uint8Array[], bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
