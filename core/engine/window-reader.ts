import type { FeatureValue } from './aggregates.js';
import type { EntityState, Tile } from './entity-state.js';
import { foldWindow } from './window-fold.js';

/** Feature values of `state` as of t, the values `state.read(t, values)` gives, made without partials; set on `values`. */
export function readWindows(
  state: EntityState,
  t: number,
  values: Record<string, FeatureValue> = {},
): Record<string, FeatureValue> {
  const features = state.entity.features;
  const window = scratch;
  for (let position = 0; position < features.length; position++) {
    const { feature, group: gi, index: fi } = features[position] as (typeof features)[number];
    const current = Math.floor(t / feature.tileMs);
    const first = current - feature.tiles + 1;
    let tile = state.newestTile(gi);
    while (tile !== undefined && tile.index > current) tile = tile.older;
    let n = 0;
    for (; tile !== undefined && tile.index >= first; tile = tile.older) window[n++] = tile;
    values[feature.name] = foldWindow(feature.agg, window, n, fi, t);
    window.fill(undefined, 0, n);
  }
  return values;
}

/** The tiles of the window being read, newest first: one array for every read (reads never nest). */
const scratch: (Readonly<Tile> | undefined)[] = [];
