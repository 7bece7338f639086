/**
 * Reading features from application code, as Feast users do with get-online-features: name entity keys, get each
 * entity's feature values as of a time. Built on the online store's public read (OnlineStore.readFeatures), so it
 * reads exactly what the features Lambda wrote, in one BatchGetItem round trip for all the entities asked.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type CompiledSpec,
  compileSpec,
  type FeatureValue,
  itemKey,
  keyBytesOver,
  MAX_KEY_BYTES,
  parseEventTime,
  parseSpec,
  type Spec,
  type SpecBuilder,
} from '../core/index.js';
import { createDynamoDbClient } from './dynamodb-client.js';
import { type DefinedValues, readDefinedFeatures } from './online-definitions.js';
import { type EntityKeyRequest, OnlineStore } from './online-store/online-store.js';

/** An entity's key: each key field and its value, e.g. `{ card_id: 'c1' }`. */
export type EntityKey = Readonly<Record<string, string | number>>;

/** The feature values of one entity: feature name → value (`null` for an empty window where the semantics say so). */
export type EntityFeatures = Record<string, FeatureValue>;

/** What the scoring function needs of a feature reader (the FeatureClient, or the store itself in tests). */
export interface FeatureReader {
  readFeatures(requests: readonly EntityKeyRequest[], t?: number): Promise<Record<string, FeatureValue>[]>;
}

export interface FeatureClientOptions<E extends string> {
  /** The feature spec the table was written with: normalized JSON, compiled, or a builder (`defineSpec(...)`). */
  readonly spec: Spec | CompiledSpec | SpecBuilder<E>;
  /** The online-store table (the stack's `OnlineStoreTableName` output). */
  readonly tableName: string;
  /**
   * @default - a new DynamoDBClient with the product's options (dynamodb-client.ts): region, credentials and
   * `AWS_ENDPOINT_URL` from the usual environment and config files
   */
  readonly client?: DynamoDBClient;
  /** @default false - eventually consistent reads, half the read units */
  readonly consistentReads?: boolean;
}

/** A request the spec cannot answer: an unknown entity, a missing or extra key field, a bad time. */
export class FeatureRequestError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
    this.name = 'FeatureRequestError';
  }
}

export class FeatureClient<E extends string = string> implements FeatureReader {
  readonly spec: CompiledSpec;
  private readonly store: OnlineStore;
  private readonly table: { client: DynamoDBClient; tableName: string; consistent: boolean };

  constructor(options: FeatureClientOptions<E>) {
    this.spec = compiledOf(options.spec);
    const client = options.client ?? createDynamoDbClient();
    this.table = { client, tableName: options.tableName, consistent: options.consistentReads ?? false };
    this.store = new OnlineStore({
      client,
      tableName: options.tableName,
      spec: this.spec,
      ...(options.consistentReads === undefined ? {} : { consistentReads: options.consistentReads }),
    });
  }

  /**
   * The features of each named entity key as of `at` (epoch ms, ISO-8601 with a zone, or a Date; default now):
   * `get({ card: { card_id: 'c1' }, merchant: { merchant_id: 'm1' } })` →
   * `{ card: { card_txn_count_10m: 3, ... }, merchant: { ... } }`. Every key is checked against the spec first;
   * a FeatureRequestError lists every problem.
   */
  async get<Q extends Partial<Record<E, EntityKey>>>(
    entities: Q,
    options: { readonly at?: number | string | Date } = {},
  ): Promise<{ [K in keyof Q]: EntityFeatures }> {
    const t = timeOf(options.at);
    const requests = this.requestsFor(entities as Record<string, EntityKey>);
    const values = await this.store.readFeatures(requests, t);
    return Object.fromEntries(requests.map((request, i) => [request.entity, values[i]])) as {
      [K in keyof Q]: EntityFeatures;
    };
  }

  /** The same read in the store's request form, values in request order (what the scoring function calls). */
  readFeatures(requests: readonly EntityKeyRequest[], t?: number): Promise<Record<string, FeatureValue>[]> {
    return this.store.readFeatures(requests, t);
  }

  /**
   * The same read, each key's values with the definitions they were computed under: the spec's fingerprint of
   * each feature, and whether the item holds partials under it (core/stored-definitions.ts).
   */
  readWithDefinitions(requests: readonly EntityKeyRequest[], t = Date.now()): Promise<DefinedValues[]> {
    return readDefinedFeatures({ ...this.table, spec: this.spec }, requests, t);
  }

  /** Checks every entity and key against the spec; throws one FeatureRequestError naming every problem. */
  requestsFor(entities: Readonly<Record<string, EntityKey>>): EntityKeyRequest[] {
    const declared = [...this.spec.entityByName.keys()].join(', ');
    const problems: string[] = [];
    const requests: EntityKeyRequest[] = [];
    const names = Object.keys(entities);
    if (names.length === 0) problems.push(`name at least one entity (the spec has: ${declared})`);
    for (const name of names) {
      const entity = this.spec.entityByName.get(name);
      if (!entity) {
        problems.push(`unknown entity ${JSON.stringify(name)} (the spec has: ${declared})`);
        continue;
      }
      const key = entities[name] ?? {};
      const keyList = entity.keyFields.join(', ');
      for (const field of entity.keyFields) {
        const value = key[field];
        if (value === undefined)
          problems.push(`${name}.${field}: missing (the key of "${name}" is ${keyList})`);
        else if (value === '' || (typeof value === 'number' && !Number.isFinite(value)))
          problems.push(
            `${name}.${field}: must be a non-empty string or a finite number (got ${JSON.stringify(value)})`,
          );
      }
      for (const field of Object.keys(key)) {
        if (!entity.keyFields.includes(field))
          problems.push(`${name}.${field}: not a key field of "${name}" (its key is ${keyList})`);
      }
      const values = entity.keyFields.map((field) => key[field]);
      if (values.every((value) => value !== undefined)) {
        // The same bound the engine holds events to (core/store-limits.ts): no event with such a key counted.
        const bytes = keyBytesOver(itemKey(name, values as (string | number)[]));
        if (bytes !== undefined)
          problems.push(
            `${name}: the key is ${bytes} bytes in UTF-8 after escaping, over the limit of ${MAX_KEY_BYTES}`,
          );
      }
      requests.push({ entity: name, key });
    }
    if (problems.length > 0) throw new FeatureRequestError(problems);
    return requests;
  }
}

function compiledOf(spec: Spec | CompiledSpec | SpecBuilder<string>): CompiledSpec {
  if ('entityByName' in spec) return spec;
  if ('build' in spec && typeof spec.build === 'function') return compileSpec(spec.build());
  return compileSpec(parseSpec(spec));
}

/** Epoch ms of a read time; undefined for now. */
function timeOf(at: number | string | Date | undefined): number | undefined {
  if (at === undefined) return undefined;
  const t = at instanceof Date ? at.getTime() : parseEventTime(at);
  if (t === undefined || !Number.isFinite(t))
    throw new FeatureRequestError([
      `at: must be epoch ms, an ISO-8601 time with a zone or a Date (got ${JSON.stringify(at)})`,
    ]);
  return t;
}
