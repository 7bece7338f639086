/**
 * The online store: read and write units per event as the bench measured them, by cause, priced on demand and
 * provisioned; and its storage, live keys times measured item sizes plus the id ledger.
 */
import { ASSUMPTIONS, DEPLOYMENT, LIMITS } from './assumptions.js';
import { isShared, type PlanContext } from './plan-inputs.js';
import { fmt } from './plan-sheet.js';
import { HOURS_PER_MONTH, SECONDS_PER_MONTH } from './prices.js';

/** Read and write units a second, with `R` scoring requests a second; priced both ways. */
export function planDynamoThroughput(c: PlanContext, R: number): void {
  const { sheet } = c;
  const N = c.eventsPerSecond;
  const f = c.input.figures;
  const w = f.writeUnitsPerEvent;
  const r = f.readUnitsPerEvent;
  for (const [cause, units] of [
    ['tile puts', w.tiles],
    ['id ledger', w.ledger],
    ['refused conditional puts', w.refused],
  ] as const) {
    sheet.need(
      'DynamoDB',
      `write units: ${cause}`,
      N * units,
      'per second',
      `${fmt(N)} events/s x ${fmt(units, 4)} units/event (measured)`,
    );
  }
  const writeUnits = sheet.need(
    'DynamoDB',
    'write units',
    N * w.total,
    'per second',
    `${fmt(N)} x ${fmt(w.total, 4)} (measured total)`,
  );
  const ingestReads = sheet.need(
    'DynamoDB',
    'read units: features function',
    N * r.total,
    'per second',
    `${fmt(N)} x ${fmt(r.total, 4)} (measured: prefetch ${fmt(r.prefetch, 3)}, after refused puts ${fmt(r.afterConflict, 3)})`,
  );
  const scoringReads = planScoringReads(c, R);
  const readUnits = ingestReads + scoringReads;
  sheet.cost(
    'DynamoDB',
    'on-demand writes',
    writeUnits * SECONDS_PER_MONTH,
    'dynamoWriteRequestUnit',
    'on-demand',
    `${fmt(writeUnits)}/s x ${fmt(SECONDS_PER_MONTH)} s`,
  );
  sheet.cost(
    'DynamoDB',
    'on-demand reads',
    readUnits * SECONDS_PER_MONTH,
    'dynamoReadRequestUnit',
    'on-demand',
    `${fmt(readUnits)}/s x ${fmt(SECONDS_PER_MONTH)} s`,
  );
  const pu = ASSUMPTIONS.provisionedUtilization;
  const wcu = sheet.need(
    'DynamoDB',
    'provisioned WCU',
    Math.ceil(writeUnits / pu),
    'WCU',
    `ceil(${fmt(writeUnits)} / ${pu} target utilization)`,
  );
  const rcu = sheet.need(
    'DynamoDB',
    'provisioned RCU',
    Math.ceil(readUnits / pu),
    'RCU',
    `ceil(${fmt(readUnits)} / ${pu})`,
  );
  sheet.cost(
    'DynamoDB',
    'provisioned WCU',
    wcu * HOURS_PER_MONTH,
    'dynamoWcuHour',
    'provisioned',
    `${fmt(wcu)} WCU x 730 h`,
  );
  sheet.cost(
    'DynamoDB',
    'provisioned RCU',
    rcu * HOURS_PER_MONTH,
    'dynamoRcuHour',
    'provisioned',
    `${fmt(rcu)} RCU x 730 h`,
  );
  sheet.assumptions.push(`provisioned capacity at ${pu * 100}% utilization, steady traffic (no peaks)`);
}

/** Scoring's reads: one feature vector a request, a shared entity's key read from each writer slot and its total. */
function planScoringReads({ input, sheet, partition }: PlanContext, R: number): number {
  let perVector = 0;
  const vectorParts: string[] = [];
  for (const entity of input.entities) {
    const keys = isShared(entity, partition) ? DEPLOYMENT.writerSlots + 1 : 1;
    const units =
      keys *
      0.5 *
      Math.max(1, Math.ceil((input.figures.itemBytes[entity.name]?.p50 ?? 0) / LIMITS.dynamoReadUnitBytes));
    perVector += units;
    vectorParts.push(`${entity.name} ${keys} key${keys > 1 ? 's' : ''}`);
  }
  return sheet.need(
    'DynamoDB',
    'read units: scoring',
    R * perVector,
    'per second',
    `${fmt(R)} requests/s x ${perVector} units (eventually consistent, items at their p50 size: ${vectorParts.join(', ')})`,
  );
}

/** The table's size: each entity's live keys (a shared entity's in each writer slot) and the id ledger. */
export function planDynamoStorage(c: PlanContext, shards: number, counts: Record<string, number>): void {
  const { input, sheet, partition } = c;
  let storageBytes = 0;
  const storageParts: string[] = [];
  for (const entity of input.entities) {
    const sizes = input.figures.itemBytes[entity.name];
    const count = counts[entity.name] ?? 0;
    const itemBytes = (sizes?.p50 ?? 0) + ASSUMPTIONS.itemOverheadBytes;
    const items = isShared(entity, partition) ? count * Math.min(DEPLOYMENT.writerSlots, shards) : count;
    storageBytes += items * itemBytes;
    storageParts.push(`${entity.name} ${fmt(items)} items x ${itemBytes} B`);
  }
  const ledgerItems = c.eventsPerSecond * (input.dedupeHorizonMs / 1000);
  if (ledgerItems > 0) {
    storageBytes += ledgerItems * ASSUMPTIONS.ledgerItemBytes;
    storageParts.push(`id ledger ${fmt(ledgerItems)} items x ${ASSUMPTIONS.ledgerItemBytes} B`);
  }
  sheet.assumptions.push(
    `stored items at the measured p50 size plus ${ASSUMPTIONS.itemOverheadBytes} B overhead; a shared entity's key is ` +
      `${DEPLOYMENT.writerSlots} writer-slot items; id-ledger items ${ASSUMPTIONS.ledgerItemBytes} B each, kept for the dedupe horizon`,
  );
  const storageGb = sheet.need('DynamoDB', 'storage', storageBytes / 2 ** 30, 'GB', storageParts.join(' + '));
  sheet.cost('DynamoDB', 'storage', storageGb, 'dynamoStorageGbMonth', 'both', `${fmt(storageGb)} GB`);
}
