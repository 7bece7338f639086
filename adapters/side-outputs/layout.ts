/**
 * The layout of the features pipeline's side outputs: object keys, and the JSON line of a set-aside record
 * (quarantine, late) and of a raw-archive record.
 */

import type { InputRecord, Rejection } from '../../core/index.js';
import type { ArchiveColumnValues } from '../../core/offline-schema.js';

/**
 * `${prefix}dt=YYYY-MM-DD/hour=HH/${shardId}-${firstSeq}-${lastSeq}.jsonl`, dated by the arrival time of the
 * first record (UTC). Everything in it comes from the records, nothing from the clock, so a retried batch
 * writes the same key and replaces the object rather than adding a second copy.
 */
export function sideOutputKey(
  prefix: string,
  range: { readonly first: InputRecord; readonly last: InputRecord },
): string {
  const iso = new Date(range.first.arrivalMs).toISOString();
  const dt = iso.slice(0, 10);
  const hour = iso.slice(11, 13);
  return `${prefix}dt=${dt}/hour=${hour}/${range.first.shardId}-${range.first.sequenceNumber}-${range.last.sequenceNumber}.jsonl`;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A payload as text: the UTF-8 string when it is valid UTF-8, else base64 (and says so). */
export function payloadOf(data: Uint8Array): { text: string; base64: boolean } {
  try {
    return { text: strictUtf8.decode(data), base64: false };
  } catch {
    return {
      text: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'),
      base64: true,
    };
  }
}

/** One quarantine or late line: why, where the record came from, and the record whole. */
export interface RejectionLine {
  readonly reason: Rejection['reason'];
  readonly rule: string;
  readonly message: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly arrivalMs: number;
  readonly partitionKey: string | null;
  readonly data: string;
  readonly dataEncoding?: 'base64';
}

export function rejectionLine(rejection: Rejection): RejectionLine {
  const { record } = rejection;
  const payload = payloadOf(record.data);
  return {
    reason: rejection.reason,
    rule: rejection.rule,
    message: rejection.message,
    shardId: record.shardId,
    sequenceNumber: record.sequenceNumber,
    arrivalMs: record.arrivalMs,
    partitionKey: record.partitionKey ?? null,
    data: payload.text,
    ...(payload.base64 ? { dataEncoding: 'base64' as const } : {}),
  };
}

/**
 * One raw-archive line (the offline store reads these): every record as it arrived, and the spec's fields as typed
 * columns (core/offline-schema.ts) so that the archive can be queried without parsing `data`.
 */
export interface RawArchiveLine extends ArchiveColumnValues {
  readonly arrival_ms: number;
  readonly shard_id: string;
  readonly sequence_number: string;
  readonly partition_key: string | null;
  readonly data: string;
}

/** `typedColumns` reads the spec's columns from a parsed body (compileArchiveColumns); none: base columns only. */
export function rawArchiveLine(
  record: InputRecord,
  typedColumns?: (body: unknown) => ArchiveColumnValues,
): RawArchiveLine {
  const payload = payloadOf(record.data);
  let typed: ArchiveColumnValues = {};
  if (typedColumns) {
    let body: unknown;
    try {
      body = payload.base64 ? undefined : JSON.parse(payload.text);
    } catch {
      body = undefined; // not JSON: the typed columns stay null, `data` keeps the record
    }
    typed = typedColumns(body);
  }
  return {
    ...typed,
    arrival_ms: record.arrivalMs,
    shard_id: record.shardId,
    sequence_number: record.sequenceNumber,
    partition_key: record.partitionKey ?? null,
    data: payload.text,
    ...(payload.base64 ? { data_encoding: 'base64' } : {}),
  };
}

/** JSON Lines text, each line ending in a newline. */
export function jsonLinesText(lines: readonly unknown[]): string {
  let text = '';
  for (const line of lines) text += `${JSON.stringify(line)}\n`;
  return text;
}
