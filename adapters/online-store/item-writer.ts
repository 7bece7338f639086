import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  type CompiledSpec,
  compareSequenceNumbers,
  EntityState,
  type EntityStateJson,
  type ItemBatch,
  type ValidEvent,
} from '../../core/index.js';
import type { CapacityMeter } from './capacity.js';
import type { ItemCache } from './item-cache.js';
import { getItemConsistent } from './item-reads.js';
import { fromAttributes, type TileItem, toAttributes, type Watermark } from './tile-item.js';

/** DynamoDB's item limit is 400 KB; stop short of it with a clear error rather than a failed write. */
export const MAX_STATE_BYTES = 380_000;
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
 * Applies one item's share of a batch: take the item from the cache (the caller may have read it into the cache
 * first), skip what this item already applied per shard, merge the rest, put conditioned on the version it had.
 * An item not in the cache is created conditioned on not existing. A lost race or a wrong guess re-reads
 * (strongly consistent) and tries again, so writers on different shards never lose each other's updates; the
 * watermarks make a redelivery change nothing twice.
 */
export async function writeItem(options: ItemWriterOptions, batch: ItemBatch): Promise<WriteOutcome> {
  const { client, tableName, cache, meter } = options;
  let stored = cache.get(batch.key);
  let blindCreate: WriteOutcome['blindCreate'] = stored ? undefined : 'created';
  let readAfterConflict = false;
  for (let attempt = 1; ; attempt++) {
    if (readAfterConflict) {
      const attributes = await getItemConsistent(client, tableName, batch.key, meter);
      stored = attributes && fromAttributes(attributes);
    }
    const marks = stored?.watermarks ?? new Map<string, Watermark>();
    const fresh = batch.events.filter((event) => !alreadyApplied(marks, event));
    if (fresh.length === 0) {
      if (stored) cache.set(stored);
      return blindCreate ? { applied: false, blindCreate } : { applied: false };
    }
    const { next, expiresAtSeconds } = nextItem(options, batch, stored, fresh);
    try {
      const response = await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: toAttributes(next, expiresAtSeconds),
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
      cache.set(next);
      return blindCreate ? { applied: true, blindCreate } : { applied: true };
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      meter.charge('write', Math.ceil(Buffer.byteLength(next.state) / 1024));
      cache.delete(batch.key);
      if (attempt === 1 && blindCreate) blindCreate = 'existed';
      if (attempt >= MAX_ATTEMPTS) {
        throw new Error(`online-store item ${batch.key}: still contended after ${MAX_ATTEMPTS} attempts`);
      }
      readAfterConflict = true;
    }
  }
}

function alreadyApplied(marks: ReadonlyMap<string, Watermark>, event: ValidEvent): boolean {
  const mark = marks.get(event.record.shardId);
  return mark !== undefined && compareSequenceNumbers(event.record.sequenceNumber, mark.sequenceNumber) <= 0;
}

function nextItem(
  options: ItemWriterOptions,
  batch: ItemBatch,
  stored: TileItem | undefined,
  fresh: readonly ValidEvent[],
): { next: TileItem; expiresAtSeconds: number } {
  const state = stored?.state
    ? EntityState.fromJSON(batch.entity, JSON.parse(stored.state) as EntityStateJson)
    : new EntityState(batch.entity);
  for (const event of fresh) state.apply(event);
  state.settle(state.maxArrival);

  const marks = new Map(stored?.watermarks ?? []);
  for (const event of fresh) {
    const { shardId, sequenceNumber } = event.record;
    const mark = marks.get(shardId);
    if (!mark || compareSequenceNumbers(sequenceNumber, mark.sequenceNumber) > 0) {
      marks.set(shardId, { sequenceNumber, arrivalMs: event.alpha });
    }
  }
  for (const [shard, mark] of marks) {
    if (mark.arrivalMs < state.maxArrival - options.watermarkRetentionMs) marks.delete(shard);
  }

  const json = JSON.stringify(state);
  if (Buffer.byteLength(json) > MAX_STATE_BYTES) {
    throw new Error(
      `online-store item ${batch.key} would hold ${Buffer.byteLength(json)} bytes of tiles, over ${MAX_STATE_BYTES}: ` +
        'use coarser tiles or fewer distinct features for this entity',
    );
  }
  // TTL: once the longest window plus lateness and skew has passed the last arrival, no read needs the item.
  const horizon = batch.entity.maxWindowMs + options.spec.allowedLatenessMs + options.spec.maxFutureSkewMs;
  return {
    next: { key: batch.key, version: (stored?.version ?? 0) + 1, state: json, watermarks: marks },
    expiresAtSeconds: Math.ceil((state.maxArrival + horizon) / 1000) + 3600,
  };
}
