import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { ShardWatermark } from '../../core/index.js';
import { itemBytes } from './item-bytes.js';
import { packPayload, unpackPayload } from './item-payload.js';

/**
 * One entity key's item in the online store:
 *   pk  S  item key, e.g. `card#c1`
 *   v   N  version, for optimistic concurrency between writers on different shards
 *   s   S  the tiles (EntityState JSON, layout 2: each feature's partials under its fingerprint)
 *   w   M  per shard, the last sequence number applied here, its arrival time and the first sequence number
 *          applied since the item was created: `"<seq>@<arrivalMs>@<firstSeq>"`, sequence numbers as `~` and base
 *          36 (decimal in items written before; items written before first marks were kept lack the third part); a redelivered or partly applied batch skips what it already
 *          applied (exactly once in effect), and a backfill leaves to live traffic what it counted
 *   c   S  under `event.dedupeScope`, on the scope entity's items only: the id claims of the dedupe horizon
 *          (id-claims.ts), written in the same put as the tiles
 *   z   B  packed layout, for an item over PACK_ABOVE_BYTES that packing makes smaller: `s` and `c` packed into one
 *          raw DEFLATE value (item-payload.ts), and `s` holds PACKED_MARK instead of the tiles. Items are written
 *          packed or plain per put; both read.
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

/**
 * An item that fits in one write unit (1 KB) as it is stays plain: packing it saves no unit (nor a read unit, 4 KB)
 * and costs CPU on every put (card+merchant items, about 260 bytes, are most puts).
 */
export const PACK_ABOVE_BYTES = 1024;

/**
 * What `s` holds in a packed item: not JSON, so a reader from before packed items (which parses `s` as the tiles)
 * fails on the item, naming this text in its JSON error, instead of reading it as empty and overwriting its tiles.
 */
export const PACKED_MARK = 'z';

/** The item's attributes, packed when it is over PACK_ABOVE_BYTES plain and packing makes it smaller. */
export function toAttributes(item: TileItem, expiresAtSeconds: number): Record<string, AttributeValue> {
  const plain = plainAttributes(item, expiresAtSeconds);
  const plainBytes = itemBytes(plain);
  if (plainBytes <= PACK_ABOVE_BYTES) return plain;
  const { c: _claims, ...rest } = plain;
  const packed = {
    ...rest,
    s: { S: PACKED_MARK },
    z: { B: packPayload({ state: item.state, claims: item.claims }) },
  };
  return itemBytes(packed) < plainBytes ? packed : plain;
}

function plainAttributes(item: TileItem, expiresAtSeconds: number): Record<string, AttributeValue> {
  const w: Record<string, AttributeValue> = {};
  for (const [shard, mark] of item.watermarks) {
    const first = mark.firstSequenceNumber === undefined ? '' : `@${compact(mark.firstSequenceNumber)}`;
    w[shard] = { S: `${compact(mark.sequenceNumber)}@${mark.arrivalMs}${first}` };
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
    const [sequence = '', arrival = '0', first] = (value.S ?? '').split('@');
    const sequenceNumber = expand(sequence);
    watermarks.set(
      shard,
      first === undefined
        ? { sequenceNumber, arrivalMs: Number(arrival) }
        : { sequenceNumber, arrivalMs: Number(arrival), firstSequenceNumber: expand(first) },
    );
  }
  const { state, claims } = payloadOf(key, attributes);
  const item = { key, version: Number(attributes.v?.N ?? 0), state, watermarks };
  return claims === undefined ? item : { ...item, claims };
}

/** An item's tiles JSON ('' when it has none) and id claims, from either layout. */
export function payloadOf(
  key: string,
  attributes: Record<string, AttributeValue>,
): { state: string; claims?: string | undefined } {
  const packed = attributes.z?.B;
  if (packed !== undefined) return unpackPayload(key, packed);
  const state = attributes.s?.S ?? '';
  if (state === PACKED_MARK)
    throw new Error(`online-store item ${key} is packed but was read without its z attribute`);
  return { state, claims: attributes.c?.S };
}

/**
 * A Kinesis sequence number (up to 128 decimal digits, 56 in practice) as `~` and base 36: 37 characters instead
 * of 56, on every item and every put (items cost write units by the kilobyte). Marks written in decimal before
 * read as they are; a short one, or one with leading zeros (which compareSequenceNumbers counts), is kept verbatim.
 */
function compact(sequenceNumber: string): string {
  return /^[1-9]\d{11,}$/.test(sequenceNumber) ? `~${BigInt(sequenceNumber).toString(36)}` : sequenceNumber;
}

function expand(text: string): string {
  if (!text.startsWith('~')) return text;
  let n = 0n;
  for (const digit of text.slice(1)) n = n * 36n + BigInt(Number.parseInt(digit, 36));
  return n.toString();
}
