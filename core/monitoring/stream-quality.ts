/**
 * Data quality of the stream, from the raw archive (every record as it arrived) and the side outputs (the
 * quarantined and late records, with the rule that set each aside): volume per hour against the same hour a week
 * earlier, set-aside rates by rule, and per-field null and invalid rates for the fields the spec reads.
 */
import { parseEventTime } from '../engine/event-time.js';
import { compileFieldPath, type FieldGetter } from '../field-path.js';
import type { CompiledSpec } from '../spec/compile.js';
import { NUMERIC_AGGREGATIONS } from '../spec/types.js';

const HOUR_MS = 3_600_000;
const WEEK_MS = 7 * 24 * HOUR_MS;

/** What a field must hold to be valid: the time, a key (id, entity keys, distinct), a number, or anything. */
type FieldKind = 'time' | 'key' | 'number' | 'any';

export interface HourVolume {
  /** The hour's start, epoch ms (UTC). */
  readonly hourMs: number;
  readonly records: number;
  /** The same hour 7 days earlier; null when the archive does not reach back that far. */
  readonly weekEarlier: number | null;
}

export interface FieldQuality {
  readonly field: string;
  readonly kind: FieldKind;
  readonly nullRate: number;
  readonly invalidRate: number;
}

export interface StreamQuality {
  /** Archive records that arrived in the window. */
  readonly records: number;
  /** Of those, records that are not a JSON object (their fields cannot be read). */
  readonly unreadable: number;
  readonly hours: readonly HourVolume[];
  /** Set-aside records by `reason/rule` (quarantine: invalid/…, future/future; late/late), rate of records. */
  readonly setAside: readonly {
    readonly reason: string;
    readonly rule: string;
    readonly count: number;
    readonly rate: number;
  }[];
  readonly fields: readonly FieldQuality[];
}

/** Accumulates records and set-aside lines, then reports over a window of arrival time. */
const decoder = new TextDecoder();

/** An archive record's body as `addRecord` takes it: its JSON, or undefined when it is not JSON (unreadable). */
export function recordBody(data: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(data));
  } catch {
    return undefined;
  }
}

export class StreamQualityTally {
  private readonly byHour = new Map<number, number>();
  private earliestMs = Number.POSITIVE_INFINITY;
  private records = 0;
  private unreadable = 0;
  private readonly fields: {
    field: string;
    kind: FieldKind;
    get: FieldGetter;
    nulls: number;
    invalid: number;
  }[];
  private readonly setAside = new Map<string, { reason: string; rule: string; count: number }>();

  constructor(
    spec: CompiledSpec,
    private readonly window: {
      readonly fromMs?: number | undefined;
      readonly toMs?: number | undefined;
    } = {},
  ) {
    const kinds = new Map<string, FieldKind>([[spec.timeField, 'time']]);
    if (spec.idField !== undefined) kinds.set(spec.idField, 'key');
    for (const fields of Object.values(spec.spec.entities))
      for (const field of fields) kinds.set(field, 'key');
    for (const feature of spec.spec.features) {
      if (feature.field !== undefined && !kinds.has(feature.field)) {
        kinds.set(
          feature.field,
          NUMERIC_AGGREGATIONS.includes(feature.agg) ? 'number' : feature.agg === 'distinct' ? 'key' : 'any',
        );
      }
      if (feature.where && !kinds.has(feature.where.field)) kinds.set(feature.where.field, 'any');
    }
    this.fields = [...kinds].map(([field, kind]) => ({
      field,
      kind,
      get: compileFieldPath(field),
      nulls: 0,
      invalid: 0,
    }));
  }

  /** One archive record: its arrival and its parsed body (undefined when not JSON). */
  addRecord(arrivalMs: number, body: unknown): void {
    const hour = Math.floor(arrivalMs / HOUR_MS) * HOUR_MS;
    this.byHour.set(hour, (this.byHour.get(hour) ?? 0) + 1);
    if (arrivalMs < this.earliestMs) this.earliestMs = arrivalMs;
    if (!this.inWindow(arrivalMs)) return;
    this.records++;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      this.unreadable++;
      return;
    }
    for (const field of this.fields) {
      const value = field.get(body as Record<string, unknown>);
      if (value === undefined || value === null) field.nulls++;
      else if (!valid(field.kind, value)) field.invalid++;
    }
  }

  /** One quarantine or late line. */
  addSetAside(reason: string, rule: string, arrivalMs: number): void {
    if (!this.inWindow(arrivalMs)) return;
    const id = `${reason}/${rule}`;
    const entry = this.setAside.get(id) ?? { reason, rule, count: 0 };
    entry.count++;
    this.setAside.set(id, entry);
  }

  report(): StreamQuality {
    const seen = [...this.byHour.keys()];
    const hours: HourVolume[] = [];
    if (seen.length > 0) {
      const first = this.window.fromMs ?? Math.min(...seen);
      const end = this.window.toMs ?? Math.max(...seen) + HOUR_MS;
      for (let hour = Math.floor(first / HOUR_MS) * HOUR_MS; hour < end; hour += HOUR_MS) {
        const before = hour - WEEK_MS;
        hours.push({
          hourMs: hour,
          records: this.byHour.get(hour) ?? 0,
          weekEarlier:
            before >= Math.floor(this.earliestMs / HOUR_MS) * HOUR_MS ? (this.byHour.get(before) ?? 0) : null,
        });
      }
    }
    const rate = (n: number, of: number) => (of > 0 ? n / of : 0);
    const readable = this.records - this.unreadable;
    return {
      records: this.records,
      unreadable: this.unreadable,
      hours,
      setAside: [...this.setAside.values()]
        .sort((a, b) => b.count - a.count)
        .map((entry) => ({ ...entry, rate: rate(entry.count, this.records) })),
      fields: this.fields.map(({ field, kind, nulls, invalid }) => ({
        field,
        kind,
        nullRate: rate(nulls, readable),
        invalidRate: rate(invalid, readable),
      })),
    };
  }

  private inWindow(ms: number): boolean {
    const { fromMs, toMs } = this.window;
    return (fromMs === undefined || ms >= fromMs) && (toMs === undefined || ms < toMs);
  }
}

function valid(kind: FieldKind, value: unknown): boolean {
  switch (kind) {
    case 'time':
      return parseEventTime(value) !== undefined;
    case 'key':
      return (
        (typeof value === 'string' && value !== '') || (typeof value === 'number' && Number.isFinite(value))
      );
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    default:
      return true;
  }
}
