import {
  type CompiledEntity,
  type CompiledSpec,
  type ItemBatch,
  onceEach,
  type ValidEvent,
} from '../../core/index.js';

/**
 * Items that several shards write are split, per entity key, into one item per writer slot, so that the writers of
 * different shards never race for one item: a merchant's events come from every shard (the stream is partitioned
 * by the spec's first entity, the card), and with one item per merchant every shard's batch re-read and retried it
 * after losing the race (most of its puts refused at four shards). Each shard writes only its slot's item; a read
 * takes the slots' items in the same BatchGetItem and merges their tiles (every partial is mergeable).
 *
 * Slots, not shards, because a read must know every key to ask for: a shard `shardId-…N` writes slot N mod
 * WRITER_SLOTS, so up to WRITER_SLOTS shards never share a slot, and after a reshard the children take the slots of
 * closed parents. With more open shards than slots, shards sharing a slot still race (correctly: every put is
 * conditioned on the version it read), and a read costs one more key per slot.
 */
export const WRITER_SLOTS = 4;

/** The entity the stream is partitioned by (the ingest function's partition key): the spec's first. */
function partitionEntity(spec: CompiledSpec): CompiledEntity | undefined {
  return spec.entities[0];
}

/**
 * Entities whose keys do not determine the shard: their key fields lack one of the partition entity's, so events
 * of one key come from several shards (merchant; not card, nor card_merchant).
 */
export const sharedEntities = onceEach((spec: CompiledSpec): ReadonlySet<CompiledEntity> => {
  const partition = partitionEntity(spec);
  return new Set(
    spec.entities.filter(
      (entity) => partition !== undefined && !partition.keyFields.every((f) => entity.keyFields.includes(f)),
    ),
  );
});

/** A shard's slot: the number Kinesis ends its shard ids with, modulo the slots (a hash for other ids). */
export function slotOf(shardId: string): number {
  const digits = /(\d+)$/.exec(shardId)?.[1];
  if (digits !== undefined) return Number(BigInt(digits) % BigInt(WRITER_SLOTS));
  let hash = 0;
  for (const char of shardId) hash = (hash * 31 + (char.codePointAt(0) as number)) >>> 0;
  return hash % WRITER_SLOTS;
}

/**
 * The key of one slot's item: `merchant#m7#~2`. Key values are URI-encoded (`#` never appears in one) and an
 * entity has a fixed number of key fields, so it cannot be another key's item.
 */
export function slotKey(key: string, slot: number): string {
  return `${key}#~${slot}`;
}

/**
 * Every item a read of this key merges: for a shared entity, each slot's, and the key's own item as written before
 * slots (it expires by TTL; never written again); for others, the key's item.
 */
export function itemKeysToRead(spec: CompiledSpec, entity: CompiledEntity, key: string): string[] {
  if (!sharedEntities(spec).has(entity)) return [key];
  return [key, ...Array.from({ length: WRITER_SLOTS }, (_, slot) => slotKey(key, slot))];
}

/** Splits the items of shared entities by the slot of each event's shard, keeping each shard's order. */
export function splitBySlot(spec: CompiledSpec, items: readonly ItemBatch[]): ItemBatch[] {
  const sharedSet = sharedEntities(spec);
  if (sharedSet.size === 0) return [...items];
  return items.flatMap((item) => {
    if (!sharedSet.has(item.entity)) return [item];
    const bySlot = new Map<number, ValidEvent[]>();
    for (const event of item.events) {
      const slot = slotOf(event.record.shardId);
      const list = bySlot.get(slot);
      if (list) list.push(event);
      else bySlot.set(slot, [event]);
    }
    return [...bySlot].map(([slot, events]) => ({
      key: slotKey(item.key, slot),
      entity: item.entity,
      events,
    }));
  });
}
