import type { InputRecord } from '../record.js';
import type { CompiledEntity, CompiledSpec } from '../spec/compile.js';
import { NUMERIC_AGGREGATIONS } from '../spec/types.js';
import { parseEventTime } from './event-time.js';

/** Why a record changed no feature. */
export type RejectReason = 'invalid' | 'future' | 'late' | 'duplicate';

export interface Rejection {
  readonly record: InputRecord;
  readonly reason: RejectReason;
  /** Which rule: `not-json`, `not-object`, `time-missing`, `time-unparsable`, `key-missing`, `id-missing`,
   * `field-missing`, `field-type`, `future`, `late`, `duplicate`. */
  readonly rule: string;
  /** A sentence that names the bad value. */
  readonly message: string;
  /** Event time, when it could be read. */
  readonly tau?: number;
}

/** A valid, timely event: everything the engine needs to count it. */
export interface ValidEvent {
  readonly record: InputRecord;
  readonly body: Record<string, unknown>;
  readonly tau: number;
  readonly alpha: number;
  readonly id?: string;
  /** Online-store item key per entity, in spec order (see itemKey). */
  readonly itemKeys: readonly string[];
}

const decoder = new TextDecoder('utf-8', { fatal: true });
const NUMERIC = new Set(NUMERIC_AGGREGATIONS);

/**
 * The key of one entity's online-store item: `card#c1`, `card_merchant#c1#m7`.
 * Key values are URI-encoded so that `#` inside a value cannot forge another key.
 */
export function itemKey(entity: string, keyValues: readonly (string | number)[]): string {
  let key = entity;
  for (const value of keyValues) key += `#${encodeURIComponent(String(value))}`;
  return key;
}

/** Applies the semantics' per-event rules in order: invalid, future, late. Duplicates are decided later. */
export function classify(spec: CompiledSpec, record: InputRecord): ValidEvent | Rejection {
  const reject = (reason: RejectReason, rule: string, message: string, tau?: number): Rejection =>
    tau === undefined ? { record, reason, rule, message } : { record, reason, rule, message, tau };

  let text: string;
  let body: unknown;
  try {
    text = decoder.decode(record.data);
    body = JSON.parse(text);
  } catch (error) {
    return reject('invalid', 'not-json', `record is not UTF-8 JSON: ${(error as Error).message}`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return reject('invalid', 'not-object', `record is JSON but not an object (got ${preview(body)})`);
  }
  const event = body as Record<string, unknown>;

  const rawTime = spec.getTime(event);
  if (rawTime === undefined || rawTime === null) {
    return reject('invalid', 'time-missing', `time field "${spec.timeField}" is missing`);
  }
  const tau = parseEventTime(rawTime);
  if (tau === undefined) {
    return reject(
      'invalid',
      'time-unparsable',
      `time field "${spec.timeField}" is not epoch ms or ISO-8601 with a zone (got ${preview(rawTime)})`,
    );
  }

  let id: string | undefined;
  if (spec.getId) {
    const rawId = spec.getId(event);
    if (!isKeyValue(rawId)) {
      return reject(
        'invalid',
        'id-missing',
        `id field "${spec.idField}" is missing or empty (got ${preview(rawId)})`,
        tau,
      );
    }
    id = String(rawId);
  }

  const itemKeys: string[] = [];
  for (const entity of spec.entities) {
    const keyed = keyOf(entity, event);
    if (typeof keyed !== 'string') return reject('invalid', 'key-missing', keyed.error, tau);
    itemKeys.push(keyed);
    const problem = fieldProblem(entity, event);
    if (problem) return reject('invalid', problem.rule, problem.message, tau);
  }

  const alpha = record.arrivalMs;
  if (tau - alpha > spec.maxFutureSkewMs) {
    return reject(
      'future',
      'future',
      `event time is ${tau - alpha} ms after its arrival (max ${spec.maxFutureSkewMs})`,
      tau,
    );
  }
  if (alpha - tau > spec.allowedLatenessMs) {
    return reject(
      'late',
      'late',
      `event arrived ${alpha - tau} ms after its time (allowed ${spec.allowedLatenessMs})`,
      tau,
    );
  }
  return id === undefined
    ? { record, body: event, tau, alpha, itemKeys }
    : { record, body: event, tau, alpha, id, itemKeys };
}

function isKeyValue(value: unknown): value is string | number {
  return (
    (typeof value === 'string' && value.length > 0) || (typeof value === 'number' && Number.isFinite(value))
  );
}

/** The item key, or a message naming the missing key field. */
function keyOf(entity: CompiledEntity, event: Record<string, unknown>): string | { error: string } {
  const values: (string | number)[] = [];
  for (let i = 0; i < entity.keyGetters.length; i++) {
    const value = (entity.keyGetters[i] as (e: Record<string, unknown>) => unknown)(event);
    if (!isKeyValue(value)) {
      return {
        error: `key field "${entity.keyFields[i]}" of entity "${entity.name}" is missing or empty (got ${preview(value)})`,
      };
    }
    values.push(value);
  }
  return itemKey(entity.name, values);
}

/** An aggregated field missing or of the wrong type, for a feature that would count this event. */
function fieldProblem(
  entity: CompiledEntity,
  event: Record<string, unknown>,
): { rule: string; message: string } | undefined {
  for (const { feature } of entity.features) {
    if (!feature.getField || (feature.matches && !feature.matches(event))) continue;
    const value = feature.getField(event);
    if (value === undefined || value === null) {
      return { rule: 'field-missing', message: `field "${feature.field}" (for ${feature.name}) is missing` };
    }
    const ok = NUMERIC.has(feature.agg)
      ? typeof value === 'number' && Number.isFinite(value)
      : feature.agg !== 'distinct' || isKeyValue(value);
    if (!ok) {
      const wanted = NUMERIC.has(feature.agg) ? 'a finite number' : 'a string or number';
      return {
        rule: 'field-type',
        message: `field "${feature.field}" (for ${feature.name}) must be ${wanted} (got ${preview(value)})`,
      };
    }
  }
  return undefined;
}

function preview(value: unknown): string {
  const text =
    value === undefined
      ? 'nothing'
      : typeof value === 'number' && !Number.isFinite(value)
        ? String(value)
        : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function isRejection(result: ValidEvent | Rejection): result is Rejection {
  return 'reason' in result;
}
