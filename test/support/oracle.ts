/**
 * A brute-force reference for the feature semantics (the README's "Semantics", normative), written from the
 * text and not from the engine: every record is classified in one pass in arrival order, and every query scans every
 * counted event. No tiles, no partial aggregates, no sketches, no incremental state. Slow on purpose; obvious first.
 *
 * Conventions the text leaves open, as the engine decided them (see the brief in the test files):
 * - records are taken in arrival order α, ties in the order given;
 * - a record whose (shard, sequence number) was already taken is a redelivery: it is skipped as `duplicate` before
 *   anything else is looked at. (On streams as Kinesis makes them, sequence numbers rising per shard in arrival
 *   order and every copy of a record carrying its one arrival time, this is the same as skipping a sequence number
 *   not greater than the shard's last; the property tests only make such streams.)
 * - rules in order: invalid, future, late, duplicate (by id); only counted events register their id, and an id is a
 *   duplicate while α − α_counted ≤ horizon, α_counted being the arrival of the copy that last counted;
 * - aggregated fields are required only by the features whose `where` the event passes;
 * - `where`: strict equality for eq/ne/in, numeric comparisons on numbers only, a missing field matches only `ne`;
 * - key values, ids and distinct values compare as strings (7 and "7" are the same value);
 * - `last`: greatest τ, ties to the greater α, full ties to the record processed later.
 *
 * Spec normalization (defaults, durations spelled canonically, default tiles) is shared with the engine through
 * `parseSpec`: it is validation, not feature semantics. Durations are then read again here.
 */
import { parseSpec, type Spec, type WhereFilter } from '../../core/index.js';

export interface OracleRecord {
  readonly data: Uint8Array;
  readonly arrivalMs: number;
  readonly shardId: string;
  readonly sequenceNumber: string;
}

export interface OracleQuery {
  readonly entity: string;
  readonly key: Readonly<Record<string, string | number>>;
  readonly t: number;
}

export type OracleOutcome = 'counted' | 'invalid' | 'future' | 'late' | 'duplicate';

export interface OracleVerdict {
  readonly outcome: OracleOutcome;
  /** Which rule decided: redelivered, not-json, not-object, time, key, id, field, future, late, duplicate, counted. */
  readonly rule: string;
  /** For an invalid object: every rule it breaks (the text sets no order among them). */
  readonly causes?: readonly string[];
}

export interface OracleEvent {
  readonly index: number;
  readonly body: Record<string, unknown>;
  readonly tau: number;
  readonly alpha: number;
}

export interface OracleAnswer extends OracleQuery {
  readonly features: Record<string, unknown>;
}

export interface OracleResult {
  readonly answers: OracleAnswer[];
  readonly totals: Record<OracleOutcome, number>;
  /** The verdict on each record, by its index in the input. */
  readonly verdicts: OracleVerdict[];
  /** The events that counted, in processing order. */
  readonly counted: OracleEvent[];
}

