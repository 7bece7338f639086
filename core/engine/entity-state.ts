import type { CompiledEntity, FeatureGroup } from '../spec/compile.js';
import { AGGREGATORS, type Aggregator, type FeatureValue, type Partial } from './aggregates.js';
import type { ValidEvent } from './classify.js';
import { murmur3 } from './hash.js';

/**
 * The tiles of one entity key: per feature group (features sharing a tile size g) the tiles by index floor(τ/g),
 * each holding one partial per feature of the group.
 *
 * Exactness at the edge of a window: an event with τ ≥ α (its producer's clock runs ahead) could still lie in the
 * future of a read at t ≥ α, so it is kept apart, by its τ, in the tile's `ahead` list, and counted only by reads
 * with t > τ. Every other event has τ < α ≤ t for any read after it arrived. Once the state has seen an arrival
 * past τ, the entry folds into the tile (settle).
 */
export interface Tile {
  /** The group the tile belongs to, and its index floor(τ/g). */
  readonly group: number;
  readonly index: number;
  p: Partial[];
  a?: AheadEntry[];
}
export interface AheadEntry {
  tau: number;
  p: Partial[];
}

/** The JSON the online store keeps: layout, latest arrival, and per group `[tileIndex, partials, ahead?]` rows. */
export interface EntityStateJson {
  l: string;
  a: number;
  g: [number, unknown[], [number, unknown[]][]?][][];
}

/** What every state of an entity shares: aggregators per group and the layout fingerprint. Built once. */
interface EntityPlan {
  readonly aggs: readonly Aggregator[][];
  readonly layout: string;
}
const plans = new WeakMap<CompiledEntity, EntityPlan>();

function planOf(entity: CompiledEntity): EntityPlan {
  let plan = plans.get(entity);
  if (!plan) {
    const aggs = entity.groups.map((group: FeatureGroup) => group.features.map((f) => AGGREGATORS[f.agg]));
    const meaning = ({
      description: _,
      ...rest
    }: CompiledEntity['features'][number]['feature']['definition']) => rest;
    const shape = entity.groups.map((g) => [g.tileMs, g.features.map((f) => meaning(f.definition))]);
    plan = { aggs, layout: murmur3(JSON.stringify(shape)).toString(36) };
    plans.set(entity, plan);
  }
  return plan;
}

/** A short fingerprint of what an entity's tiles hold, so a stored state is never read under another layout. */
export function layoutOf(entity: CompiledEntity): string {
  return planOf(entity).layout;
}

export class EntityState {
  /** All tiles of all groups, by tileKey(group, index): one map per state keeps a new key cheap. */
  readonly tiles = new Map<number, Tile>();
  /** The latest arrival time α of any event counted here. */
  maxArrival = Number.NEGATIVE_INFINITY;
  private readonly plan: EntityPlan;

  constructor(readonly entity: CompiledEntity) {
    this.plan = planOf(entity);
  }

  /** Counts one valid, timely, non-duplicate event. */
  apply(event: ValidEvent): void {
    const { tau, alpha, body } = event;
    const groups = this.entity.groups;
    for (let gi = 0; gi < groups.length; gi++) {
      const group = groups[gi] as FeatureGroup;
      const aggs = this.plan.aggs[gi] as Aggregator[];
      const tile = this.tileAt(gi, Math.floor(tau / group.tileMs));
      const partials = tau < alpha ? tile.p : this.aheadEntry(tile, tau).p;
      const features = group.features;
      for (let fi = 0; fi < features.length; fi++) {
        const feature = features[fi] as (typeof features)[number];
        if (feature.matches && !feature.matches(body)) continue;
        const value = feature.getField ? feature.getField(body) : undefined;
        partials[fi] = (aggs[fi] as Aggregator).add(partials[fi] as Partial, value, tau, alpha);
      }
    }
    if (alpha > this.maxArrival) this.maxArrival = alpha;
  }

  /**
   * Drops tiles no read at or after `nowMs` can reach, and folds ahead entries with τ < nowMs into their tiles.
   * Only call with a time no later than any read to come (the latest arrival counted is safe).
   */
  settle(nowMs: number): void {
    const groups = this.entity.groups;
    for (const [key, tile] of this.tiles) {
      const group = groups[tile.group] as FeatureGroup;
      if (tile.index <= Math.floor(nowMs / group.tileMs) - group.maxTiles) {
        this.tiles.delete(key);
        continue;
      }
      if (!tile.a) continue;
      const aggs = this.plan.aggs[tile.group] as Aggregator[];
      for (const entry of tile.a) if (entry.tau < nowMs) mergePartials(aggs, tile.p, entry.p);
      const keep = tile.a.filter((entry) => entry.tau >= nowMs);
      if (keep.length) tile.a = keep;
      else delete tile.a;
    }
  }

