import { formatDuration, parseDuration } from '../duration.js';
import { isValidFieldPath } from '../field-path.js';
import { describeIssues, formatPath, SpecError } from './errors.js';
import { specSchema } from './schema.js';
import {
  DEFAULT_ALLOWED_LATENESS,
  DEFAULT_DEDUPE_HORIZON,
  DEFAULT_MAX_FUTURE_SKEW,
  type FeatureSpec,
  MAX_TILES_PER_WINDOW,
  type Spec,
  type WhereFilter,
} from './types.js';

/** Tiles tried, smallest first, when a feature names none: the first that divides the window within the bound. */
const DEFAULT_TILES_MS = [1_000, 60_000, 300_000, 900_000, 3_600_000, 10_800_000, 21_600_000, 86_400_000];
const WHERE_OPS = ['eq', 'ne', 'in', 'gt', 'gte', 'lt', 'lte'] as const;

/**
 * Validates a spec in JSON form (or what the builders produce) into the normalized spec:
 * defaults filled in, durations spelled canonically. Throws SpecError listing every problem.
 */
export function parseSpec(input: unknown, source?: string): Spec {
  const parsed = specSchema.safeParse(input);
  if (!parsed.success) {
    throw new SpecError(describeIssues(parsed.error.issues, input, '(spec)'), source);
  }
  const raw = parsed.data;
  const issues: string[] = [];
  const durationAt = (value: unknown, path: PropertyKey[], fallback?: string): number => {
    const result = parseDuration(value ?? fallback);
    if ('error' in result) {
      issues.push(`${formatPath(path)}: ${result.error}`);
      return Number.NaN;
    }
    return result.ms;
  };
  const checkPath = (path: string, at: PropertyKey[]) => {
    if (!isValidFieldPath(path))
      issues.push(`${formatPath(at)}: ${JSON.stringify(path)} is not a field path`);
  };

  checkPath(raw.event.timeField, ['event', 'timeField']);
  if (raw.event.idField !== undefined) checkPath(raw.event.idField, ['event', 'idField']);
  const lateness = durationAt(
    raw.event.allowedLateness,
    ['event', 'allowedLateness'],
    DEFAULT_ALLOWED_LATENESS,
  );
  const skew = durationAt(raw.event.maxFutureSkew, ['event', 'maxFutureSkew'], DEFAULT_MAX_FUTURE_SKEW);
  const horizon = durationAt(raw.event.dedupeHorizon, ['event', 'dedupeHorizon'], DEFAULT_DEDUPE_HORIZON);

  const entityNames = Object.keys(raw.entities);
  if (entityNames.length === 0) issues.push('entities: declare at least one entity');
  for (const [name, keys] of Object.entries(raw.entities)) {
    keys.forEach((key, i) => {
      checkPath(key, ['entities', name, i]);
    });
    if (new Set(keys).size !== keys.length) {
      issues.push(`entities.${name}: key fields repeat (got ${JSON.stringify(keys)})`);
    }
  }

  const seen = new Map<string, number>();
  const features: FeatureSpec[] = raw.features.map((f, i) => {
    const at = (key: string): PropertyKey[] => ['features', i, key];
    const earlier = seen.get(f.name);
    if (earlier !== undefined) {
      issues.push(
        `features[${i}].name: ${JSON.stringify(f.name)} is already the name of features[${earlier}]`,
      );
    } else seen.set(f.name, i);
    if (!(f.entity in raw.entities)) {
      issues.push(
        `${formatPath(at('entity'))}: unknown entity ${JSON.stringify(f.entity)} (declared: ${entityNames.join(', ') || 'none'})`,
      );
    }
    if (f.agg === 'count' && f.field !== undefined) {
      issues.push(`${formatPath(at('field'))}: "count" takes no field (got ${JSON.stringify(f.field)})`);
    }
    if (f.agg !== 'count' && f.field === undefined) {
      issues.push(`${formatPath(at('field'))}: ${JSON.stringify(f.agg)} needs a field to aggregate`);
    }
    if (f.field !== undefined) checkPath(f.field, at('field'));
    const where = f.where && normalizeWhere(f.where, [...at('where')], issues);

    const windowMs = durationAt(f.window, at('window'));
    const tileMs = f.tile === undefined ? defaultTile(windowMs) : durationAt(f.tile, at('tile'));
    checkWindow(windowMs, tileMs, f, i, issues);

    const out: FeatureSpec = {
      name: f.name,
      entity: f.entity,
      agg: f.agg,
      window: formatDuration(windowMs),
      tile: formatDuration(tileMs),
    };
    if (f.field !== undefined) out.field = f.field;
    if (where) out.where = where;
    if (f.description !== undefined) out.description = f.description;
    return out;
  });

  if (issues.length > 0) throw new SpecError(issues, source);
  const event: Spec['event'] = {
    timeField: raw.event.timeField,
    ...(raw.event.idField === undefined ? {} : { idField: raw.event.idField }),
    allowedLateness: formatDuration(lateness),
    maxFutureSkew: formatDuration(skew),
    dedupeHorizon: formatDuration(horizon),
  };
  return { version: 1, name: raw.name, event, entities: raw.entities, features };
}

