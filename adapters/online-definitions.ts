/**
 * Feature values read together with the definitions they were computed under: the same one BatchGetItem round
 * trip as a plain read (OnlineStore.readFeatures, through online-store/stored-items.ts), each key's items read for
 * the values and for what they hold of each feature's definition (core/stored-definitions.ts).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type CompiledSpec,
  type FeatureValue,
  type ItemDefinitions,
  itemDefinitions,
  type StoredDefinition,
} from '../core/index.js';
import { CapacityMeter } from './online-store/capacity.js';
import type { EntityKeyRequest } from './online-store/online-store.js';
import { mergedState, readStoredKeys, type StoredKey } from './online-store/stored-items.js';

export interface DefinedValues {
  readonly values: Record<string, FeatureValue>;
  readonly definitions: ItemDefinitions;
}

/** Values as of t and definitions of each requested entity key, in request order. */
export async function readDefinedFeatures(
  options: { client: DynamoDBClient; tableName: string; spec: CompiledSpec; consistent?: boolean },
  requests: readonly EntityKeyRequest[],
  t: number,
): Promise<DefinedValues[]> {
  const stored = await readStoredKeys({ ...options, meter: new CapacityMeter() }, requests);
  return stored.map((key) => ({ values: mergedState(key).read(t), definitions: keyDefinitions(key) }));
}

/** How much each state says it holds: a feature nothing holds holds `none`; one any item holds since added only, so. */
const RANK: Record<StoredDefinition, number> = { none: 0, computed: 1, 'since-added': 2 };

/**
 * What a key's items hold of each definition. A key several shards write is stored in several items (writer
 * slots): a feature is `none` when no item holds it, `since-added` when any item holds it only since it was added
 * (not backfilled), else `computed`; the earlier definitions are those of every item.
 */
function keyDefinitions({ entity, items }: StoredKey): ItemDefinitions {
  if (items.length <= 1) return itemDefinitions(entity, items[0]);
  const each = items.map((json) => itemDefinitions(entity, json));
  const features: Record<string, { fingerprint: string; stored: StoredDefinition }> = {};
  for (const definitions of each) {
    for (const [name, feature] of Object.entries(definitions.features)) {
      const seen = features[name];
      if (
        feature.stored !== 'none' &&
        (seen === undefined || seen.stored === 'none' || RANK[feature.stored] > RANK[seen.stored])
      ) {
        features[name] = feature;
      } else features[name] ??= feature;
    }
  }
  return { exists: true, features, others: [...new Set(each.flatMap((definitions) => definitions.others))] };
}
