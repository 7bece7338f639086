/**
 * The stored state of entity keys, read as every reader of the online store must: one BatchGetItem round trip for
 * all the items a key is stored in (one, or the writer slots' items of an entity several shards write: see
 * writer-slots.ts), merged into one state per key. Values (OnlineStore.readFeatures) and the definitions they were
 * computed under (online-definitions.ts) both read through here, so neither can miss a slot.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type CompiledEntity,
  type CompiledSpec,
  EntityState,
  type EntityStateJson,
  entityNamed,
  itemKeyOf,
  type LegacyEntityStateJson,
} from '../../core/index.js';
import type { CapacityMeter } from './capacity.js';
import { batchGetItems } from './item-reads.js';
import type { EntityKeyRequest } from './online-store.js';
import { payloadOf } from './tile-item.js';
import { itemKeysToRead } from './writer-slots.js';

export type StoredStateJson = EntityStateJson | LegacyEntityStateJson;

/** One requested key: its entity, and the JSON of each item that holds part of its state (none: never written). */
export interface StoredKey {
  readonly entity: CompiledEntity;
  readonly items: readonly StoredStateJson[];
}

export interface StoredItemsOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly spec: CompiledSpec;
  readonly meter: CapacityMeter;
  readonly consistent?: boolean;
}

/** The stored items of each requested key, in request order. */
export async function readStoredKeys(
  options: StoredItemsOptions,
  requests: readonly EntityKeyRequest[],
): Promise<StoredKey[]> {
  const targets = requests.map((request) => {
    const entity = entityNamed(options.spec, request.entity);
    return { entity, keys: itemKeysToRead(options.spec, entity, itemKeyOf(entity, request.key)) };
  });
  const found = await batchGetItems(
    options.client,
    options.tableName,
    targets.flatMap((target) => target.keys),
    options.meter,
    { consistent: options.consistent ?? false, projection: 'pk, s, z' },
  );
  return targets.map(({ entity, keys }) => ({
    entity,
    items: keys.flatMap((key) => {
      const attributes = found.get(key);
      const text = attributes && payloadOf(key, attributes).state;
      return text ? [JSON.parse(text) as StoredStateJson] : [];
    }),
  }));
}

/** One key's state: its items' tiles merged, in slot order (every partial is mergeable). */
export function mergedState({ entity, items }: StoredKey): EntityState {
  const [first, ...rest] = items.map((json) => EntityState.fromJSON(entity, json));
  const state = first ?? new EntityState(entity);
  for (const other of rest) state.mergeFrom(other);
  return state;
}
