import type { CompiledEntity, CompiledSpec, FeatureGroup } from '../spec/compile.js';
import type { Aggregation } from '../spec/types.js';
import { MAX_KEY_BYTES, MAX_LAST_VALUE_BYTES } from '../store-limits.js';
import { featureFingerprint } from './feature-fingerprint.js';
import { REGISTERS, SPARSE_LIMIT } from './hll.js';

/** DynamoDB's item size limit: one online-store item (key, watermarks, tiles) must fit in it. */
export const ITEM_LIMIT_BYTES = 400 * 1024;

/**
 * What the bound assumes beyond the spec: stream shards writing one item, and the JSON of a `last` value (the
 * engine quarantines a longer one, rule `value-too-long`, so this is a limit, not a guess).
 */
export const ITEM_BOUND_ASSUMPTIONS = { shards: 32, lastValueBytes: MAX_LAST_VALUE_BYTES } as const;

/**
 * Under `event.dedupeScope`, the most events one key of the scope entity may count within the dedupe horizon: its
 * item keeps a claim for each (adapters/online-store/id-claims.ts), and a write past it fails naming the key. At
 * 24 h that is a transaction every 22 s around the clock on one card.
 */
export const MAX_CLAIMS_PER_KEY = 4000;
/** The most bytes one claim takes: a 48-bit id hash, an arrival and a 32-bit record hash in base 36, separators. */
export const CLAIM_BYTES = 10 + 1 + 9 + 1 + 7 + 1;

/** The longest JSON a double prints as (`-1.2345678901234567e+308`). */
const NUMBER = 24;
/** A shard id and a Kinesis sequence number, quoted, with separators. */
const SHARD_MARK = 24 + 60;

/** The most JSON bytes one partial of an aggregation can take. */
function partialBytes(agg: Aggregation, lastValueBytes: number): number {
  switch (agg) {
    case 'count':
    case 'sum':
    case 'min':
    case 'max':
      return NUMBER;
    case 'avg':
      return 2 * NUMBER + 3;
    case 'stddev':
      return 3 * NUMBER + 4;
    case 'last':
      return 2 * NUMBER + lastValueBytes + 4;
    case 'distinct':
      // Sparse: up to SPARSE_LIMIT 32-bit hashes (10 digits each); dense: the registers in base64.
      return Math.max(SPARSE_LIMIT * 11, Math.ceil(REGISTERS / 3) * 4) + 10;
  }
}

/**
 * The most tiles a group's item can hold: the window's, the one being filled, and those an event from the future
 * (up to the spec's skew ahead of its arrival) can open.
 */
function rowsOf(group: FeatureGroup, spec: CompiledSpec): number {
  return group.maxTiles + 1 + Math.ceil(spec.maxFutureSkewMs / group.tileMs);
}

/**
 * An upper bound, from the spec alone, on the bytes of one entity's online-store item: every tile of every window
 * full, each partial at its largest (a distinct sketch at its densest), the item's per-shard watermarks and each
 * feature's born and backfilled marks for `shards` shards, and for the dedupe scope's entity its id claims. Events whose time is ahead of their arrival sit apart
 * until it passes (a few per key in practice) and are not counted here; a write that would still pass the limit
 * fails, naming the item. The bound is of the item as written plain: the store writes an item packed
 * (adapters/online-store/tile-item.ts) only when that makes it smaller, so it holds for packed items too; no smaller
 * bound for packed items is claimed (how well tiles deflate depends on the data).
 */
export function itemBytesBound(
  spec: CompiledSpec,
  entity: CompiledEntity,
  assumptions: { shards: number; lastValueBytes: number } = ITEM_BOUND_ASSUMPTIONS,
): number {
  const { shards, lastValueBytes } = assumptions;
  let bytes = 200; // attribute names, key, version, expiry, JSON framing
  bytes += MAX_KEY_BYTES; // the item's key (the engine quarantines a longer one)
  bytes += shards * (SHARD_MARK + SHARD_MARK / 2 + NUMBER); // w: per shard last and first sequence numbers, arrival
  if (spec.getId && spec.dedupeScope !== undefined && spec.entities[spec.dedupeScope] === entity) {
    bytes += 12 + MAX_CLAIMS_PER_KEY * CLAIM_BYTES; // c: the id claims of the horizon
  }
  for (const group of entity.groups) {
    let row = NUMBER + 8;
    for (const feature of group.features) {
      row += partialBytes(feature.agg, lastValueBytes) + 1;
      bytes += featureFingerprint(feature).length + 3;
      bytes += 2 * shards * SHARD_MARK + 40; // born and backfilled marks
    }
    bytes += rowsOf(group, spec) * row + 40;
  }
  return bytes;
}

/** One message per entity whose items can outgrow the item limit, naming the entity and what fills it. */
export function itemSizeProblems(spec: CompiledSpec): string[] {
  return spec.entities.flatMap((entity) => {
    const bound = itemBytesBound(spec, entity);
    if (bound <= ITEM_LIMIT_BYTES) return [];
    const distinct = entity.features.filter(({ feature }) => feature.agg === 'distinct').length;
    return [
      `entity "${entity.name}": its online-store item can reach ${Math.ceil(bound / 1024)} KB, over DynamoDB's ` +
        `${ITEM_LIMIT_BYTES / 1024} KB item limit (${entity.groups
          .map((g) => `${g.features.length} feature(s) x ${g.maxTiles} tiles of ${g.tileMs / 60_000} min`)
          .join(
            ', ',
          )}${distinct ? `; ${distinct} distinct sketch(es) of up to ${Math.ceil(partialBytes('distinct', 0) / 1024)} KB a tile` : ''}, ` +
        `${ITEM_BOUND_ASSUMPTIONS.shards} shards' marks): use coarser tiles, shorter windows or fewer features on it`,
    ];
  });
}
