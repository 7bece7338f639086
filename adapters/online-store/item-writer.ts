import { type AttributeValue, type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  appliedLive,
  applyBackfill,
  applyLive,
  type CompiledEntity,
  type CompiledSpec,
  EntityState,
  type EntityStateJson,
  ITEM_LIMIT_BYTES,
  type ItemBatch,
  type LegacyEntityStateJson,
  type LiveOptions,
  type ValidEvent,
  type Watermarks,
} from '../../core/index.js';
import type { CapacityMeter } from './capacity.js';
import { type ClaimDecisions, decideClaims, type LedgerClaim } from './id-claims.js';
import { itemBytes, writeUnitsOf } from './item-bytes.js';
import type { ItemCache } from './item-cache.js';
import { getItemConsistent } from './item-reads.js';
import { fromAttributes, type TileItem, toAttributes } from './tile-item.js';

/**
 * The most bytes an item may take as stored (packed or plain, sized as DynamoDB sizes it: item-bytes.ts): a write
 * past it fails naming the key rather than being refused by DynamoDB. 1 KB short of the limit, for the little our
 * count of numbers and maps may differ from DynamoDB's.
 */
export const MAX_ITEM_BYTES = ITEM_LIMIT_BYTES - 1024;
const MAX_ATTEMPTS = 8;

export interface ItemWriterOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly spec: CompiledSpec;
  readonly cache: ItemCache;
  readonly meter: CapacityMeter;
  /** How long a shard's watermark is kept after its last write: longer than any redelivery can come. */
  readonly watermarkRetentionMs: number;
}

export interface WriteOutcome {
  /** False when the item had already applied every event. */
  readonly applied: boolean;
  /** For an item neither cached nor read first: whether it turned out to exist already. */
  readonly blindCreate?: 'created' | 'existed';
}

/**
 * One change to an item: whether it has anything to do given the stored item (checked before the item's tiles are
 * revived), and what it does to the revived state; returns the item's next watermarks (and id claims, when it
 * keeps them), or undefined when nothing changed after all.
 */
export interface ItemChange {
  readonly key: string;
  readonly entity: CompiledEntity;
  pending(stored: TileItem | undefined): boolean;
  apply(state: EntityState, stored: TileItem | undefined): ItemMarks | undefined;
}

export interface ItemMarks {
  readonly watermarks: Watermarks;
  /** The item's next id claims; absent: as stored. */
  readonly claims?: string;
}

/** Live traffic's change: the batch's records past the item's watermarks (core/engine/item-update.ts). */
export function liveChange(batch: ItemBatch, options: LiveOptions): ItemChange {
  return {
    key: batch.key,
    entity: batch.entity,
    pending: (stored) => batch.events.some((event) => !appliedLive(marksOf(stored), event.record)),
    apply: (state, stored) => {
      const { applied, watermarks } = applyLive(state, marksOf(stored), batch.events, options);
      return applied.length > 0 ? { watermarks } : undefined;
    },
  };
}

/**
 * Live traffic's change to an item of the `event.dedupeScope` entity: its events are first decided against the
 * item's id claims (id-claims.ts), then the counted ones applied as liveChange does, claims and tiles in one put.
 * `decisions` holds what the last look at the item decided (the attempt that was written, or found nothing to do).
 */
export interface ScopedChange extends ItemChange {
  readonly decisions: ClaimDecisions | undefined;
}

export function scopedLiveChange(
  batch: ItemBatch,
  options: LiveOptions,
  horizonMs: number,
  ledger: ReadonlyMap<string, LedgerClaim> | undefined,
): ScopedChange {
  let decisions: ClaimDecisions | undefined;
  return {
    key: batch.key,
    entity: batch.entity,
    get decisions() {
      return decisions;
    },
    pending: (stored) => {
      decisions = decideClaims(batch.key, stored, marksOf(stored), batch.events, horizonMs, ledger);
      return decisions.changed;
    },
    apply: (state, stored) => {
      const counted = (decisions as ClaimDecisions).counted;
      const { applied, watermarks } = applyLive(state, marksOf(stored), counted, options);
      return applied.length > 0 ? { watermarks, claims: (decisions as ClaimDecisions).claims } : undefined;
    },
  };
}