  /** Feature values as of t, per the semantics: the window's tiles, events with τ < t. */
  read(t: number): Record<string, FeatureValue> {
    const groups = this.entity.groups;
    // One pass over the state's tiles (few per key) instead of a lookup per tile of every window; each group's
    // tiles in index order, so partials merge in the same order whatever order the tiles were made in.
    const reachable: Tile[][] = groups.map(() => []);
    for (const tile of this.tiles.values()) {
      const group = groups[tile.group] as FeatureGroup;
      const current = Math.floor(t / group.tileMs);
      if (tile.index <= current && tile.index > current - group.maxTiles) {
        (reachable[tile.group] as Tile[]).push(tile);
      }
    }
    for (const tiles of reachable) if (tiles.length > 1) tiles.sort((a, b) => a.index - b.index);
    const values: Record<string, FeatureValue> = {};
    for (const { feature, group: gi, index: fi } of this.entity.features) {
      const agg = (this.plan.aggs[gi] as Aggregator[])[fi] as Aggregator;
      const first = Math.floor(t / feature.tileMs) - feature.tiles + 1;
      let acc = agg.empty();
      for (const tile of reachable[gi] as Tile[]) {
        if (tile.index < first) continue;
        acc = agg.merge(acc, tile.p[fi] as Partial);
        if (tile.a)
          for (const entry of tile.a) if (entry.tau < t) acc = agg.merge(acc, entry.p[fi] as Partial);
      }
      values[feature.name] = agg.result(acc);
    }
    return values;
  }

  isEmpty(): boolean {
    return this.tiles.size === 0;
  }

  toJSON(): EntityStateJson {
    const g: EntityStateJson['g'] = this.entity.groups.map(() => []);
    for (const tile of this.tiles.values()) {
      (g[tile.group] as EntityStateJson['g'][number]).push(
        tile.a
          ? [tile.index, tile.p, tile.a.map((e): [number, unknown[]] => [e.tau, e.p])]
          : [tile.index, tile.p],
      );
    }
    return { l: this.plan.layout, a: this.maxArrival, g };
  }

  /** Revives a stored state. A state written under another layout (the entity's features changed) starts empty. */
  static fromJSON(entity: CompiledEntity, json: EntityStateJson): EntityState {
    const state = new EntityState(entity);
    if (json.l !== state.plan.layout) return state;
    state.maxArrival = json.a ?? Number.NEGATIVE_INFINITY;
    json.g.forEach((rows, gi) => {
      const aggs = state.plan.aggs[gi] as Aggregator[];
      const revive = (partials: unknown[]) => partials.map((p, fi) => (aggs[fi] as Aggregator).revive(p));
      for (const [index, partials, ahead] of rows) {
        const tile: Tile = { group: gi, index, p: revive(partials) };
        if (ahead) tile.a = ahead.map(([tau, p]) => ({ tau, p: revive(p) }));
        state.tiles.set(state.tileKey(gi, index), tile);
      }
    });
    return state;
  }

  /** One number for (group, tile index): unique for any integer index, negative ones included. */
  private tileKey(gi: number, index: number): number {
    return index * this.entity.groups.length + gi;
  }

  private tileAt(gi: number, index: number): Tile {
    const key = this.tileKey(gi, index);
    let tile = this.tiles.get(key);
    if (!tile) {
      tile = { group: gi, index, p: emptyPartials(this.plan.aggs[gi] as Aggregator[]) };
      this.tiles.set(key, tile);
    }
    return tile;
  }

  private aheadEntry(tile: Tile, tau: number): AheadEntry {
    tile.a ??= [];
    let entry = tile.a.find((e) => e.tau === tau);
    if (!entry) {
      entry = { tau, p: emptyPartials(this.plan.aggs[tile.group] as Aggregator[]) };
      tile.a.push(entry);
    }
    return entry;
  }
}

function emptyPartials(aggs: readonly Aggregator[]): Partial[] {
  const partials: Partial[] = new Array(aggs.length);
  for (let fi = 0; fi < aggs.length; fi++) partials[fi] = (aggs[fi] as Aggregator).empty();
  return partials;
}

function mergePartials(aggs: readonly Aggregator[], into: Partial[], other: Partial[]): void {
  for (let fi = 0; fi < aggs.length; fi++) {
    into[fi] = (aggs[fi] as Aggregator).merge(into[fi] as Partial, other[fi] as Partial);
  }
}
