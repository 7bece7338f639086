/**
 * The plan's inputs as its sections read them: the record size, the writer's rate and the live keys per entity,
 * each from the input where given, else estimated (and the estimate written down as an assumption).
 */
import { ASSUMPTIONS } from './assumptions.js';
import { fmt, type PlanSheet } from './plan-sheet.js';
import type { PlanEntity, PlanInput } from './plan-types.js';

/** What every section of the plan reads. */
export interface PlanContext {
  readonly input: PlanInput;
  readonly sheet: PlanSheet;
  /** Events a second, checked positive. */
  readonly eventsPerSecond: number;
  /** The stream's partition entity: the spec's first. */
  readonly partition: PlanEntity;
  readonly recordBytes: number;
}

/** The most popular item's share under Zipf(n, s): 1 / sum over k = 1..n of k^-s. */
export function zipfTopShare(n: number, s: number): number {
  let sum = 0;
  for (let k = 1; k <= n; k++) sum += k ** -s;
  return 1 / sum;
}

/** A JSON record holding these fields, each value `bytesPerValue` long: {"a":v,"b":v}. */
export function estimatedRecordBytes(fields: readonly string[], bytesPerValue: number): number {
  if (fields.length === 0) return 2;
  const members = fields.reduce((sum, field) => sum + field.length + 3 + bytesPerValue, 0);
  return 2 + members + (fields.length - 1);
}

/**
 * An entity several shards write: its key does not hold every key field of the stream's partition entity (as the
 * online store's sharedEntities decides).
 */
export function isShared(entity: PlanEntity, partitionEntity: PlanEntity): boolean {
  return !partitionEntity.keyFields.every((field) => entity.keyFields.includes(field));
}

/** A record's size: as given, else estimated from the spec's event fields. */
export function recordSize(input: PlanInput, sheet: PlanSheet): number {
  const recordBytes = input.recordBytes ?? estimatedRecordBytes(input.eventFields, ASSUMPTIONS.bytesPerValue);
  sheet.assumptions.push(
    input.recordBytes === undefined
      ? `record size ${recordBytes} bytes, estimated from the spec's ${input.eventFields.length} event fields at ` +
          `${ASSUMPTIONS.bytesPerValue} bytes a value (events usually carry more: pass --record-bytes)`
      : `record size ${recordBytes} bytes (--record-bytes)`,
  );
  return recordBytes;
}

/**
 * Live keys per entity: as given; else scaled from a given entity by the ratio of their item counts in the bench's
 * table (card_merchant pairs per card, say); else the bench's own item count.
 */
export function entityCounts(input: PlanInput, assumptions: string[]): Record<string, number> {
  const given = input.entityCounts ?? {};
  const items = (name: string) => input.figures.itemBytes[name]?.items;
  const reference = Object.keys(given).find((name) => (items(name) ?? 0) > 0);
  const counts: Record<string, number> = {};
  for (const { name } of input.entities) {
    const count = given[name];
    if (count !== undefined) {
      counts[name] = count;
      continue;
    }
    const own = items(name) ?? 0;
    if (reference !== undefined) {
      const ref = given[reference] as number;
      counts[name] = Math.round((own / (items(reference) as number)) * ref);
      assumptions.push(
        `${name}: ${fmt(counts[name])} live keys, ${fmt(own / (items(reference) as number))} per ${reference} key as in the bench's table`,
      );
    } else {
      counts[name] = own;
      assumptions.push(`${name}: ${fmt(own)} live keys, as many as the bench's table held (pass --entities)`);
    }
  }
  return counts;
}
