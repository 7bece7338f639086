import type { FieldGetter } from '../field-path.js';
import { onceEach } from '../once-each.js';
import type { InputRecord } from '../record.js';
import type { CompiledEntity, CompiledFeature, CompiledSpec } from '../spec/compile.js';
import { NUMERIC_AGGREGATIONS } from '../spec/types.js';
import {
  keyBytesOver,
  lastValueBytesOver,
  MAX_KEY_BYTES,
  MAX_LAST_VALUE_BYTES,
  utf8Bytes,
} from '../store-limits.js';
import { parseEventTime } from './event-time.js';

/** Why a record changed no feature. */
export type RejectReason = 'invalid' | 'future' | 'late' | 'duplicate';

export interface Rejection {
  readonly record: InputRecord;
  readonly reason: RejectReason;
  /** Which rule: `not-json`, `not-object`, `time-missing`, `time-unparsable`, `key-missing`, `key-too-long`,
   * `id-missing`, `id-too-long`, `field-missing`, `field-type`, `value-too-long`, `future`, `late`, `duplicate`. */
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
 * `%` and `#` inside a value are escaped (`%25`, `%23`), so a value cannot forge another key.
 */
export function itemKey(entity: string, keyValues: readonly (string | number)[]): string {
  let key = entity;
  for (const value of keyValues) key += `#${escapeKeyValue(value)}`;
  return key;
}

function escapeKeyValue(value: string | number): string {
  const text = String(value);
  return text.includes('%') || text.includes('#') ? text.replaceAll('%', '%25').replaceAll('#', '%23') : text;
}

function reject(
  record: InputRecord,
  reason: RejectReason,
  rule: string,
  message: string,
  tau?: number,
): Rejection {
  return tau === undefined ? { record, reason, rule, message } : { record, reason, rule, message, tau };
}

/** Applies the semantics' per-event rules in order: invalid, future, late. Duplicates are decided later. */
export function classify(spec: CompiledSpec, record: InputRecord): ValidEvent | Rejection {
  let body: unknown;
  try {
    body = JSON.parse(decoder.decode(record.data));
  } catch (error) {
    return reject(record, 'invalid', 'not-json', `record is not UTF-8 JSON: ${(error as Error).message}`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return reject(record, 'invalid', 'not-object', `record is JSON but not an object (got ${preview(body)})`);
  }
  const event = body as Record<string, unknown>;

  const rawTime = spec.getTime(event);
  if (rawTime === undefined || rawTime === null) {
    return reject(record, 'invalid', 'time-missing', `time field "${spec.timeField}" is missing`);
  }
  const tau = parseEventTime(rawTime);
  if (tau === undefined) {
    return reject(
      record,
      'invalid',
      'time-unparsable',
      `time field "${spec.timeField}" is not epoch ms or ISO-8601 with a zone (got ${preview(rawTime)})`,
    );
  }

  let id: string | undefined;
  if (spec.getId) {
    const rawId = spec.getId(event);
    if (!isKeyValue(rawId)) {
      const message = `id field "${spec.idField}" is missing or empty (got ${preview(rawId)})`;
      return reject(record, 'invalid', 'id-missing', message, tau);
    }
    id = String(rawId);
    const bytes = keyBytesOver(id);
    if (bytes !== undefined) {
      const message = `id field "${spec.idField}" is ${bytes} bytes in UTF-8, over the limit of ${MAX_KEY_BYTES} (got ${preview(id)})`;
      return reject(record, 'invalid', 'id-too-long', message, tau);
    }
  }

  const itemKeys: string[] = new Array(spec.entities.length);
  for (let ei = 0; ei < spec.entities.length; ei++) {
    const entity = spec.entities[ei] as CompiledEntity;
    let key = entity.name;
    for (let i = 0; i < entity.keyGetters.length; i++) {
      const value = (entity.keyGetters[i] as (e: Record<string, unknown>) => unknown)(event);
      if (!isKeyValue(value)) {
        const message = `key field "${entity.keyFields[i]}" of entity "${entity.name}" is missing or empty (got ${preview(value)})`;
        return reject(record, 'invalid', 'key-missing', message, tau);
      }
      key += `#${escapeKeyValue(value)}`;
    }
    const bytes = keyBytesOver(key);
    if (bytes !== undefined)
      return reject(record, 'invalid', 'key-too-long', keyTooLong(entity, event, bytes), tau);
    itemKeys[ei] = key;
    const problem = fieldProblem(entity, event);
    if (problem) return reject(record, 'invalid', problem.rule, problem.message, tau);
  }

  const alpha = record.arrivalMs;
  if (tau - alpha > spec.maxFutureSkewMs) {
    const message = `event time is ${tau - alpha} ms after its arrival (max ${spec.maxFutureSkewMs})`;
    return reject(record, 'future', 'future', message, tau);
  }
  if (alpha - tau > spec.allowedLatenessMs) {
    const message = `event arrived ${alpha - tau} ms after its time (allowed ${spec.allowedLatenessMs})`;
    return reject(record, 'late', 'late', message, tau);
  }
  // One shape for every event, with or without an id: the code that reads events stays monomorphic.
  return { record, body: event, tau, alpha, id, itemKeys };
}

/** Names the entity, its key's byte length and the limit, and each key field's own length. */
function keyTooLong(entity: CompiledEntity, event: Record<string, unknown>, bytes: number): string {
  const fields = entity.keyFields.map((field, i) => {
    const value = String((entity.keyGetters[i] as (e: Record<string, unknown>) => unknown)(event));
    return `"${field}" ${utf8Bytes(value)} bytes ${preview(value)}`;
  });
  return (
    `key of entity "${entity.name}" is ${bytes} bytes in UTF-8 after escaping, over the limit of ${MAX_KEY_BYTES} ` +
    `(${fields.join(', ')})`
  );
}

function isKeyValue(value: unknown): value is string | number {
  return (
    (typeof value === 'string' && value.length > 0) || (typeof value === 'number' && Number.isFinite(value))
  );
}

/**
 * What a feature asks of its field: a finite number, a key value (distinct), a value of bounded JSON (last), or
 * only that it is there.
 */
type FieldNeed = 'number' | 'key' | 'last' | 'present';

interface FieldCheck {
  readonly feature: CompiledFeature;
  readonly getField: FieldGetter;
  readonly need: FieldNeed;
}

/**
 * The field checks of an entity's features, in spec order, less the repeats: a check of the same field for the same
 * need after one that every event meets (no `where`) can never fail first, so it is not made (the fraud spec reads
 * `amount` for five card features and checks it once).
 */
const fieldChecksOf = onceEach((entity: CompiledEntity): readonly FieldCheck[] => {
  const checks: FieldCheck[] = [];
  const always = new Set<string>();
  for (const { feature } of entity.features) {
    if (!feature.getField) continue;
    const need: FieldNeed = NUMERIC.has(feature.agg)
      ? 'number'
      : feature.agg === 'distinct'
        ? 'key'
        : feature.agg === 'last'
          ? 'last'
          : 'present';
    const what = `${need}\u0000${feature.field}`;
    if (always.has(what)) continue;
    if (!feature.matches) always.add(what);
    checks.push({ feature, getField: feature.getField, need });
  }
  return checks;
});

/** An aggregated field missing or of the wrong type, for a feature that would count this event. */
function fieldProblem(
  entity: CompiledEntity,
  event: Record<string, unknown>,
): { rule: string; message: string } | undefined {
  for (const { feature, getField, need } of fieldChecksOf(entity)) {
    if (feature.matches && !feature.matches(event)) continue;
    const value = getField(event);
    if (value === undefined || value === null) {
      return { rule: 'field-missing', message: `field "${feature.field}" (for ${feature.name}) is missing` };
    }
    const ok =
      need === 'number'
        ? typeof value === 'number' && Number.isFinite(value)
        : need !== 'key' || isKeyValue(value);
    if (!ok) {
      const wanted = need === 'number' ? 'a finite number' : 'a string or number';
      return {
        rule: 'field-type',
        message: `field "${feature.field}" (for ${feature.name}) must be ${wanted} (got ${preview(value)})`,
      };
    }
    const bytes = need === 'last' ? lastValueBytesOver(value) : undefined;
    if (bytes !== undefined) {
      return {
        rule: 'value-too-long',
        message: `field "${feature.field}" (for ${feature.name}) is ${bytes} bytes of JSON, over the limit of ${MAX_LAST_VALUE_BYTES} (got ${preview(value)})`,
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
