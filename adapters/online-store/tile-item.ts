import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { ShardWatermark } from '../../core/index.js';
import { itemBytes } from './item-bytes.js';
import { type Payload, packPayload, unpackPayload } from './item-payload.js';

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
 *   z   B  packed layout, for an item over PACK_ABOVE_BYTES that packing makes smaller: the tiles, watermarks and
 *          claims (`s`, `w`, `c`) packed into one binary value (item-payload.ts: raw DEFLATE, the claims in
 *          binary after it); `s` then holds PACKED_MARK and `w`, `c` are absent. Items are written packed or
 *          plain per put; both read.
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
  const marks = [...item.watermarks].map(([shard, mark]) => [shard, markText(mark)] as const);
  const common = {
    pk: { S: item.key },
    v: { N: String(item.version) },
    [TTL_ATTRIBUTE]: { N: String(expiresAtSeconds) },
  };
  const plain = {
    ...common,
    s: { S: item.state },
    w: { M: Object.fromEntries(marks.map(([shard, text]) => [shard, { S: text }])) },
    ...(item.claims === undefined ? {} : { c: { S: item.claims } }),
  };
  const plainBytes = itemBytes(plain);
  if (plainBytes <= PACK_ABOVE_BYTES) return plain;
  const packed = {
    ...common,
    s: { S: PACKED_MARK },
    z: { B: packPayload({ state: item.state, marks, claims: item.claims }) },
  };
  return itemBytes(packed) < plainBytes ? packed : plain;
}

export function fromAttributes(attributes: Record<string, AttributeValue>): TileItem {
  const key = attributes.pk?.S;
  if (key === undefined) throw new Error('online-store item has no pk');
  const { state, marks, claims } = payloadOf(key, attributes);
  const watermarks = new Map(marks.map(([shard, text]) => [shard, parseMark(text)]));
  const item = { key, version: Number(attributes.v?.N ?? 0), state, watermarks };
  return claims === undefined ? item : { ...item, claims };
}

/** An item's tiles JSON ('' when it has none), watermark texts and id claims, from either layout. */
export function payloadOf(key: string, attributes: Record<string, AttributeValue>): Payload {
  const packed = attributes.z?.B;
  if (packed !== undefined) return unpackPayload(key, packed);
  const state = attributes.s?.S ?? '';
  if (state === PACKED_MARK)
    throw new Error(`online-store item ${key} is packed but was read without its z attribute`);
  const marks = Object.entries(attributes.w?.M ?? {}).map(
    ([shard, value]) => [shard, value.S ?? ''] as const,
  );
  return { state, marks, claims: attributes.c?.S };
}

/** `<last>@<arrivalMs>[@<first>]`, sequence numbers compacted. */
function markText(mark: Watermark): string {
  const first = mark.firstSequenceNumber === undefined ? '' : `@${compact(mark.firstSequenceNumber)}`;
  return `${compact(mark.sequenceNumber)}@${mark.arrivalMs}${first}`;
}

function parseMark(text: string): Watermark {
  const [sequence = '', arrival = '0', first] = text.split('@');
  const sequenceNumber = expand(sequence);
  return first === undefined
    ? { sequenceNumber, arrivalMs: Number(arrival) }
    : { sequenceNumber, arrivalMs: Number(arrival), firstSequenceNumber: expand(first) };
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
