/**
 * Events one shard's writer applies a second on AWS: as given (--writer-events-per-second), else the writer's model
 * (writer-model.ts) from the parts the bench measured, with a stated DynamoDB latency and Lambda CPU factor.
 */
import { ASSUMPTIONS, DEPLOYMENT } from './assumptions.js';
import { fmt, type PlanSheet } from './plan-sheet.js';
import type { PlanInput } from './plan-types.js';
import { writerBatchTime } from './writer-model.js';

export interface WriterRate {
  /** Events a second one writer applies, in full batches. */
  readonly eventsPerSecond: number;
  /** How it was worked out, for the lines that use it. */
  readonly formula: string;
}

export function writerRate(input: PlanInput, sheet: PlanSheet): WriterRate {
  const f = input.figures;
  const local = `${fmt(f.eventsPerSecondPerShard)} events/s measured on DynamoDB Local on the bench machine`;
  if (input.writerEventsPerSecond !== undefined) {
    const rate = input.writerEventsPerSecond;
    sheet.assumptions.push(
      `one shard's writer applies ${fmt(rate)} events/s (--writer-events-per-second; the model's parts are not used; ${local})`,
    );
    return { eventsPerSecond: rate, formula: `${fmt(rate)} events/s per writer (given)` };
  }
  const w = f.writer;
  const latencyMs = input.dynamodbLatencyMs ?? ASSUMPTIONS.dynamodbLatencyMs;
  const cpuFactor = input.lambdaCpuFactor ?? ASSUMPTIONS.lambdaCpuFactor;
  const time = writerBatchTime(w, { latencyMs, cpuFactor });
  const batch =
    `a batch of ${w.batchSize} takes ${fmt(w.cpuMsPerEvent)} ms CPU a record x ${w.batchSize} x ${fmt(cpuFactor)} + ` +
    `${fmt(w.roundsPerBatch)} DynamoDB round trips x ${fmt(latencyMs)} ms = ${fmt(time.totalMs)} ms`;
  sheet.assumptions.push(
    `one shard's writer applies ${fmt(time.eventsPerSecond)} events/s on AWS, modelled: ${batch} ` +
      `(CPU and round trips per batch from the bench; the model came to ${fmt(w.local.modelToMeasured)} of the ` +
      `measured batch time on DynamoDB Local; ${local}; --writer-events-per-second overrides)`,
    input.dynamodbLatencyMs === undefined
      ? `DynamoDB latency ${latencyMs} ms a call: AWS states "single-digit millisecond" latency ` +
          '(aws.amazon.com/dynamodb); the middle of that range, not measured (--dynamodb-latency-ms)'
      : `DynamoDB latency ${latencyMs} ms a call (--dynamodb-latency-ms)`,
    input.lambdaCpuFactor === undefined
      ? `Lambda CPU factor ${cpuFactor}: a CPU ms on the bench machine taken as one on Lambda's ARM64 at ` +
          `${DEPLOYMENT.featuresMemoryMb} MB; Lambda gives a full vCPU only at 1,769 MB ` +
          '(docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html), so a busy batch may take up to ' +
          `${fmt(1769 / DEPLOYMENT.featuresMemoryMb)} times as long there: --lambda-cpu-factor`
      : `Lambda CPU factor ${cpuFactor} (--lambda-cpu-factor)`,
  );
  if (w.batchSize !== DEPLOYMENT.batchSize)
    sheet.warnings.push(
      `the writer's parts were measured at batches of ${w.batchSize}, the deployment's batch size is ${DEPLOYMENT.batchSize}: rerun the bench at that size`,
    );
  return { eventsPerSecond: time.eventsPerSecond, formula: batch };
}