/** Parses spec JSON text; a syntax error names the source. */
export function parseSpecJson(text: string, source?: string): Spec {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    throw new SpecError([`not valid JSON: ${(error as Error).message}`], source);
  }
  return parseSpec(input, source);
}

function checkWindow(
  windowMs: number,
  tileMs: number,
  f: { window: unknown; tile?: unknown },
  i: number,
  issues: string[],
) {
  if (Number.isNaN(windowMs) || Number.isNaN(tileMs)) return;
  const shown = (v: unknown) => JSON.stringify(v ?? formatDuration(tileMs));
  if (windowMs % tileMs !== 0) {
    issues.push(
      `features[${i}].window: ${JSON.stringify(f.window)} is not a multiple of tile ${shown(f.tile)}`,
    );
    return;
  }
  const tiles = windowMs / tileMs;
  if (tiles > MAX_TILES_PER_WINDOW) {
    const suggestion = smallestTileWithin(windowMs);
    issues.push(
      `features[${i}].tile: window ${JSON.stringify(f.window)} spans ${tiles} tiles of ${shown(f.tile)}, ` +
        `more than the bound of ${MAX_TILES_PER_WINDOW}; use tile ${suggestion ? JSON.stringify(formatDuration(suggestion)) : `>= ${formatDuration(Math.ceil(windowMs / MAX_TILES_PER_WINDOW))}`}`,
    );
  }
}

function defaultTile(windowMs: number): number {
  if (Number.isNaN(windowMs)) return Number.NaN;
  return smallestTileWithin(windowMs) ?? windowMs;
}

/**
 * A tile for a window within the bound: the smallest round one (1s, 1m, 5m, 15m, 1h, 3h, 6h, 1d) that divides it,
 * else the smallest whole-second divisor.
 */
function smallestTileWithin(windowMs: number): number | undefined {
  const preferred = DEFAULT_TILES_MS.find((t) => windowMs % t === 0 && windowMs / t <= MAX_TILES_PER_WINDOW);
  if (preferred) return preferred;
  for (let n = MAX_TILES_PER_WINDOW; n >= 1; n--) {
    if (windowMs % n === 0 && (windowMs / n) % 1_000 === 0) return windowMs / n;
  }
  return undefined;
}

function normalizeWhere(where: WhereFilter, path: PropertyKey[], issues: string[]): WhereFilter | undefined {
  const ops = WHERE_OPS.filter((op) => where[op] !== undefined);
  if (ops.length !== 1) {
    issues.push(
      `${formatPath(path)}: give exactly one of ${WHERE_OPS.join(', ')} (got ${ops.length ? ops.join(', ') : 'none'})`,
    );
    return undefined;
  }
  if (!isValidFieldPath(where.field)) {
    issues.push(`${formatPath([...path, 'field'])}: ${JSON.stringify(where.field)} is not a field path`);
  }
  return where;
}
