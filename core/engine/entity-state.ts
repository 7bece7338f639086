import { onceEach } from '../once-each.js';
import type { CompiledEntity, CompiledFeature, FeatureGroup } from '../spec/compile.js';
import { AGGREGATORS, type Aggregator, type FeatureValue, type Partial } from './aggregates.js';
import type { ValidEvent } from './classify.js';
import { featureFingerprint } from './feature-fingerprint.js';
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
  /** The group's next older tile in this state. */
  older: Tile | undefined;
}
export interface AheadEntry {
  tau: number;
  p: Partial[];
}

/** Per shard, a Kinesis sequence number. */
export type ShardMarks = Record<string, string>;

/**
 * What a feature's partials in one item know of the records counted into them, when that differs from the item's
 * own watermarks (see core/engine/item-update.ts for the rules that read them):
 * - `w0` (born): the item's per-shard watermarks when the feature's partials were created in an item that already
 *   held others: records up to them were applied to the item before the feature existed there.
 * - `b` (backfilled): per shard, the last archive record a backfill counted into this feature here.
 */
export interface ColumnMarks {
  w0?: ShardMarks;
  /** The item's latest arrival when `w0` was set: once the feature's window has passed it, `w0` can go. */
  t?: number;
  b?: ShardMarks;
}

/**
 * The JSON the online store keeps (layout 2): latest arrival; per tile size `[tileMs, fingerprints, rows]`, each row
 * `[tileIndex, partials, ahead?]` holding one partial per fingerprint in that order; and marks per fingerprint.
 * Keyed by feature fingerprint, so a spec that adds, removes or changes a feature reads every other feature's
 * partials as they were.
 */
export interface EntityStateJson {
  v: 2;
  a: number;
  g: [tileMs: number, fingerprints: string[], rows: StoredRow[]][];
  m?: Record<string, ColumnMarks>;
}
type StoredRow = [number, unknown[], [number, unknown[]][]?];

/**
 * Layout 1, written before features were keyed by fingerprint: one fingerprint `l` of the whole entity's layout.
 * It reads as it was when `l` is the layout the entity still has (the spec did not change for this entity), and as
 * empty otherwise; the next write stores it in layout 2.
 */
export interface LegacyEntityStateJson {
  l: string;
  a: number;
  g: StoredRow[][];
}

/** What every state of an entity shares: aggregators and fingerprints per group, positions. Built once. */
interface EntityPlan {
  readonly aggs: readonly Aggregator[][];
  /** Per group, per feature of the group: its fingerprint. */
  readonly fingerprints: readonly string[][];
  /** Per group, per feature of the group: its position in `entity.features` (spec order). */
  readonly positions: readonly number[][];
  /** Fingerprint → [group, index in group]. */
  readonly byFingerprint: ReadonlyMap<string, readonly [number, number]>;
  readonly legacyLayout: string;
}
const planOf = onceEach((entity: CompiledEntity): EntityPlan => {
  const aggs = entity.groups.map((group: FeatureGroup) => group.features.map((f) => AGGREGATORS[f.agg]));
  const fingerprints = entity.groups.map((group) => group.features.map(featureFingerprint));
  const positions = entity.groups.map((group) =>
    group.features.map((f) => entity.features.findIndex((e) => e.feature === f)),
  );
  const byFingerprint = new Map<string, [number, number]>();
  for (const [gi, list] of fingerprints.entries()) {
    for (const [fi, fingerprint] of list.entries()) {
      if (byFingerprint.has(fingerprint)) {
        throw new Error(
          `features of entity "${entity.name}" share the fingerprint ${fingerprint}: rename one of them`,
        );
      }
      byFingerprint.set(fingerprint, [gi, fi]);
    }
  }
  const meaning = ({
    description: _,
    ...rest
  }: CompiledEntity['features'][number]['feature']['definition']) => rest;
  const shape = entity.groups.map((g) => [g.tileMs, g.features.map((f) => meaning(f.definition))]);
  const legacyLayout = murmur3(JSON.stringify(shape)).toString(36);
  return { aggs, fingerprints, positions, byFingerprint, legacyLayout };
});

/** The fingerprint layout 1 kept of the whole entity: a layout-1 item reads whole only under this one. */
export function legacyLayoutOf(entity: CompiledEntity): string {
  return planOf(entity).legacyLayout;
}

/** The fingerprints of an entity's features, in spec order. */
export function fingerprintsOf(entity: CompiledEntity): string[] {
  return entity.features.map(({ feature }) => featureFingerprint(feature));
}

