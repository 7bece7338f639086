/**
 * The comparisons the monitoring report makes over the feature log's requests, shared by `streamfeatures
 * monitor` and the scheduled monitor function: the features each model version served in a window, those
 * features against the same window a week earlier, and a shadow challenger's scores against the champion's.
 */
import {
  compareScores,
  compareWithEarlier,
  type FeatureDrift,
  type ScoreComparison,
  type ScoredRequest,
  WEEK_MS,
  type WindowFeatureDrift,
} from '../../core/monitoring/index.js';
import { inWindow, type TimeWindow } from './quality-report.js';

/**
 * The window's served features against the same window a week earlier (PSI per feature, over the earlier
 * window's deciles, and null shares). An open end of the window is the log's first or last request.
 */
export interface WeekOverWeek {
  readonly window: { readonly from: string | null; readonly to: string | null };
  readonly earlierWindow: { readonly from: string | null; readonly to: string | null };
  readonly requests: number;
  readonly earlierRequests: number;
  readonly features: readonly WindowFeatureDrift[];
}

/** A model version's served features against its training distributions; null (with a note) when it has none. */
export interface ModelDrift {
  readonly modelVersion: string;
  readonly features: readonly FeatureDrift[] | null;
  readonly note?: string;
}

/** A champion and shadow challenger pair: the challenger's scores against the champion's on the same requests. */
export type ShadowComparison = {
  readonly championVersion: string;
  readonly challengerVersion: string;
} & ScoreComparison;

/** Per model version, the values of each feature it was served in the window (a shadow model sees the same vector). */
export function servedColumnsByModel(
  requests: readonly ScoredRequest[],
  window: TimeWindow,
): Map<string, Record<string, unknown[]>> {
  const served = new Map<string, Record<string, unknown[]>>();
  const serve = (version: string | null, features: Readonly<Record<string, unknown>>) => {
    if (version === null) return;
    let columns = served.get(version);
    if (!columns) {
      columns = {};
      served.set(version, columns);
    }
    addColumns(columns, features);
  };
  for (const request of requests) {
    if (!inWindow(window, request.requestMs)) continue;
    serve(request.modelVersion, request.features);
    if (request.shadowScore !== null) serve(request.shadowModelVersion, request.features);
  }
  return new Map([...served].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The features served in the window against those served in the same window a week earlier. */
export function weekOverWeek(requests: readonly ScoredRequest[], window: TimeWindow): WeekOverWeek {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const { requestMs } of requests) {
    if (requestMs < first) first = requestMs;
    if (requestMs > last) last = requestMs;
  }
  // An open end is the log's first or last request, never past the other end (an empty window stays empty).
  let fromMs = window.fromMs ?? (requests.length > 0 ? first : undefined);
  let toMs = window.toMs ?? (requests.length > 0 ? last + 1 : undefined);
  if (fromMs !== undefined && toMs !== undefined && fromMs > toMs) {
    if (window.fromMs === undefined) fromMs = toMs;
    else toMs = fromMs;
  }
  const earlier: TimeWindow = {
    fromMs: fromMs === undefined ? undefined : fromMs - WEEK_MS,
    toMs: toMs === undefined ? undefined : toMs - WEEK_MS,
  };
  const now = featureColumns(requests, { fromMs, toMs });
  const before = featureColumns(requests, earlier);
  return {
    window: { from: iso(fromMs), to: iso(toMs) },
    earlierWindow: { from: iso(earlier.fromMs), to: iso(earlier.toMs) },
    requests: now.requests,
    earlierRequests: before.requests,
    features: before.requests > 0 && now.requests > 0 ? compareWithEarlier(before.columns, now.columns) : [],
  };
}

/** Per (champion version, shadow version): the requests in the window both scored, compared. */
export function shadowComparison(
  requests: readonly ScoredRequest[],
  window: TimeWindow,
  threshold: number,
): ShadowComparison[] {
  const pairs = new Map<string, { champion: string; challenger: string; a: number[]; b: number[] }>();
  for (const request of requests) {
    if (request.score === null || request.shadowScore === null || !inWindow(window, request.requestMs))
      continue;
    const champion = request.modelVersion ?? 'unknown';
    const challenger = request.shadowModelVersion ?? 'unknown';
    const id = `${champion}\u0000${challenger}`;
    let pair = pairs.get(id);
    if (!pair) {
      pair = { champion, challenger, a: [], b: [] };
      pairs.set(id, pair);
    }
    pair.a.push(request.score);
    pair.b.push(request.shadowScore);
  }
  return [...pairs.values()]
    .sort((x, y) => (x.champion + x.challenger < y.champion + y.challenger ? -1 : 1))
    .map((pair) => ({
      championVersion: pair.champion,
      challengerVersion: pair.challenger,
      ...compareScores(pair.a, pair.b, threshold),
    }));
}

/** The feature values of the requests in a window, by feature name. */
function featureColumns(
  requests: readonly ScoredRequest[],
  window: TimeWindow,
): { requests: number; columns: Record<string, unknown[]> } {
  const columns: Record<string, unknown[]> = {};
  let count = 0;
  for (const request of requests) {
    if (!inWindow(window, request.requestMs)) continue;
    count++;
    addColumns(columns, request.features);
  }
  return { requests: count, columns };
}

function addColumns(columns: Record<string, unknown[]>, features: Readonly<Record<string, unknown>>): void {
  for (const [name, value] of Object.entries(features)) {
    const column = columns[name];
    if (column) column.push(value);
    else columns[name] = [value];
  }
}

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}
