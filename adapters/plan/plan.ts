/**
 * Capacity planning: what a deployment needs and costs a month at a given event rate, from the per-event figures
 * the bench measured (figures.ts), the deployment's defaults (assumptions.ts) and list prices (prices.ts).
 * Pure arithmetic, no AWS calls: every line carries the formula and inputs that produced it, so a reader can redo it.
 * This file runs the sections in order; each section's file works out one service.
 */
import { planArchive, planFirehose } from './archive-capacity.js';
import { planDynamoStorage, planDynamoThroughput } from './dynamodb-capacity.js';
import { planHotKeys } from './hot-keys.js';
import { planKinesis } from './kinesis-capacity.js';
import { planFeaturesFunction, planScoringFunction } from './lambda-capacity.js';
import { entityCounts, type PlanContext, recordSize } from './plan-inputs.js';
import { PlanSheet } from './plan-sheet.js';
import type { Plan, PlanInput } from './plan-types.js';

export { ASSUMPTIONS, DEFAULT_ARCHIVE_DAYS, DEPLOYMENT, LIMITS } from './assumptions.js';
export { estimatedRecordBytes, isShared, zipfTopShare } from './plan-inputs.js';
export { priceText } from './plan-sheet.js';
export type { CostLine, Plan, PlanEntity, PlanInput, PlanLine } from './plan-types.js';

export function computePlan(input: PlanInput): Plan {
  const N = input.eventsPerSecond;
  if (!(N > 0)) throw new RangeError(`events per second must be positive (got ${N})`);
  const [partition] = input.entities;
  if (!partition) throw new RangeError('the spec has no entities');
  const sheet = new PlanSheet();
  const c: PlanContext = {
    input,
    sheet,
    eventsPerSecond: N,
    partition,
    recordBytes: recordSize(input, sheet),
  };
  const scoringRps = input.scoringRps ?? 0;

  const { shards, writerRate } = planKinesis(c);
  const load = planFeaturesFunction(c, shards, writerRate);
  planScoringFunction(c, scoringRps);
  planDynamoThroughput(c, scoringRps);
  const counts = entityCounts(input, sheet.assumptions);
  planDynamoStorage(c, shards, counts);
  planHotKeys(c, shards, load, counts);
  planFirehose(c, load);
  planArchive(c);
  return sheet.plan();
}