interface Feature {
  readonly name: string;
  readonly entity: string;
  readonly agg: Spec['features'][number]['agg'];
  readonly field: string | undefined;
  readonly windowMs: number;
  readonly tileMs: number;
  readonly where: WhereFilter | undefined;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function durationMs(value: string | number): number {
  if (typeof value === 'number') return value;
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(value);
  if (!match) throw new Error(`oracle: not a duration: ${value}`);
  return Number(match[1]) * (UNIT_MS[match[2] as string] as number);
}

/** A dotted path through nested plain objects; anything else on the way gives undefined. */
export function fieldAt(body: unknown, path: string): unknown {
  let value = body;
  for (const segment of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;

/** Event time: a finite number of epoch ms, or an ISO-8601 date-time with a zone. Otherwise undefined. */
export function eventTime(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = ISO.exec(value);
  if (!m) return undefined;
  const n = (i: number) => Number(m[i] ?? '0');
  const [year, month, day, hour, minute, second] = [n(1), n(2), n(3), n(4), n(5), n(6)];
  const ms = Number((m[7] ?? '').padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59)
    return undefined;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (m[8] !== undefined) return local;
  const offset = (n(10) * 60 + n(11)) * 60_000;
  return m[9] === '+' ? local - offset : local + offset;
}

/** The store's limits as the README states them: item keys and ids up to 2,000 bytes, `last` values 1,024. */
const utf8 = new TextEncoder();
const bytesOf = (text: string) => utf8.encode(text).length;
const KEY_LIMIT_BYTES = 2000;
const LAST_VALUE_LIMIT_BYTES = 1024;
const escapeKey = (v: unknown) => String(v).replaceAll('%', '%25').replaceAll('#', '%23');

const isKeyValue = (v: unknown) =>
  (typeof v === 'string' && v !== '') || (typeof v === 'number' && Number.isFinite(v));
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export function whereMatches(where: WhereFilter | undefined, body: Record<string, unknown>): boolean {
  if (!where) return true;
  const v = fieldAt(body, where.field);
  if (where.ne !== undefined) return v !== where.ne;
  if (v === undefined) return false;
  if (where.eq !== undefined) return v === where.eq;
  if (where.in !== undefined) return where.in.some((x) => x === v);
  if (typeof v !== 'number') return false;
  if (where.gt !== undefined) return v > where.gt;
  if (where.gte !== undefined) return v >= where.gte;
  if (where.lt !== undefined) return v < where.lt;
  if (where.lte !== undefined) return v <= where.lte;
  throw new Error(`oracle: where without a comparison: ${JSON.stringify(where)}`);
}

/** Whether an event that passed the feature's filter carries a value the aggregation accepts. */
function fieldAcceptable(feature: Feature, body: Record<string, unknown>): boolean {
  if (feature.agg === 'count') return true;
  const v = fieldAt(body, feature.field as string);
  switch (feature.agg) {
    case 'distinct':
      return isKeyValue(v);
    case 'last':
      return v !== undefined && v !== null;
    default:
      return isNumber(v);
  }
}

export function oracle(
  specInput: unknown,
  records: readonly OracleRecord[],
  queries: readonly OracleQuery[],
): OracleResult {
  const spec = parseSpec(specInput);
  const latenessMs = durationMs(spec.event.allowedLateness);
  const skewMs = durationMs(spec.event.maxFutureSkew);
  const horizonMs = durationMs(spec.event.dedupeHorizon);
  const features: Feature[] = spec.features.map((f) => ({
    name: f.name,
    entity: f.entity,
    agg: f.agg,
    field: f.field,
    windowMs: durationMs(f.window),
    tileMs: durationMs(f.tile),
    where: f.where,
  }));

  // 1. Classify every record, in arrival order.
  const order = records
    .map((_, i) => i)
    .sort((a, b) => (records[a] as OracleRecord).arrivalMs - (records[b] as OracleRecord).arrivalMs || a - b);
  const verdicts: OracleVerdict[] = new Array(records.length);
  const counted: OracleEvent[] = [];
  const taken = new Set<string>();
  const idCountedAt = new Map<string, number>();
  const decoder = new TextDecoder('utf-8', { fatal: true });

  for (const index of order) {
    const record = records[index] as OracleRecord;
    const alpha = record.arrivalMs;
    const verdict = (outcome: OracleOutcome, rule: string) => {
      verdicts[index] = { outcome, rule };
    };

    const recordKey = JSON.stringify([record.shardId, BigInt(record.sequenceNumber).toString()]);
    if (taken.has(recordKey)) {
      verdict('duplicate', 'redelivered');
      continue;
    }
    taken.add(recordKey);

    let body: unknown;
    try {
      body = JSON.parse(decoder.decode(record.data));
    } catch {
      verdict('invalid', 'not-json');
      continue;
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      verdict('invalid', 'not-object');
      continue;
    }
    const event = body as Record<string, unknown>;
    const tau = eventTime(fieldAt(event, spec.event.timeField));
    const idField = spec.event.idField;
    const id = idField === undefined ? undefined : fieldAt(event, idField);
    const causes: string[] = [];
    if (tau === undefined) causes.push('time');
    if (
      !Object.values(spec.entities).every((fields) =>
        fields.every((field) => isKeyValue(fieldAt(event, field))),
      )
    ) {
      causes.push('key');
    }
    if (idField !== undefined && !isKeyValue(id)) causes.push('id');
    if (!features.every((f) => !whereMatches(f.where, event) || fieldAcceptable(f, event)))
      causes.push('field');
    const keyTooLong = Object.entries(spec.entities).some(
      ([name, fields]) =>
        bytesOf(name + fields.map((field) => `#${escapeKey(fieldAt(event, field))}`).join('')) >
        KEY_LIMIT_BYTES,
    );
    if (keyTooLong) causes.push('key');
    if (idField !== undefined && isKeyValue(id) && bytesOf(String(id)) > KEY_LIMIT_BYTES) causes.push('id');
    const lastTooLong = features.some((f) => {
      if (f.agg !== 'last' || !whereMatches(f.where, event)) return false;
      const v = fieldAt(event, f.field as string);
      return v !== undefined && v !== null && bytesOf(JSON.stringify(v)) > LAST_VALUE_LIMIT_BYTES;
    });
    if (lastTooLong) causes.push('value');
    if (tau === undefined || causes.length > 0) {
      verdicts[index] = { outcome: 'invalid', rule: causes[0] as string, causes };
      continue;
    }
    if (tau - alpha > skewMs) {
      verdict('future', 'future');
      continue;
    }
    if (alpha - tau > latenessMs) {
      verdict('late', 'late');
      continue;
    }
    if (id !== undefined) {
      const idKey = String(id);
      const at = idCountedAt.get(idKey);
      if (at !== undefined && alpha - at <= horizonMs) {
        verdict('duplicate', 'duplicate');
        continue;
      }
      idCountedAt.set(idKey, alpha);
    }
    verdict('counted', 'counted');
    counted.push({ index, body: event, tau, alpha });
  }

  const totals: Record<OracleOutcome, number> = { counted: 0, invalid: 0, future: 0, late: 0, duplicate: 0 };
  for (const v of verdicts) totals[v.outcome]++;

  // 2. Answer every query by scanning every counted event.
  const answers = queries.map((query): OracleAnswer => {
    const keyFields = spec.entities[query.entity];
    if (!keyFields) throw new Error(`oracle: unknown entity ${query.entity}`);
    const ofKey = counted.filter((e) =>
      keyFields.every((f) => String(fieldAt(e.body, f)) === String(query.key[f])),
    );
    const values: Record<string, unknown> = {};
    for (const feature of features) {
      if (feature.entity !== query.entity) continue;
      const g = feature.tileMs;
      const inWindow = ofKey.filter(
        (e) =>
          e.alpha <= query.t &&
          e.tau < query.t &&
          Math.floor(e.tau / g) > Math.floor(query.t / g) - feature.windowMs / g &&
          whereMatches(feature.where, e.body),
      );
      values[feature.name] = aggregate(feature, inWindow);
    }
    return { entity: query.entity, key: query.key, t: query.t, features: values };
  });

  return { answers, totals, verdicts, counted };
}

/** The aggregation of a feature over the events in its window; `events` are in processing order. */
function aggregate(feature: Feature, events: readonly OracleEvent[]): unknown {
  const field = feature.field as string;
  const xs = () => events.map((e) => fieldAt(e.body, field) as number);
  switch (feature.agg) {
    case 'count':
      return events.length;
    case 'sum':
      return xs().reduce((a, b) => a + b, 0);
    case 'avg':
      return events.length === 0 ? null : xs().reduce((a, b) => a + b, 0) / events.length;
    case 'min':
      return events.length === 0 ? null : Math.min(...xs());
    case 'max':
      return events.length === 0 ? null : Math.max(...xs());
    case 'stddev': {
      if (events.length === 0) return null;
      const values = xs();
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      return Math.sqrt(values.reduce((a, x) => a + (x - mean) ** 2, 0) / values.length);
    }
    case 'distinct':
      return new Set(events.map((e) => String(fieldAt(e.body, field)))).size;
    case 'last': {
      let best: OracleEvent | undefined;
      for (const e of events) {
        // Later in processing order wins full ties, hence >=.
        if (!best || e.tau > best.tau || (e.tau === best.tau && e.alpha >= best.alpha)) best = e;
      }
      const value = best === undefined ? null : fieldAt(best.body, field);
      // A number JSON cannot hold (1e999 parses to Infinity) reads null.
      return typeof value === 'number' && !Number.isFinite(value) ? null : value;
    }
  }
}
