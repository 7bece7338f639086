import { formatDuration, parseDuration } from '../duration.js';
import { isValidFieldPath } from '../field-path.js';
import { MAX_KEY_BYTES, MAX_NAME_BYTES, utf8Bytes } from '../store-limits.js';
import { describeIssues, formatPath, SpecError } from './errors.js';
import { entityKeysSchema, featureSchema, type SpecInput, specSchema } from './schema.js';
import {
  DEFAULT_ALLOWED_LATENESS,
  DEFAULT_DEDUPE_HORIZON,
  DEFAULT_MAX_FUTURE_SKEW,
  type FeatureSpec,
  MAX_TILES_PER_WINDOW,
  NUMERIC_AGGREGATIONS,
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
  // JSON numbers beyond a double (1e400) parse as Infinity, which JSON shows as null: name them first, and leave
  // the schema's less helpful words about the same paths out.
  const overflows = nonFiniteNumbers(input);
  const issues: string[] = overflows.map(
    (path) => `${formatPath(path)}: a number too large to represent (it reads as Infinity)`,
  );
  const parsed = specSchema.safeParse(input);
  let raw: SpecParts;
  if (parsed.success) {
    const data = parsed.data;
    raw = {
      ...data,
      complete: true,
      entitiesComplete: true,
      features: data.features.map((f, i) => [i, f] as const),
      featureNames: data.features.map((f, i) => [i, f.name] as const),
    };
  } else {
    const schemaIssues = parsed.error.issues.filter(
      (issue) => !overflows.some((path) => startsWith(issue.path, path) || startsWith(path, issue.path)),
    );
    issues.push(...describeIssues(schemaIssues, input, '(spec)'));
    // Check on what did parse: every problem at once, not only the structural ones.
    raw = salvage(input);
  }
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

  if (raw.event.timeField !== undefined) checkPath(raw.event.timeField, ['event', 'timeField']);
  if (raw.event.idField !== undefined) checkPath(raw.event.idField, ['event', 'idField']);
  for (const path of Object.keys(raw.event.fields ?? {})) checkPath(path, ['event', 'fields', path]);
  const lateness = durationAt(
    raw.event.allowedLateness,
    ['event', 'allowedLateness'],
    DEFAULT_ALLOWED_LATENESS,
  );
  const skew = durationAt(raw.event.maxFutureSkew, ['event', 'maxFutureSkew'], DEFAULT_MAX_FUTURE_SKEW);
  const horizon = durationAt(raw.event.dedupeHorizon, ['event', 'dedupeHorizon'], DEFAULT_DEDUPE_HORIZON);

  const entityNames = Object.keys(raw.entities);
  if (entityNames.length === 0 && raw.complete) issues.push('entities: declare at least one entity');
  for (const [name, keys] of Object.entries(raw.entities)) {
    keys.forEach((key, i) => {
      checkPath(key, ['entities', name, i]);
    });
    if (new Set(keys).size !== keys.length) {
      issues.push(`entities.${name}: key fields repeat (got ${JSON.stringify(keys)})`);
    }
  }

  checkDedupeScope(raw, issues);
  checkNames(raw, issues);
  checkStoreLimits(raw, issues);
  const features: FeatureSpec[] = raw.features.map(([i, f]) => {
    const at = (key: string): PropertyKey[] => ['features', i, key];
    if (raw.entitiesComplete && !(f.entity in raw.entities)) {
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
    const declared = f.field === undefined ? undefined : raw.event.fields?.[f.field];
    if (declared === 'string' && NUMERIC_AGGREGATIONS.includes(f.agg)) {
      issues.push(
        `${formatPath(at('field'))}: ${JSON.stringify(f.agg)} needs a number, but event.fields declares ` +
          `${JSON.stringify(f.field)} a string`,
      );
    }
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

  if (issues.length > 0 || !raw.complete) throw new SpecError(issues, source);
  const event: Spec['event'] = {
    timeField: raw.event.timeField as string,
    ...(raw.event.idField === undefined ? {} : { idField: raw.event.idField }),
    allowedLateness: formatDuration(lateness),
    maxFutureSkew: formatDuration(skew),
    dedupeHorizon: formatDuration(horizon),
    ...(raw.event.dedupeScope === undefined ? {} : { dedupeScope: raw.event.dedupeScope }),
    ...(raw.event.fields === undefined ? {} : { fields: raw.event.fields }),
  };
  return { version: 1, name: raw.name as string, event, entities: raw.entities, features };
}

type SpecInputFeature = SpecInput['features'][number];

/**
 * event.dedupeScope names the first entity (the stream's partition key: every copy of an event meets in one of its
 * items, which keeps the id claims) and needs an id field to dedupe by.
 */
function checkDedupeScope(raw: SpecParts, issues: string[]): void {
  const scope = raw.event.dedupeScope;
  if (scope === undefined) return;
  const names = Object.keys(raw.entities);
  if (raw.entitiesComplete && !names.includes(scope)) {
    issues.push(
      `event.dedupeScope: unknown entity ${JSON.stringify(scope)} (declared: ${names.join(', ') || 'none'})`,
    );
  } else if (names.length > 0 && names[0] !== scope) {
    issues.push(
      `event.dedupeScope: ${JSON.stringify(scope)} must be the first entity (${JSON.stringify(names[0])}): the ` +
        'stream is partitioned by it, so every copy of an event reaches the one item that keeps its id claims',
    );
  }
  if (raw.event.idField === undefined) {
    issues.push(`event.dedupeScope: ${JSON.stringify(scope)} needs event.idField (the id to dedupe by)`);
  }
}

/** The parts of a spec input the checks below read; `complete` when the whole input matched the schema. */
interface SpecParts {
  readonly complete: boolean;
  readonly name?: string | undefined;
  readonly event: Partial<SpecInput['event']>;
  readonly entities: Record<string, string[]>;
  /** Every entity matched the schema: an entity a feature names but this lacks is unknown. */
  readonly entitiesComplete?: boolean;
  /** Each feature with its index in the input. */
  readonly features: readonly (readonly [number, SpecInputFeature])[];
  /** The name of every feature that has one, with its index (including features that did not parse). */
  readonly featureNames: readonly (readonly [number, string])[];
}

/**
 * Feature names become column names downstream: no two may be equal, or equal but for case (Parquet readers,
 * DuckDB, Glue and Athena ignore case), and none may be a training set's other columns.
 */
function checkNames(raw: SpecParts, issues: string[]): void {
  const seen = new Map<string, { index: number; name: string }>();
  const reserved = trainingSetColumns(raw);
  for (const [i, name] of raw.featureNames) {
    const earlier = seen.get(name.toLowerCase());
    if (earlier?.name === name) {
      issues.push(
        `features[${i}].name: ${JSON.stringify(name)} is already the name of features[${earlier.index}]`,
      );
    } else if (earlier !== undefined) {
      issues.push(
        `features[${i}].name: ${JSON.stringify(name)} differs from features[${earlier.index}] ${JSON.stringify(earlier.name)} ` +
          'only in case, and column names downstream (Parquet readers, DuckDB, Glue, Athena) ignore case',
      );
    } else seen.set(name.toLowerCase(), { index: i, name });
    const clash = reserved.get(name.toLowerCase());
    if (clash !== undefined) {
      issues.push(
        `features[${i}].name: ${JSON.stringify(name)} is also a column of every training set (${clash}): name the feature otherwise`,
      );
    }
  }
}

/**
 * What the spec decides of what the online store writes must fit DynamoDB's limits (core/store-limits.ts): every
 * item key starts with its entity's name and holds a `#` and at least one byte per key field; feature names become
 * column names (and attribute names, should a layout write them so).
 */
function checkStoreLimits(raw: SpecParts, issues: string[]): void {
  for (const [name, keys] of Object.entries(raw.entities)) {
    const nameBytes = utf8Bytes(name);
    if (nameBytes > MAX_NAME_BYTES) {
      issues.push(
        `entities.${name.slice(0, 40)}...: the entity name is ${nameBytes} bytes, over the limit of ${MAX_NAME_BYTES}`,
      );
    } else if (nameBytes + 2 * keys.length > MAX_KEY_BYTES) {
      issues.push(
        `entities.${name}: ${keys.length} key fields make every key at least ${nameBytes + 2 * keys.length} bytes, ` +
          `over the key limit of ${MAX_KEY_BYTES}`,
      );
    }
  }
  for (const [i, name] of raw.featureNames) {
    const bytes = utf8Bytes(name);
    if (bytes > MAX_NAME_BYTES) {
      issues.push(
        `features[${i}].name: ${JSON.stringify(`${name.slice(0, 40)}...`)} is ${bytes} bytes, over the limit of ${MAX_NAME_BYTES}`,
      );
    }
  }
}

/** The parts of an input that match the schema on their own, so that they can be checked too. */
function salvage(input: unknown): SpecParts {
  const object = (value: unknown): Record<string, unknown> =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  const spec = object(input);
  const event: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object(spec.event))) {
    const single = specSchema.shape.event.shape[key as keyof SpecInput['event']];
    if (single?.safeParse(value).success) event[key] = value;
  }
  const entities: Record<string, string[]> = {};
  const entityEntries = Object.entries(object(spec.entities));
  for (const [name, keys] of entityEntries) {
    if (entityKeysSchema.safeParse(keys).success) entities[name] = keys as string[];
  }
  const inputs: unknown[] = Array.isArray(spec.features) ? spec.features : [];
  const features = inputs.flatMap((feature, i) => {
    const parsed = featureSchema.safeParse(feature);
    return parsed.success ? [[i, parsed.data] as const] : [];
  });
  const featureNames = inputs.flatMap((feature, i) => {
    const name = object(feature).name;
    return typeof name === 'string' ? [[i, name] as const] : [];
  });
  return {
    complete: false,
    name: typeof spec.name === 'string' ? spec.name : undefined,
    event,
    entities,
    entitiesComplete: Object.keys(entities).length === entityEntries.length,
    features,
    featureNames,
  };
}

/**
 * The columns a training set holds besides the features (core/training-set.ts), lower-cased, with what each is:
 * a feature of the same name (in any case) would clash with it.
 */
function trainingSetColumns(raw: SpecParts): Map<string, string> {
  const columns = new Map<string, string>([
    ['label', 'the label'],
    ['t', "the label's time"],
  ]);
  if (raw.event.idField !== undefined) columns.set(raw.event.idField.toLowerCase(), 'the id field');
  for (const [entity, keys] of Object.entries(raw.entities)) {
    for (const key of keys)
      if (!columns.has(key.toLowerCase())) columns.set(key.toLowerCase(), `a key field of entity ${entity}`);
  }
  return columns;
}

/** Paths of the numbers in a parsed input that are not finite (JSON overflow). */
function nonFiniteNumbers(value: unknown, path: PropertyKey[] = []): PropertyKey[][] {
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [path];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) =>
    nonFiniteNumbers(child, [...path, Array.isArray(value) ? Number(key) : key]),
  );
}

function startsWith(path: readonly PropertyKey[], prefix: readonly PropertyKey[]): boolean {
  return prefix.length <= path.length && prefix.every((part, i) => path[i] === part);
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