/** A backfill's change: archive records into the given features (spec positions) where live did not count them. */
export function backfillChange(
  key: string,
  entity: CompiledEntity,
  events: readonly ValidEvent[],
  positions: readonly number[],
): ItemChange {
  return {
    key,
    entity,
    pending: () => events.length > 0,
    apply: (state, stored) =>
      applyBackfill(state, marksOf(stored), events, positions) > 0
        ? { watermarks: marksOf(stored) }
        : undefined,
  };
}

/**
 * Applies one change to an item: take the item from the cache (the caller may have read it into the cache first),
 * revive it, apply, put conditioned on the version it had. An item not in the cache is created conditioned on not
 * existing. A lost race or a wrong guess re-reads (strongly consistent) and tries again, so writers on different
 * shards (and a backfill) never lose each other's updates; the watermarks make a redelivery change nothing twice.
 */
export async function writeItem(options: ItemWriterOptions, change: ItemChange): Promise<WriteOutcome> {
  const { client, tableName, cache, meter } = options;
  let stored = cache.get(change.key);
  let blindCreate: WriteOutcome['blindCreate'] = stored ? undefined : 'created';
  let readAfterConflict = false;
  for (let attempt = 1; ; attempt++) {
    if (readAfterConflict) {
      const attributes = await getItemConsistent(client, tableName, change.key, meter);
      stored = attributes && fromAttributes(attributes);
    }
    const next = change.pending(stored) ? nextItem(options, change, stored) : undefined;
    if (!next) {
      if (stored) cache.set(stored);
      return blindCreate ? { applied: false, blindCreate } : { applied: false };
    }
    try {
      const response = await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: next.attributes,
          ...(stored
            ? {
                ConditionExpression: 'v = :v',
                ExpressionAttributeValues: { ':v': { N: String(stored.version) } },
              }
            : { ConditionExpression: 'attribute_not_exists(pk)' }),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      meter.record('write', response.ConsumedCapacity);
      cache.set(next.item);
      return blindCreate ? { applied: true, blindCreate } : { applied: true };
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      meter.charge('write', writeUnitsOf(next.bytes));
      cache.delete(change.key);
      if (attempt === 1 && blindCreate) blindCreate = 'existed';
      if (attempt >= MAX_ATTEMPTS) {
        throw new Error(`online-store item ${change.key}: still contended after ${MAX_ATTEMPTS} attempts`);
      }
      readAfterConflict = true;
    }
  }
}

const NO_WATERMARKS: Watermarks = new Map();

function marksOf(stored: TileItem | undefined): Watermarks {
  return stored?.watermarks ?? NO_WATERMARKS;
}

function nextItem(
  options: ItemWriterOptions,
  change: ItemChange,
  stored: TileItem | undefined,
): { item: TileItem; attributes: Record<string, AttributeValue>; bytes: number } | undefined {
  const state = stored?.state
    ? EntityState.fromJSON(change.entity, JSON.parse(stored.state) as EntityStateJson | LegacyEntityStateJson)
    : new EntityState(change.entity);
  const marks = change.apply(state, stored);
  if (!marks) return undefined;
  const claims = marks.claims ?? stored?.claims;

  const json = JSON.stringify(state);
  // TTL: once the longest window plus lateness and skew has passed the last arrival, no read needs the item.
  // An item with id claims outlives them too.
  const horizon = Math.max(
    change.entity.maxWindowMs + options.spec.allowedLatenessMs + options.spec.maxFutureSkewMs,
    claims === undefined ? 0 : options.spec.dedupeHorizonMs,
  );
  const item: TileItem = {
    key: change.key,
    version: (stored?.version ?? 0) + 1,
    state: json,
    watermarks: marks.watermarks,
    ...(claims === undefined ? {} : { claims }),
  };
  const attributes = toAttributes(item, Math.ceil((state.maxArrival + horizon) / 1000) + 3600);
  const bytes = itemBytes(attributes);
  if (bytes > MAX_ITEM_BYTES) {
    throw new Error(
      `online-store item ${change.key} would take ${bytes} bytes as stored (${Buffer.byteLength(json)} bytes of tiles ` +
        `before packing), over ${MAX_ITEM_BYTES}: use coarser tiles or fewer distinct features for this entity`,
    );
  }
  return { item, attributes, bytes };
}
