import type { CompiledEntity } from '../spec/compile.js';
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
    const n = state === undefined ? 0 : state.windowTiles(feature, gi, t, scratch);
    out[at[position] as number] = foldWindow(feature.agg, scratch, n, fi, t);
    scratch.fill(undefined, 0, n);
  }
}

/** The tiles of the window being read, newest first: one array for every read (reads never nest). */
const scratch: (Readonly<Tile> | undefined)[] = [];
