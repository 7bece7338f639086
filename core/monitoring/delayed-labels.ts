import { parseEventTime } from '../engine/event-time.js';
import type { CompiledSpec } from '../spec/compile.js';

/**
 * Delayed labels: the truth about a scored request, known later (a chargeback weeks after the payment). One JSON
 * object per line:
 *
 *   {"request_id": "…", "label": 1, "label_time": "2026-11-20T10:00:00Z"}
 *   {"card_id": "c1", "merchant_id": "m9", "ts": 1762000000000, "label": true, "label_time": 1763600000000}
 *
 * naming the request by the scoring API's request id, or by entity key fields and the spec's time field (the
 * event's time, which the caller passed as the scoring request's t). `label` is 0, 1, true or false; `label_time`
 * (epoch ms or ISO-8601 with a zone) is when the label became known. A line that breaks a rule is set aside
 * with the reason, never dropped in silence.
 */
export interface DelayedLabel {
  /** `file:line`, for messages. */
  readonly source: string;
  readonly requestId: string | null;
  /** Entity key fields the label carries (field → value as text); empty when it names the request by id. */
  readonly keys: Readonly<Record<string, string>>;
  /** The labelled event's time (the spec's time field), epoch ms; null when named by request id only. */
  readonly t: number | null;
  readonly label: 0 | 1;
  readonly labelTime: number;
  /** The labelled event's id (the spec's id field), when the label carries it: retraining names rows by it. */
  readonly eventId?: string;
}

export interface LabelProblem {
  readonly source: string;
  readonly reason: string;
}

/** Checks one parsed label line: a label, or the reason it is set aside. */
export function parseDelayedLabel(
  spec: CompiledSpec,
  body: unknown,
  source: string,
): DelayedLabel | LabelProblem {
  const problem = (reason: string): LabelProblem => ({ source, reason });
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return problem(`a label must be a JSON object (got ${preview(body)})`);
  }
  const line = body as Record<string, unknown>;
  const rawLabel = line.label;
  const label =
    rawLabel === true || rawLabel === 1 ? 1 : rawLabel === false || rawLabel === 0 ? 0 : undefined;
  if (label === undefined) return problem(`"label" must be 0, 1, true or false (got ${preview(rawLabel)})`);
  const labelTime = parseEventTime(line.label_time);
  if (labelTime === undefined) {
    return problem(`"label_time" must be epoch ms or ISO-8601 with a zone (got ${preview(line.label_time)})`);
  }
  const rawId = line.request_id;
  if (rawId !== undefined && rawId !== null && (typeof rawId !== 'string' || rawId === '')) {
    return problem(`"request_id" must be a non-empty string (got ${preview(rawId)})`);
  }
  const requestId = typeof rawId === 'string' ? rawId : null;

  const keys: Record<string, string> = {};
  for (const entity of spec.entities) {
    entity.keyFields.forEach((field, i) => {
      const value = (entity.keyGetters[i] as (e: Record<string, unknown>) => unknown)(line);
      if (
        (typeof value === 'string' && value !== '') ||
        (typeof value === 'number' && Number.isFinite(value))
      ) {
        keys[field] = String(value);
      }
    });
  }
  const rawTime = spec.getTime(line);
  const t = rawTime === undefined || rawTime === null ? null : (parseEventTime(rawTime) ?? Number.NaN);
  if (t !== null && Number.isNaN(t)) {
    return problem(
      `time field "${spec.timeField}" must be epoch ms or ISO-8601 with a zone (got ${preview(rawTime)})`,
    );
  }
  if (requestId === null) {
    const named = spec.entities.some((entity) => entity.keyFields.every((field) => field in keys));
    if (!named || t === null) {
      const wanted = spec.entities.map((e) => e.keyFields.join(' + ')).join(' or ');
      return problem(
        `a label needs "request_id", or the key fields of an entity (${wanted}) and the time field "${spec.timeField}"`,
      );
    }
  }
  const rawEventId = spec.getId?.(line);
  const eventId =
    (typeof rawEventId === 'string' && rawEventId !== '') ||
    (typeof rawEventId === 'number' && Number.isFinite(rawEventId))
      ? String(rawEventId)
      : undefined;
  return { source, requestId, keys, t, label, labelTime, ...(eventId === undefined ? {} : { eventId }) };
}

export function isLabelProblem(value: DelayedLabel | LabelProblem): value is LabelProblem {
  return 'reason' in value;
}

function preview(value: unknown): string {
  const text = value === undefined ? 'nothing' : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
