import type { CompiledEntity, CompiledFeature } from '../spec/compile.js';
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
    const n = collectWindow(state, feature, gi, t);
    values[feature.name] = foldWindow(feature.agg, scratch, n, fi, t);
    scratch.fill(undefined, 0, n);
  }
  return values;
}

/**
 * The same values written by position: feature `position` of the entity (spec order) into `out[at[position]]`, for
 * rows built column-wise. A key the engine has no state for (`state` undefined) reads as empty windows.
 */
export function readWindowsInto(
  entity: CompiledEntity,
  state: EntityState | undefined,
  t: number,
  out: FeatureValue[],
  at: readonly number[],
): void {
  const features = entity.features;
  for (let position = 0; position < features.length; position++) {
    const { feature, group: gi, index: fi } = features[position] as (typeof features)[number];
    const n = state === undefined ? 0 : collectWindow(state, feature, gi, t);
    out[at[position] as number] = foldWindow(feature.agg, scratch, n, fi, t);
    scratch.fill(undefined, 0, n);
  }
}

/** Puts the tiles of a feature's window as of t in `scratch`, newest first; returns how many. */
function collectWindow(state: EntityState, feature: CompiledFeature, gi: number, t: number): number {
  const current = Math.floor(t / feature.tileMs);
  const first = current - feature.tiles + 1;
  let tile = state.newestTile(gi);
  while (tile !== undefined && tile.index > current) tile = tile.older;
  let n = 0;
  for (; tile !== undefined && tile.index >= first; tile = tile.older) scratch[n++] = tile;
  return n;
}

/** The tiles of the window being read, newest first: one array for every read (reads never nest). */
const scratch: (Readonly<Tile> | undefined)[] = [];
