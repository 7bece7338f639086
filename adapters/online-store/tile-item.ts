import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { ShardWatermark } from '../../core/index.js';

/**
 * One entity key's item in the online store:
 *   pk  S  item key, e.g. `card#c1`
 *   v   N  version, for optimistic concurrency between writers on different shards
 *   s   S  the tiles (EntityState JSON, layout 2: each feature's partials under its fingerprint)
 *   w   M  per shard, the last sequence number applied here, its arrival time and the first sequence number
 *          applied since the item was created: `"<seq>@<arrivalMs>@<firstSeq>"` (items written before first
 *          marks were kept lack the third part); a redelivered or partly applied batch skips what it already
 *          applied (exactly once in effect), and a backfill leaves to live traffic what it counted
 *   c   S  under `event.dedupeScope`, on the scope entity's items only: the id claims of the dedupe horizon
 *          (id-claims.ts), written in the same put as the tiles
 *   x   N  expiry, epoch seconds (the table's TTL attribute): past the longest window plus lateness
 */
export interface TileItem {
  readonly key: string;
  readonly version: number;
  readonly state: string;
  readonly watermarks: ReadonlyMap<string, Watermark>;
  readonly claims?: string | undefined;
}

export type Watermark = ShardWatermark;

export const TTL_ATTRIBUTE = 'x';

export function toAttributes(item: TileItem, expiresAtSeconds: number): Record<string, AttributeValue> {
  const w: Record<string, AttributeValue> = {};
  for (const [shard, mark] of item.watermarks) {
    const first = mark.firstSequenceNumber === undefined ? '' : `@${mark.firstSequenceNumber}`;
    w[shard] = { S: `${mark.sequenceNumber}@${mark.arrivalMs}${first}` };
  }
  return {
    pk: { S: item.key },
    v: { N: String(item.version) },
    s: { S: item.state },
    w: { M: w },
    ...(item.claims === undefined ? {} : { c: { S: item.claims } }),
    [TTL_ATTRIBUTE]: { N: String(expiresAtSeconds) },
  };
}

export function fromAttributes(attributes: Record<string, AttributeValue>): TileItem {
  const key = attributes.pk?.S;
  if (key === undefined) throw new Error('online-store item has no pk');
  const watermarks = new Map<string, Watermark>();
  for (const [shard, value] of Object.entries(attributes.w?.M ?? {})) {
    const [sequenceNumber = '', arrival = '0', first] = (value.S ?? '').split('@');
    watermarks.set(
      shard,
      first === undefined
        ? { sequenceNumber, arrivalMs: Number(arrival) }
        : { sequenceNumber, arrivalMs: Number(arrival), firstSequenceNumber: first },
    );
  }
  const item = { key, version: Number(attributes.v?.N ?? 0), state: attributes.s?.S ?? '', watermarks };
  const claims = attributes.c?.S;
  return claims === undefined ? item : { ...item, claims };
}
