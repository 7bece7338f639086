import type { DelayedLabel } from './delayed-labels.js';

/** One scoring request as the feature log holds it: what monitoring needs of it. */
export interface ScoredRequest {
  /** `file:row`, for messages. */
  readonly source: string;
  readonly requestId: string | null;
  /** When the request arrived, epoch ms (the log's request_ms; t when an older log lacks it). */
  readonly requestMs: number;
  /** The time the features were read as of: the event's time when the caller passed it. */
  readonly t: number;
  readonly entities: readonly { readonly entity: string; readonly key: Readonly<Record<string, string>> }[];
  readonly features: Readonly<Record<string, unknown>>;
  readonly score: number | null;
  readonly modelVersion: string | null;
  /** champion or challenger: the model the request was assigned to. */
  readonly variant: string | null;
  readonly shadowScore: number | null;
  readonly shadowModelVersion: string | null;
}

/**
 * The join rule, stated once: a label with a `request_id` joins the logged request with that id. A label without
 * one (or whose id the log lacks) joins by its entity keys and event time: among the logged requests whose
 * entities carry exactly the label's values for every key field they share with it (at least one entity's
 * fields all present), the one whose t is nearest the label's time, if within JOIN_TOLERANCE_MS. A request
 * takes at most one label: the first in label order; later ones count as duplicates.
 */
export const JOIN_TOLERANCE_MS = 5_000;

export interface LabelJoin {
  readonly pairs: { readonly request: ScoredRequest; readonly label: DelayedLabel }[];
  /** Labels that matched no logged request. */
  readonly unmatched: readonly DelayedLabel[];
  /** Labels for a request that an earlier label already took. */
  readonly duplicates: readonly DelayedLabel[];
}

export function joinLabels(
  requests: readonly ScoredRequest[],
  labels: readonly DelayedLabel[],
  toleranceMs = JOIN_TOLERANCE_MS,
): LabelJoin {
  const byId = new Map<string, ScoredRequest>();
  const byKey = new Map<string, ScoredRequest[]>();
  for (const request of requests) {
    if (request.requestId !== null && !byId.has(request.requestId)) byId.set(request.requestId, request);
    // Indexed under each key field's value, once per request.
    const indexed = new Set<string>();
    for (const { key } of request.entities) {
      for (const [field, value] of Object.entries(key)) indexed.add(fieldIndexKey(field, String(value)));
    }
    for (const index of indexed) {
      const list = byKey.get(index);
      if (list) list.push(request);
      else byKey.set(index, [request]);
    }
  }
  const taken = new Set<ScoredRequest>();
  const pairs: LabelJoin['pairs'][number][] = [];
  const unmatched: DelayedLabel[] = [];
  const duplicates: DelayedLabel[] = [];
  for (const label of labels) {
    const request =
      (label.requestId !== null ? byId.get(label.requestId) : undefined) ?? byKeys(label, byKey, toleranceMs);
    if (!request) unmatched.push(label);
    else if (taken.has(request)) duplicates.push(label);
    else {
      taken.add(request);
      pairs.push({ request, label });
    }
  }
  return { pairs, unmatched, duplicates };
}

function byKeys(
  label: DelayedLabel,
  byKey: ReadonlyMap<string, ScoredRequest[]>,
  toleranceMs: number,
): ScoredRequest | undefined {
  const [field] = Object.keys(label.keys);
  if (label.t === null || field === undefined) return undefined;
  let best: ScoredRequest | undefined;
  let bestGap = Number.POSITIVE_INFINITY;
  for (const request of byKey.get(fieldIndexKey(field, label.keys[field] as string)) ?? []) {
    if (!sameKeys(request, label.keys)) continue;
    const gap = Math.abs(request.t - label.t);
    if (gap <= toleranceMs && gap < bestGap) {
      best = request;
      bestGap = gap;
    }
  }
  return best;
}

function fieldIndexKey(field: string, value: string): string {
  return `${field}\u0000${value}`;
}

/**
 * The request names the label's event: every key field both have agrees, and one of the request's entities has
 * all its key fields in the label.
 */
function sameKeys(request: ScoredRequest, keys: Readonly<Record<string, string>>): boolean {
  let covered = false;
  for (const { key } of request.entities) {
    let all = true;
    for (const [field, value] of Object.entries(key)) {
      if (!(field in keys)) all = false;
      else if (keys[field] !== String(value)) return false;
    }
    if (all) covered = true;
  }
  return covered;
}
