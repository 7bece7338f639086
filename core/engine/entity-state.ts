import murmurhash from 'murmurhash';
import type { CompiledEntity, FeatureGroup } from '../spec/compile.js';
import { AGGREGATORS, type Aggregator, type FeatureValue, type Partial } from './aggregates.js';
import type { ValidEvent } from './classify.js';

/**
 * The tiles of one entity key: per feature group (features sharing a tile size) a ring of tiles by tile index
 * floor(τ/g), each holding one partial per feature of the group.
 *
 * Exactness at the edge of a window: an event with τ ≥ α (its producer's clock runs ahead) could still lie in the
 * future of a read at t ≥ α, so it is kept apart, by its τ, in the tile's `ahead` list, and counted only by reads
 * with t > τ. Every other event has τ < α ≤ t for any read after it arrived. Once the state has seen an arrival
 * past τ, the entry folds into the tile (settle).
 */
export interface Tile {
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

const aggregatorsOf = (group: FeatureGroup): Aggregator[] => group.features.map((f) => AGGREGATORS[f.agg]);
const emptyPartials = (aggs: Aggregator[]): Partial[] => aggs.map((agg) => agg.empty());

export class EntityState {
  /** Per group, tile index → tile. */
  readonly rings: Map<number, Tile>[];
  /** The latest arrival time α of any event counted here. */
  maxArrival = Number.NEGATIVE_INFINITY;
  private readonly aggs: Aggregator[][];

  constructor(readonly entity: CompiledEntity) {
    this.rings = entity.groups.map(() => new Map());
    this.aggs = entity.groups.map(aggregatorsOf);
  }

  /** Counts one valid, timely, non-duplicate event. */
  apply(event: ValidEvent): void {
    const { tau, alpha, body } = event;
    const groups = this.entity.groups;
    for (let gi = 0; gi < groups.length; gi++) {
      const group = groups[gi] as FeatureGroup;
      const aggs = this.aggs[gi] as Aggregator[];
      const tile = this.tileAt(gi, Math.floor(tau / group.tileMs));
      const partials = tau < alpha ? tile.p : this.aheadEntry(gi, tile, tau).p;
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

  /** Adds another state of the same entity key (a batch's pre-aggregate) into this one. */
  merge(other: EntityState): void {
    for (let gi = 0; gi < this.rings.length; gi++) {
      const aggs = this.aggs[gi] as Aggregator[];
      for (const [index, theirs] of other.rings[gi] as Map<number, Tile>) {
        const mine = this.tileAt(gi, index);
        mergePartials(aggs, mine.p, theirs.p);
        for (const entry of theirs.a ?? [])
          mergePartials(aggs, this.aheadEntry(gi, mine, entry.tau).p, entry.p);
      }
    }
    if (other.maxArrival > this.maxArrival) this.maxArrival = other.maxArrival;
  }

  /**
   * Drops tiles no read at or after `nowMs` can reach, and folds ahead entries with τ < nowMs into their tiles.
   * Only call with a time no later than any read to come (the latest arrival counted is safe).
   */
  settle(nowMs: number): void {
    this.entity.groups.forEach((group, gi) => {
      const ring = this.rings[gi] as Map<number, Tile>;
      const oldestUseful = Math.floor(nowMs / group.tileMs) - group.maxTiles + 1;
      const aggs = this.aggs[gi] as Aggregator[];
      for (const [index, tile] of ring) {
        if (index < oldestUseful) {
          ring.delete(index);
          continue;
        }
        if (!tile.a) continue;
        const keep = tile.a.filter((entry) => entry.tau >= nowMs);
        for (const entry of tile.a) if (entry.tau < nowMs) mergePartials(aggs, tile.p, entry.p);
        if (keep.length) tile.a = keep;
        else delete tile.a;
      }
    });
  }

  /** Feature values as of t, per the semantics: the window's tiles, events with τ < t. */
  read(t: number): Record<string, FeatureValue> {
    const values: Record<string, FeatureValue> = {};
    for (const { feature, group: gi, index: fi } of this.entity.features) {
      const agg = (this.aggs[gi] as Aggregator[])[fi] as Aggregator;
      const ring = this.rings[gi] as Map<number, Tile>;
      const current = Math.floor(t / feature.tileMs);
      let acc = agg.empty();
      for (let index = current - feature.tiles + 1; index <= current; index++) {
        const tile = ring.get(index);
        if (!tile) continue;
        acc = agg.merge(acc, tile.p[fi] as Partial);
        for (const entry of tile.a ?? []) if (entry.tau < t) acc = agg.merge(acc, entry.p[fi] as Partial);
      }
      values[feature.name] = agg.result(acc);
    }
    return values;
  }

  isEmpty(): boolean {
    return this.rings.every((ring) => ring.size === 0);
  }

  toJSON(): EntityStateJson {
    return {
      l: layoutOf(this.entity),
      a: this.maxArrival,
      g: this.rings.map((ring) =>
        [...ring].map(([index, tile]) =>
          tile.a ? [index, tile.p, tile.a.map((e): [number, unknown[]] => [e.tau, e.p])] : [index, tile.p],
        ),
      ),
    };
  }

  /** Revives a stored state. A state written under another layout (the entity's features changed) starts empty. */
  static fromJSON(entity: CompiledEntity, json: EntityStateJson): EntityState {
    const state = new EntityState(entity);
    if (json.l !== layoutOf(entity)) return state;
    state.maxArrival = json.a ?? Number.NEGATIVE_INFINITY;
    json.g.forEach((rows, gi) => {
      const aggs = state.aggs[gi] as Aggregator[];
      const revive = (partials: unknown[]) => partials.map((p, fi) => (aggs[fi] as Aggregator).revive(p));
      const ring = state.rings[gi] as Map<number, Tile>;
      for (const [index, partials, ahead] of rows) {
        const tile: Tile = { p: revive(partials) };
        if (ahead) tile.a = ahead.map(([tau, p]) => ({ tau, p: revive(p) }));
        ring.set(index, tile);
      }
    });
    return state;
  }

  private tileAt(gi: number, index: number): Tile {
    const ring = this.rings[gi] as Map<number, Tile>;
    let tile = ring.get(index);
    if (!tile) {
      tile = { p: emptyPartials(this.aggs[gi] as Aggregator[]) };
      ring.set(index, tile);
    }
    return tile;
  }

  private aheadEntry(gi: number, tile: Tile, tau: number): AheadEntry {
    tile.a ??= [];
    let entry = tile.a.find((e) => e.tau === tau);
    if (!entry) {
      entry = { tau, p: emptyPartials(this.aggs[gi] as Aggregator[]) };
      tile.a.push(entry);
    }
    return entry;
  }
}

function mergePartials(aggs: Aggregator[], into: Partial[], other: Partial[]): void {
  for (let fi = 0; fi < aggs.length; fi++) {
    into[fi] = (aggs[fi] as Aggregator).merge(into[fi] as Partial, other[fi] as Partial);
  }
}

const layouts = new WeakMap<CompiledEntity, string>();

/** A short fingerprint of what an entity's tiles hold, so a stored state is never read under another layout. */
export function layoutOf(entity: CompiledEntity): string {
  let layout = layouts.get(entity);
  if (!layout) {
    const meaning = ({
      description: _,
      ...rest
    }: CompiledEntity['features'][number]['feature']['definition']) => rest;
    const shape = entity.groups.map((g) => [g.tileMs, g.features.map((f) => meaning(f.definition))]);
    layout = murmurhash.v3(JSON.stringify(shape)).toString(36);
    layouts.set(entity, layout);
  }
  return layout;
}
