import { parseDuration } from '../duration.js';
import { compileFieldPath, type FieldGetter } from '../field-path.js';
import type { Aggregation, FeatureSpec, Spec, WhereFilter } from './types.js';

/** A feature ready to run: durations in ms, getters and filters compiled. */
export interface CompiledFeature {
  /** The feature as the spec states it. */
  readonly definition: FeatureSpec;
  readonly name: string;
  readonly agg: Aggregation;
  readonly windowMs: number;
  readonly tileMs: number;
  /** Number of tiles in the window, W/g. */
  readonly tiles: number;
  readonly field?: string;
  readonly getField?: FieldGetter;
  readonly matches?: (event: Record<string, unknown>) => boolean;
}

/** The features of one entity that share a tile size: they share online-store tiles. */
export interface FeatureGroup {
  readonly tileMs: number;
  /** The longest window in the group, in tiles: how many tiles the group keeps. */
  readonly maxTiles: number;
  readonly features: readonly CompiledFeature[];
}

export interface CompiledEntity {
  readonly name: string;
  readonly keyFields: readonly string[];
  readonly keyGetters: readonly FieldGetter[];
  readonly groups: readonly FeatureGroup[];
  /** All features of the entity in spec order, with where each lives. */
  readonly features: readonly { feature: CompiledFeature; group: number; index: number }[];
  /** The longest window of any feature of the entity. */
  readonly maxWindowMs: number;
}

export interface CompiledSpec {
  readonly spec: Spec;
  readonly timeField: string;
  readonly getTime: FieldGetter;
  readonly idField?: string;
  readonly getId?: FieldGetter;
  readonly allowedLatenessMs: number;
  readonly maxFutureSkewMs: number;
  readonly dedupeHorizonMs: number;
  /** Position of the event.dedupeScope entity (its item key scopes the id); absent: ids dedupe stream-wide. */
  readonly dedupeScope?: number;
  readonly entities: readonly CompiledEntity[];
  readonly entityByName: ReadonlyMap<string, CompiledEntity>;
}

function ms(duration: string): number {
  const parsed = parseDuration(duration);
  if ('error' in parsed) throw new Error(`normalized spec holds a bad duration: ${parsed.error}`);
  return parsed.ms;
}

/** Compiles a normalized spec (from parseSpec) for the engine. */
export function compileSpec(spec: Spec): CompiledSpec {
  const entities = Object.entries(spec.entities).map(([name, keyFields]) =>
    compileEntity(
      name,
      keyFields,
      spec.features.filter((f) => f.entity === name),
    ),
  );
  const compiled: CompiledSpec = {
    spec,
    timeField: spec.event.timeField,
    getTime: compileFieldPath(spec.event.timeField),
    allowedLatenessMs: ms(spec.event.allowedLateness),
    maxFutureSkewMs: ms(spec.event.maxFutureSkew),
    dedupeHorizonMs: ms(spec.event.dedupeHorizon),
    entities,
    entityByName: new Map(entities.map((e) => [e.name, e])),
  };
  if (spec.event.idField === undefined) return compiled;
  const scope =
    spec.event.dedupeScope === undefined ? -1 : entities.findIndex((e) => e.name === spec.event.dedupeScope);
  return {
    ...compiled,
    idField: spec.event.idField,
    getId: compileFieldPath(spec.event.idField),
    ...(scope >= 0 ? { dedupeScope: scope } : {}),
  };
}

function compileEntity(
  name: string,
  keyFields: readonly string[],
  specs: readonly FeatureSpec[],
): CompiledEntity {
  const byTile = new Map<number, CompiledFeature[]>();
  for (const spec of specs) {
    const feature = compileFeature(spec);
    const list = byTile.get(feature.tileMs) ?? [];
    list.push(feature);
    byTile.set(feature.tileMs, list);
  }
  const groups: FeatureGroup[] = [...byTile.entries()]
    .sort(([a], [b]) => a - b)
    .map(([tileMs, features]) => ({ tileMs, features, maxTiles: Math.max(...features.map((f) => f.tiles)) }));
  const features = specs.map((spec) => {
    const group = groups.findIndex((g) => g.features.some((f) => f.name === spec.name));
    const index = (groups[group] as FeatureGroup).features.findIndex((f) => f.name === spec.name);
    return { feature: (groups[group] as FeatureGroup).features[index] as CompiledFeature, group, index };
  });
  return {
    name,
    keyFields,
    keyGetters: keyFields.map(compileFieldPath),
    groups,
    features,
    maxWindowMs: Math.max(0, ...features.map((f) => f.feature.windowMs)),
  };
}

function compileFeature(spec: FeatureSpec): CompiledFeature {
  const windowMs = ms(spec.window);
  const tileMs = ms(spec.tile);
  // Every feature has every property, set or undefined: one object shape, so the engine's per-event loops over
  // features read them at one cost.
  return {
    definition: spec,
    name: spec.name,
    agg: spec.agg,
    windowMs,
    tileMs,
    tiles: windowMs / tileMs,
    field: spec.field,
    getField: spec.field === undefined ? undefined : compileFieldPath(spec.field),
    matches: spec.where ? compileWhere(spec.where) : undefined,
  };
}

/** A where filter as a predicate. A missing field matches nothing but `ne`. */
export function compileWhere(where: WhereFilter): (event: Record<string, unknown>) => boolean {
  const get = compileFieldPath(where.field);
  if (where.eq !== undefined) return (e) => get(e) === where.eq;
  if (where.ne !== undefined) return (e) => get(e) !== where.ne;
  if (where.in !== undefined) {
    const allowed = new Set(where.in);
    return (e) => allowed.has(get(e) as never);
  }
  const number = (e: Record<string, unknown>) => {
    const v = get(e);
    return typeof v === 'number' ? v : Number.NaN;
  };
  if (where.gt !== undefined) return (e) => number(e) > (where.gt as number);
  if (where.gte !== undefined) return (e) => number(e) >= (where.gte as number);
  if (where.lt !== undefined) return (e) => number(e) < (where.lt as number);
  return (e) => number(e) <= (where.lte as number);
}
