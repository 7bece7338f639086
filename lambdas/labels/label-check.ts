/**
 * One delayed label checked the way both label paths check it (`POST /labels` and the labels stream): the
 * monitor's own rules (core/monitoring/delayed-labels.ts), then the size of the Firehose record it becomes.
 */
import { FIREHOSE_LIMITS } from '../../adapters/firehose/record-stream-writer.js';
import type { CompiledSpec } from '../../core/index.js';
import { isLabelProblem, parseDelayedLabel } from '../../core/monitoring/index.js';
import { parseJson } from '../shared/http.js';

const encoder = new TextEncoder();

/**
 * The label as the record to deliver (one newline-terminated JSON line: Firehose concatenates the records of an
 * object as they are), or the reason it breaks a rule, naming the bad value.
 */
export function checkedLabel(
  spec: CompiledSpec,
  value: unknown,
): { readonly record: Uint8Array } | { readonly reason: string } {
  const parsed = parseDelayedLabel(spec, value, '');
  if (isLabelProblem(parsed)) return { reason: parsed.reason };
  const record = encoder.encode(`${JSON.stringify(value)}\n`);
  if (record.byteLength > FIREHOSE_LIMITS.maxRecordBytes) {
    return { reason: `${record.byteLength} bytes, more than a Firehose record holds (1,000 KiB)` };
  }
  return { record };
}

/** A JSON document's value, or the problem with it as a label's reason says it. */
export function parsedJson(text: string): { readonly value: unknown } | { readonly problem: string } {
  const parsed = parseJson(text);
  if ('value' in parsed) return parsed;
  const { kind, reason } = parsed.problem;
  return { problem: kind === 'too deep' ? reason : `not JSON (${reason})` };
}
