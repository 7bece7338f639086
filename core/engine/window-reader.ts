import { onceEach } from '../once-each.js';
import type { CompiledEntity, CompiledFeature } from '../spec/compile.js';
import type { Aggregation } from '../spec/types.js';
import type { FeatureValue } from './aggregates.js';
import type { EntityState, Tile } from './entity-state.js';
import { foldWindow } from './window-fold.js';

/**
 * Reads for the point-in-time join: the values `EntityState.read` gives, folded from the tiles in local numbers
 * (window-fold.ts) instead of merged into fresh partials.
 */

/** Feature values of `state` as of t, set on `values` by feature name. */
export function readWindows(
  state: EntityState,
  t: number,
  values: Record<string, FeatureValue> = {},
): Record<string, FeatureValue> {
  const features = state.entity.features;
  for (let position = 0; position < features.length; position++) {
    const { feature, group: gi, index: fi } = features[position] as (typeof features)[number];
    const n = state.windowTiles(feature, gi, t, scratch);
    values[feature.name] = foldWindow(feature.agg, scratch, n, fi, t);
    scratch.fill(undefined, 0, n);
  }
  return values;
}

/**
 * The same values written by position: feature `position` of the entity (spec order) into `out[at[position]]`, for
 * rows built column-wise. A key the engine has no state for (`state` undefined) reads as empty windows. Features of
 * one tile group with the same window share its tiles: each such window is found once and folded per feature.
 */
export function readWindowsInto(
  entity: CompiledEntity,
  state: EntityState | undefined,
  t: number,
  out: FeatureValue[],
  at: readonly number[],
): void {
  const windows = windowsOf(entity);
  for (let w = 0; w < windows.length; w++) {
    const { feature, group, members } = windows[w] as SharedWindow;
    const n = state === undefined ? 0 : state.windowTiles(feature, group, t, scratch);
    for (let m = 0; m < members.length; m++) {
      const { position, index, agg } = members[m] as WindowMember;
      out[at[position] as number] = foldWindow(agg, scratch, n, index, t);
    }
    scratch.fill(undefined, 0, n);
  }
}

/** A window several features may read: a tile group and a window length in tiles, with the features reading it. */
interface SharedWindow {
  readonly group: number;
  /** The first feature reading it: `windowTiles` needs a feature of this group and window length. */
  readonly feature: CompiledFeature;
  readonly members: readonly WindowMember[];
}
/** A feature reading a shared window: its spec position, its index in the group's partials, its aggregation. */
interface WindowMember {
  readonly position: number;
  readonly index: number;
  readonly agg: Aggregation;
}

/** An entity's distinct windows (tile group and length in tiles), in order of first use: worked out once. */
const windowsOf = onceEach((entity: CompiledEntity): readonly SharedWindow[] => {
  const byWindow = new Map<string, SharedWindow & { members: WindowMember[] }>();
  entity.features.forEach(({ feature, group, index }, position) => {
    const key = `${group}/${feature.tiles}`;
    let window = byWindow.get(key);
    if (!window) {
      window = { group, feature, members: [] };
      byWindow.set(key, window);
    }
    window.members.push({ position, index, agg: feature.agg });
  });
  return [...byWindow.values()];
});

/** The tiles of the window being read, newest first: one array for every read (reads never nest). */
const scratch: (Readonly<Tile> | undefined)[] = [];
