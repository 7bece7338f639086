/**
 * Feature values read together with the definitions they were computed under: the same one BatchGetItem round
 * trip as a plain read (OnlineStore.readFeatures), each item's state read twice in memory, once for the values and
 * once for what it holds of each feature's definition (core/stored-definitions.ts).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type CompiledSpec,
  EntityState,
  type EntityStateJson,
  entityNamed,
  type FeatureValue,
  type ItemDefinitions,
  itemDefinitions,
  itemKeyOf,
  type LegacyEntityStateJson,
} from '../core/index.js';
import { CapacityMeter } from './online-store/capacity.js';
import { batchGetItems } from './online-store/item-reads.js';
import type { EntityKeyRequest } from './online-store/online-store.js';

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
  const targets = requests.map((request) => {
    const entity = entityNamed(options.spec, request.entity);
    return { entity, key: itemKeyOf(entity, request.key) };
  });
  const found = await batchGetItems(
    options.client,
    options.tableName,
    targets.map((target) => target.key),
    new CapacityMeter(),
    { consistent: options.consistent ?? false, projection: 'pk, s' },
  );
  return targets.map(({ entity, key }) => {
    const text = found.get(key)?.s?.S;
    const json =
      text === undefined ? undefined : (JSON.parse(text) as EntityStateJson | LegacyEntityStateJson);
    const state = json === undefined ? new EntityState(entity) : EntityState.fromJSON(entity, json);
    return { values: state.read(t), definitions: itemDefinitions(entity, json) };
  });
}
