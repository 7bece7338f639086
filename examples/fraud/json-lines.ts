/** Traffic as JSON Lines text: events in arrival order with their arrival time, and labels. */
import type { FraudLabel, GeneratedRecord, Traffic } from './traffic-types.js';

const decoder = new TextDecoder();

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The top-level keys of a generated transaction (an arrival field must not collide with them for the fast path). */
const TXN_KEYS = new Set(['event_id', 'ts', 'card_id', 'merchant_id', 'amount', 'status', 'channel', 'geo']);

/**
 * JSON Lines text: one line per record, in arrival order, each JSON object with the arrival time added under
 * `arrivalField` (as its last key); other records (not JSON, JSON arrays) are written as they are.
 * Labels: one JSON object per line. Throws if a non-JSON record contains a raw newline.
 * For very large traffic, write eventLinesText / labelLinesText in slices instead (as cli.ts does).
 */
export function toJsonLines(
  traffic: Pick<Traffic, 'records' | 'labels'>,
  arrivalField = 'arrival_ms',
): { events: string; labels: string } {
  return { events: eventLinesText(traffic.records, arrivalField), labels: labelLinesText(traffic.labels) };
}

/** The JSON Lines of records[start, end), as toJsonLines writes them; every line ends with a newline. */
export function eventLinesText(
  records: readonly GeneratedRecord[],
  arrivalField = 'arrival_ms',
  start = 0,
  end = records.length,
): string {
  const fieldJson = JSON.stringify(arrivalField);
  const fastPath = !TXN_KEYS.has(arrivalField);
  let out = '';
  for (let i = start; i < end; i++) {
    const record = records[i] as GeneratedRecord;
    const text = decoder.decode(record.data);
    if (fastPath && record.kind !== 'invalid' && text.endsWith('}') && text.startsWith('{"')) {
      // A generated transaction: a one-line JSON object with keys, none of them the arrival field.
      out += `${text.slice(0, -1)},${fieldJson}:${record.arrivalMs}}\n`;
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (isPlainObject(parsed)) {
      out += `${JSON.stringify({ ...parsed, [arrivalField]: record.arrivalMs })}\n`;
    } else {
      if (/[\r\n]/.test(text)) throw new Error(`record ${i} (${record.kind}) contains a raw newline`);
      out += `${text}\n`;
    }
  }
  return out;
}

/** The JSON Lines of labels[start, end); every line ends with a newline. */
export function labelLinesText(labels: readonly FraudLabel[], start = 0, end = labels.length): string {
  let out = '';
  for (let i = start; i < end; i++) out += `${JSON.stringify(labels[i])}\n`;
  return out;
}
