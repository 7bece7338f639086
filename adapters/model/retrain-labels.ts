/**
 * Delayed labels (the monitor's format, core/monitoring/delayed-labels.ts) as the labels of a training set:
 * each names its event by entity keys and the spec's time field, the features are as of that time, and its
 * label_time (when it became known) decides which side of the holdout cut it falls on.
 */
import type { CompiledEntity, CompiledSpec } from '../../core/index.js';
import type { DelayedLabel, LabelProblem, ScoredRequest } from '../../core/monitoring/index.js';
import type { TimeWindow } from '../monitoring/quality-report.js';
import { inWindow } from '../monitoring/quality-report.js';

/** Labels ready for the training-set build, in event-time order (stable), with what each row will be. */
export interface RetrainLabels {
  /** The entities every label names by keys: the training set joins their features. */
  readonly entities: readonly CompiledEntity[];
  /** One JSON Lines line per label, in the training-set label format (keys, time field, id, label). */
  readonly lines: readonly string[];
  /** Per line: when the label became known (epoch ms). */
  readonly labelTimes: readonly number[];
  /** Per line: the labelled event's id when the label carries it, else the label's `file:line`. */
  readonly ids: readonly string[];
  /** Per line: 0 or 1. */
  readonly labels: readonly (0 | 1)[];
  /** Labels whose event time fell outside the window. */
  readonly outsideWindow: number;
  /** Labels left out as repeats of an earlier one (`repeatOf`). */
  readonly repeats: number;
}

/** A problem with the labels that stops a retrain; the message names the file and line. */
export class RetrainLabelError extends Error {
  override readonly name = 'RetrainLabelError';
}

/**
 * Checks the labels and orders them for a training set. A retrain trains on these labels, so it stops on the
 * first set-aside line (a bad label is not quietly left out of a model), and on a label that names its request
 * only by request_id (its features are found by entity keys and event time; the feature log is not read).
 */
export function retrainLabels(
  spec: CompiledSpec,
  read: {
    readonly labels: readonly DelayedLabel[];
    readonly problems: readonly LabelProblem[];
    /** Whether labels by request id were looked up in the feature log (for the message when one is not found). */
    readonly featureLogRead?: boolean;
  },
  window: TimeWindow = {},
): RetrainLabels {
  const [problem] = read.problems;
  if (problem) {
    const more = read.problems.length > 1 ? ` (and ${read.problems.length - 1} more bad lines)` : '';
    throw new RetrainLabelError(`${problem.source}: ${problem.reason}${more}`);
  }
  const byIdOnly = read.labels.find((label) => label.t === null);
  if (byIdOnly) {
    throw new RetrainLabelError(
      `${byIdOnly.source}: names its request by request_id only${
        read.featureLogRead ? ', and the feature log has no such request' : ''
      }; retraining needs the entity key fields and the time field "${spec.timeField}" (the event the label ` +
        'is about), as the archive is replayed by them' +
        (read.featureLogRead ? '' : ': give --feature-log to find them by request id'),
    );
  }
  const inTime = read.labels.filter((label) => inWindow(window, label.t as number));
  const selected = withoutRepeats(inTime);
  if (selected.length === 0) {
    throw new RetrainLabelError(
      `no label has its event time in the window (${read.labels.length} read): nothing to train on`,
    );
  }
  // The entities every label carries the keys of: a training set has one set of feature columns.
  const entities = spec.entities.filter((entity) =>
    selected.every((label) => entity.keyFields.every((field) => field in label.keys)),
  );
  if (entities.length === 0) {
    const wanted = spec.entities.map((e) => `${e.name} (${e.keyFields.join(', ')})`).join('; ');
    throw new RetrainLabelError(
      `the labels share the key fields of no entity: every label needs those of one of ${wanted}`,
    );
  }
  const keyFields = [...new Set(entities.flatMap((entity) => entity.keyFields))];
  const sorted = [...selected].sort((a, b) => (a.t as number) - (b.t as number));
  return {
    entities,
    lines: sorted.map((label) => {
      const line: Record<string, unknown> = { label: label.label };
      for (const field of keyFields) setPath(line, field, label.keys[field]);
      setPath(line, spec.timeField, label.t);
      if (spec.idField !== undefined && label.eventId !== undefined)
        setPath(line, spec.idField, label.eventId);
      return JSON.stringify(line);
    }),
    labelTimes: sorted.map((label) => label.labelTime),
    ids: sorted.map((label) => label.eventId ?? label.source),
    labels: sorted.map((label) => label.label),
    outsideWindow: read.labels.length - inTime.length,
    repeats: inTime.length - selected.length,
  };
}

/**
 * What makes a label a repeat of another: the same event (keys, time, id, request), the same label and the same
 * label_time, so the same line delivered again (the labels stream and Firehose are at least once). A second
 * label for one event with another value or label_time is a label of its own (a correction) and is kept.
 */
function repeatOf(label: DelayedLabel): string {
  const keys = Object.entries(label.keys).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([
    keys,
    label.t,
    label.eventId ?? null,
    label.requestId,
    label.label,
    label.labelTime,
  ]);
}

/** The labels less the repeats of an earlier one, in their order. */
function withoutRepeats(labels: readonly DelayedLabel[]): DelayedLabel[] {
  const seen = new Set<string>();
  return labels.filter((label) => {
    const key = repeatOf(label);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Labels that name their request by request_id only, given the entity keys and the time (t, the event time the
 * caller passed) of the request the feature log holds under that id. Labels already naming keys and time, and
 * those whose id the log lacks, are returned as they were.
 */
export function placeByRequestId(
  labels: readonly DelayedLabel[],
  requests: readonly ScoredRequest[],
): { labels: DelayedLabel[]; placed: number } {
  const byId = new Map<string, ScoredRequest>();
  for (const request of requests) {
    if (request.requestId !== null && !byId.has(request.requestId)) byId.set(request.requestId, request);
  }
  let placed = 0;
  const result = labels.map((label) => {
    const request = label.t === null && label.requestId !== null ? byId.get(label.requestId) : undefined;
    if (!request) return label;
    const keys: Record<string, string> = {};
    for (const { key } of request.entities) {
      for (const [field, value] of Object.entries(key)) keys[field] = String(value);
    }
    placed++;
    return { ...label, keys, t: request.t };
  });
  return { labels: result, placed };
}

/** Sets a dotted field path (`geo.country`), as the spec's getters read it. */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const segments = path.split('.');
  let node = target;
  for (const segment of segments.slice(0, -1)) {
    const next = node[segment];
    if (next === null || typeof next !== 'object') node[segment] = {};
    node = node[segment] as Record<string, unknown>;
  }
  node[segments[segments.length - 1] as string] = value;
}