export class EntityState {
  /**
   * Per group, its newest tile, the head of a list of the group's tiles from newest to oldest (`older`). Events come
   * nearly in time order, so the tile an event lands in is the head or close behind it; a window is a run of the
   * list; settling cuts its tail. Online a state is made fresh per item and batch and holds a tile or two per group:
   * the list costs no container but this array, where a map of tiles cost several times the tiles.
   */
  private readonly newest: (Tile | undefined)[];
  /** The latest arrival time α of any event counted here. */
  maxArrival = Number.NEGATIVE_INFINITY;
  /** Per feature (spec order): its marks, when it has any. */
  readonly marks: (ColumnMarks | undefined)[];
  /**
   * Features (spec order) whose partials the stored state did not hold: new in the spec, changed, or the whole
   * state unreadable (another layout-1 layout). Empty for a state made fresh.
   */
  readonly unrevived: number[] = [];
  private readonly plan: EntityPlan;

  constructor(readonly entity: CompiledEntity) {
    this.plan = planOf(entity);
    this.marks = new Array(entity.features.length).fill(undefined);
    this.newest = new Array(entity.groups.length).fill(undefined);
  }

  /**
   * Counts one valid, timely, non-duplicate event; with `only`, into the features (by spec position) it marks 1,
   * and no others.
   */
  apply(event: ValidEvent, only?: Uint8Array): void {
    const { tau, alpha, body } = event;
    const groups = this.entity.groups;
    for (let gi = 0; gi < groups.length; gi++) {
      const group = groups[gi] as FeatureGroup;
      const aggs = this.plan.aggs[gi] as Aggregator[];
      const tile = this.tileAt(gi, Math.floor(tau / group.tileMs));
      const partials = tau < alpha ? tile.p : this.aheadEntry(tile, tau).p;
      const features = group.features;
      const positions = this.plan.positions[gi] as number[];
      for (let fi = 0; fi < features.length; fi++) {
        if (only && only[positions[fi] as number] !== 1) continue;
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
    for (let gi = 0; gi < groups.length; gi++) {
      const group = groups[gi] as FeatureGroup;
      const oldest = Math.floor(nowMs / group.tileMs) - group.maxTiles;
      const aggs = this.plan.aggs[gi] as Aggregator[];
      let newer: Tile | undefined;
      for (let tile = this.newest[gi]; tile !== undefined; newer = tile, tile = tile.older) {
        if (tile.index <= oldest) {
          if (newer) newer.older = undefined;
          else this.newest[gi] = undefined;
          break;
        }
        if (!tile.a) continue;
        for (const entry of tile.a) if (entry.tau < nowMs) mergePartials(aggs, tile.p, entry.p);
        const keep = tile.a.filter((entry) => entry.tau >= nowMs);
        if (keep.length) tile.a = keep;
        else delete tile.a;
      }
    }
  }

  /** Feature values as of t, per the semantics: the window's tiles, events with τ < t; set on `values`, if given. */
  read(t: number, values: Record<string, FeatureValue> = {}): Record<string, FeatureValue> {
    const window = scratch;
    for (const { feature, group: gi, index: fi } of this.entity.features) {
      const agg = (this.plan.aggs[gi] as Aggregator[])[fi] as Aggregator;
      const n = this.windowTiles(feature, gi, t, window);
      // Merged oldest first, in index order: the order of floating-point additions is part of the result.
      let acc = agg.empty();
      for (let i = n - 1; i >= 0; i--) {
        const inWindow = window[i] as Tile;
        acc = agg.merge(acc, inWindow.p[fi] as Partial);
        if (inWindow.a)
          for (const entry of inWindow.a) if (entry.tau < t) acc = agg.merge(acc, entry.p[fi] as Partial);
      }
      window.fill(undefined, 0, n);
      values[feature.name] = agg.result(acc);
    }
    return values;
  }

  /**
   * Merges another state of the same entity into this one, tile by tile (every partial is mergeable): a read of an
   * entity key stored as several items (one per writer slot) merges them. Marks are the items' own and stay apart.
   */
  mergeFrom(other: EntityState): void {
    for (const head of other.newest) {
      for (let tile = head; tile !== undefined; tile = tile.older) {
        const aggs = this.plan.aggs[tile.group] as Aggregator[];
        const into = this.tileAt(tile.group, tile.index);
        mergePartials(aggs, into.p, tile.p);
        for (const entry of tile.a ?? []) mergePartials(aggs, this.aheadEntry(into, entry.tau).p, entry.p);
      }
    }
    if (other.maxArrival > this.maxArrival) this.maxArrival = other.maxArrival;
  }

  /**
   * Puts the tiles of a feature's window as of t (its group `gi`'s tiles from the one holding t back over the
   * window) in `into`, newest first; returns how many. For reads only.
   */
  windowTiles(feature: CompiledFeature, gi: number, t: number, into: (Readonly<Tile> | undefined)[]): number {
    const current = Math.floor(t / feature.tileMs);
    const first = current - feature.tiles + 1;
    let tile = this.newest[gi];
    while (tile !== undefined && tile.index > current) tile = tile.older;
    let n = 0;
    for (; tile !== undefined && tile.index >= first; tile = tile.older) into[n++] = tile;
    return n;
  }

  isEmpty(): boolean {
    return this.newest.every((tile) => tile === undefined);
  }

  /** The spec position of the feature with this fingerprint, if the entity has it. */
  positionOf(fingerprint: string): number | undefined {
    const at = this.plan.byFingerprint.get(fingerprint);
    return at && this.plan.positions[at[0]]?.[at[1]];
  }

  toJSON(): EntityStateJson {
    // Rows oldest first.
    const rows: StoredRow[][] = this.newest.map((head) => {
      const list: StoredRow[] = [];
      for (let tile = head; tile !== undefined; tile = tile.older) {
        list.push(
          tile.a
            ? [tile.index, tile.p, tile.a.map((e): [number, unknown[]] => [e.tau, e.p])]
            : [tile.index, tile.p],
        );
      }
      return list.reverse();
    });
    const g = this.entity.groups.map((group, gi): EntityStateJson['g'][number] => [
      group.tileMs,
      this.plan.fingerprints[gi] as string[],
      rows[gi] as StoredRow[],
    ]);
    const json: EntityStateJson = { v: 2, a: this.maxArrival, g };
    this.marks.forEach((marks, position) => {
      if (!marks) return;
      json.m ??= {};
      json.m[
        featureFingerprint((this.entity.features[position] as CompiledEntity['features'][number]).feature)
      ] = marks;
    });
    return json;
  }

  /**
   * Revives a stored state: each feature's partials by its fingerprint; features the state lacks start empty and
   * are listed in `unrevived`; partials of fingerprints the entity no longer has are left out (the next write
   * drops them). A layout-1 state reads whole if its layout is the entity's, else as empty.
   */
  static fromJSON(entity: CompiledEntity, json: EntityStateJson | LegacyEntityStateJson): EntityState {
    const state = new EntityState(entity);
    if (!('v' in json)) return EntityState.fromLegacy(state, json);
    state.maxArrival = json.a ?? Number.NEGATIVE_INFINITY;
    const revived = new Set<number>();
    for (const [, fingerprints, rows] of json.g) {
      // Where each stored column goes now: [group, index] or nothing. A fingerprint includes the tile size, so
      // every column of one stored group lands in one group now.
      const targets = fingerprints.map((fingerprint) => state.plan.byFingerprint.get(fingerprint));
      const gi = targets.find((target) => target !== undefined)?.[0];
      if (gi === undefined) continue;
      const aggs = state.plan.aggs[gi] as Aggregator[];
      targets.forEach((target) => {
        if (target) revived.add((state.plan.positions[gi] as number[])[target[1]] as number);
      });
      const reviveInto = (into: Partial[], stored: unknown[]) => {
        targets.forEach((target, j) => {
          if (target) into[target[1]] = (aggs[target[1]] as Aggregator).revive(stored[j]);
        });
      };
      for (const [index, partials, ahead] of rows) {
        const tile = state.tileAt(gi, index);
        reviveInto(tile.p, partials);
        if (ahead) for (const [tau, p] of ahead) reviveInto(state.aheadEntry(tile, tau).p, p);
      }
    }
    for (const [fingerprint, marks] of Object.entries(json.m ?? {})) {
      const position = state.positionOf(fingerprint);
      if (position !== undefined && revived.has(position)) state.marks[position] = marks;
    }
    entity.features.forEach((_, position) => {
      if (!revived.has(position)) state.unrevived.push(position);
    });
    return state;
  }

  private static fromLegacy(state: EntityState, json: LegacyEntityStateJson): EntityState {
    state.maxArrival = json.a ?? Number.NEGATIVE_INFINITY;
    if (json.l !== state.plan.legacyLayout) {
      for (const position of state.entity.features.keys()) state.unrevived.push(position);
      return state;
    }
    json.g.forEach((rows, gi) => {
      const aggs = state.plan.aggs[gi] as Aggregator[];
      const revive = (partials: unknown[]) => partials.map((p, fi) => (aggs[fi] as Aggregator).revive(p));
      for (const [index, partials, ahead] of rows) {
        const tile = state.tileAt(gi, index);
        tile.p = revive(partials);
        if (ahead) tile.a = ahead.map(([tau, p]) => ({ tau, p: revive(p) }));
        else delete tile.a;
      }
    });
    return state;
  }

  /** The tile of a group at an index, made empty in its place in the list when the state has none. */
  private tileAt(gi: number, index: number): Tile {
    let newer: Tile | undefined;
    let tile = this.newest[gi];
    while (tile !== undefined && tile.index > index) {
      newer = tile;
      tile = tile.older;
    }
    if (tile !== undefined && tile.index === index) return tile;
    const made: Tile = {
      group: gi,
      index,
      p: emptyPartials(this.plan.aggs[gi] as Aggregator[]),
      older: tile,
    };
    if (newer) newer.older = made;
    else this.newest[gi] = made;
    return made;
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

/** The tiles of the window being read, newest first: one array for every read (reads never nest). */
const scratch: (Tile | undefined)[] = [];

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
