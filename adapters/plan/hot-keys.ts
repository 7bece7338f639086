/**
 * The hottest key of each entity against DynamoDB's 1,000 write units a second per partition key. The store writes
 * an item at most once per batch, so a key's items take at most one put per batch of each shard that writes them:
 * a partition-entity key lives in one shard; a shared entity's key in one item per writer slot, which the shards of
 * that slot share (and race for, paid in refused conditional puts, when shards outnumber slots).
 */
import { ASSUMPTIONS, DEPLOYMENT, LIMITS } from './assumptions.js';
import type { FeaturesFunctionLoad } from './lambda-capacity.js';
import { isShared, type PlanContext, zipfTopShare } from './plan-inputs.js';
import { fmt } from './plan-sheet.js';

export function planHotKeys(
  c: PlanContext,
  shards: number,
  load: FeaturesFunctionLoad,
  counts: Record<string, number>,
): void {
  const { input, sheet, partition } = c;
  const batchEvents = load.perShard / load.invocationsPerShard;
  for (const entity of input.entities) {
    const shared = isShared(entity, partition);
    const sizes = input.figures.itemBytes[entity.name];
    const itemBytes = (shared ? input.hotItemBytes : undefined) ?? sizes?.max ?? 0;
    const unitsPerPut = Math.max(1, Math.ceil(itemBytes / LIMITS.dynamoWriteUnitBytes));
    if (!shared) {
      sheet.need(
        'DynamoDB',
        `hottest ${entity.name} key: write units`,
        load.invocationsPerShard * unitsPerPut,
        'per second (limit 1,000)',
        `one shard writes it: <= ${fmt(load.invocationsPerShard)} puts/s x ${unitsPerPut} units (largest measured item ${fmt(itemBytes)} B)`,
      );
      continue;
    }
    const count = counts[entity.name] ?? 0;
    const share = input.hotKeyShare ?? zipfTopShare(Math.max(1, count), ASSUMPTIONS.zipfExponent);
    sheet.assumptions.push(
      input.hotKeyShare === undefined
        ? `hottest ${entity.name}: ${fmt(share * 100)}% of events, the top of Zipf(${fmt(count)}, ${ASSUMPTIONS.zipfExponent}) ` +
            `(the fraud generator's merchant popularity; pass --hot-key-share)`
        : `hottest ${entity.name}: ${fmt(share * 100)}% of events (--hot-key-share)`,
    );
    sheet.assumptions.push(
      input.hotItemBytes === undefined
        ? `hottest ${entity.name} item: ${fmt(itemBytes)} B, the largest the bench measured (grows with traffic: pass --hot-item-bytes)`
        : `hottest ${entity.name} item: ${fmt(itemBytes)} B (--hot-item-bytes)`,
    );
    const slots = Math.min(DEPLOYMENT.writerSlots, shards);
    const shardsPerSlot = Math.ceil(shards / slots);
    const inBatch = 1 - (1 - share) ** batchEvents;
    const puts = shardsPerSlot * load.invocationsPerShard * inBatch;
    const units = sheet.need(
      'DynamoDB',
      `hottest ${entity.name} key: write units per slot item`,
      puts * unitsPerPut,
      'per second (limit 1,000)',
      `${shardsPerSlot} shards per slot (${shards} shards / ${slots} slots) x ${fmt(load.invocationsPerShard)} batches/s x ` +
        `${fmt(inBatch)} (in a batch of ${fmt(batchEvents)}) x ${unitsPerPut} units (${fmt(itemBytes)} B)`,
    );
    if (units > LIMITS.partitionKeyWriteUnitsPerSecond)
      sheet.warnings.push(
        `the hottest ${entity.name} key's slot items need ${fmt(units)} write units/s, above DynamoDB's 1,000 per key: ` +
          'writes to it are throttled; more writer slots (or smaller items) are needed at this rate',
      );
    if (shardsPerSlot > 1)
      sheet.warnings.push(
        `${shardsPerSlot} shards share each ${entity.name} writer slot: their puts to a hot key race (refused ` +
          `conditional puts, not in the bench's ${input.figures.world.shards}-shard figure)`,
      );
  }
}
