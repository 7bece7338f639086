/**
 * The writer's cost per batch on the measured day, and the model of it (adapters/plan/writer-model.ts) checked
 * against DynamoDB Local. Batches run one at a time, each by its shard's store (on AWS each shard's writer has its
 * own Lambda instance: here no other writer's CPU shares the thread while one is measured). They alternate between
 * two kinds, by (batch number + shard) so every shard has both:
 *   timed:  run as the store runs, for the wall time, the process CPU and every DynamoDB exchange's latency;
 *   rounds: run in lock step (writer-calls.ts), for the critical path in round trips.
 * Process CPU (process.cpuUsage, user + system) holds what the handler's thread does: the engine, building and
 * packing items, the SDK's building, signing and parsing of calls, the HTTP client; not DynamoDB Local (another
 * process). The figures are over full batches (`batchSize` records), as the plan applies them to full batches.
 */

import { availableParallelism, loadavg } from 'node:os';
import type { OnlineStore } from '../adapters/online-store/online-store.js';
import { writerBatchTime } from '../adapters/plan/writer-model.js';
import type { InputRecord } from '../core/index.js';
import { childCpuMs } from './child-cpu.js';
import { shardBatches } from './fixture.js';
import { sdkCpuMsPerCall } from './sdk-cpu.js';
import { percentile } from './stats.js';
import type { BatchCalls, WriterCalls } from './writer-calls.js';

export interface ShardWriter {
  readonly store: OnlineStore;
  readonly calls: WriterCalls;
}

interface BatchSample {
  readonly records: number;
  readonly counted: number;
  readonly countRounds: boolean;
  readonly wallMs: number;
  readonly cpuMs: number;
  /** DynamoDB Local's own CPU over the batch, where it can be read. */
  readonly dynamoCpuMs: number | undefined;
  readonly calls: BatchCalls;
}

/** The writer's figures at the bench's batch size, written to the figures file under `writer`. */
export interface WriterFigures {
  batchSize: number;
  /** Full batches measured: timed, and counted in lock step. */
  batches: { timed: number; rounds: number };
  /** Process CPU a record of a timed full batch, ms. */
  cpuMsPerEvent: number;
  /**
   * Of it, the AWS SDK's own CPU a call (building, signing, parsing), timed apart on a timed batch's calls through
   * the product's client; beside it, the same calls through a client with the SDK's defaults (sdk-cpu.ts).
   */
  sdkCpuMsPerCall: number;
  sdkDefaultsCpuMsPerCall: number;
  /** Critical path of a full batch in DynamoDB round trips: mean, and the range seen. */
  roundsPerBatch: number;
  roundsPerBatchRange: { min: number; max: number };
  /** DynamoDB calls a full batch makes, by kind (a refused conditional put apart from accepted ones). */
  callsPerBatch: Record<string, number>;
  /**
   * The check on DynamoDB Local. Its latency a call, two ways: `callMs` in lock step, where the handler's thread is
   * idle while a round is out (DynamoDB Local's own time, at the store's concurrency), the model's L; and
   * `timedCallMs` as timed batches saw it, which also holds the wait for the handler's thread, busy with other
   * workers' items when an answer comes. The model (CPU + rounds x L, CPU and waits one after another) beside the
   * wall time of a timed full batch; `fullOverlapToMeasured`: max(CPU, rounds x L), as if CPU hid wholly in waits.
   */
  local: {
    callMs: Latency;
    timedCallMs: Latency;
    wallMsPerBatch: number;
    cpuMsPerBatch: number;
    modelMsPerBatch: number;
    modelToMeasured: number;
    fullOverlapToMeasured: number;
    /** DynamoDB Local's process CPU a full batch, timed and in lock step (null: not readable here). */
    dynamoDbLocalCpuMsPerBatch: { timed: number; lockStep: number } | null;
    /** The machine's 1-minute load average at the end of the day, on its core count. */
    load: { average: number; cores: number };
  };
}

export interface MeasuredDay {
  counted: number;
  records: number;
  /** Records of timed batches (full or not) per second of their wall time: one writer, alone, on DynamoDB Local. */
  eventsPerSecondPerShard: number;
  writer: WriterFigures;
}

/** Applies the day's batches, shard by shard in turn, timed and counted alternately. */
export async function measureWriterDay(
  writers: ReadonlyMap<string, ShardWriter>,
  records: readonly InputRecord[],
  batchSize: number,
  latencies: { current: number[] | undefined },
): Promise<MeasuredDay> {
  const samples: BatchSample[] = [];
  const callMs = { timed: [] as number[], lockStep: [] as number[] };
  const dynamoCpu = childCpuMs('java');
  for (const [b, round] of shardBatches(records, batchSize).entries()) {
    for (const [s, batch] of round.entries()) {
      const writer = writers.get((batch[0] as InputRecord).shardId) as ShardWriter;
      const countRounds = (b + s) % 2 === 1;
      const calls = writer.calls.startBatch(countRounds);
      const exchanges: number[] = [];
      latencies.current = exchanges;
      const dynamo0 = dynamoCpu?.();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const result = await writer.store.applyBatch(batch);
      const wallMs = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const dynamo1 = dynamoCpu?.();
      latencies.current = undefined;
      if (result.retryFrom.length > 0)
        throw new Error(`applyBatch left records to retry: ${String(result.errors[0])}`);
      (countRounds ? callMs.lockStep : callMs.timed).push(...exchanges);
      samples.push({
        records: batch.length,
        counted: result.counted.length,
        countRounds,
        wallMs,
        cpuMs: (cpu.user + cpu.system) / 1000,
        dynamoCpuMs: dynamo0 === undefined || dynamo1 === undefined ? undefined : dynamo1 - dynamo0,
        calls,
      });
    }
  }
  const timed = samples.filter((s) => !s.countRounds);
  return {
    counted: samples.reduce((sum, s) => sum + s.counted, 0),
    records: samples.reduce((sum, s) => sum + s.records, 0),
    eventsPerSecondPerShard: sum(timed, (s) => s.records) / (sum(timed, (s) => s.wallMs) / 1000),
    writer: await writerFigures(
      samples.filter((s) => s.records === batchSize),
      batchSize,
      callMs,
    ),
  };
}

export interface Latency {
  p50: number;
  p99: number;
  mean: number;
  calls: number;
}

const latency = (ms: readonly number[]): Latency => ({
  p50: percentile(ms, 50),
  p99: percentile(ms, 99),
  mean: mean(ms),
  calls: ms.length,
});

async function writerFigures(
  full: readonly BatchSample[],
  batchSize: number,
  callMs: { timed: number[]; lockStep: number[] },
): Promise<WriterFigures> {
  const timed = full.filter((s) => !s.countRounds);
  const counted = full.filter((s) => s.countRounds);
  if (timed.length === 0 || counted.length === 0)
    throw new Error(`the measured day has too few full batches of ${batchSize} to time and count both`);
  const rounds = counted.map((s) => s.calls.rounds);
  const kinds = new Set(full.flatMap((s) => Object.keys(s.calls.byKind)));
  const callsPerBatch = Object.fromEntries(
    [...kinds].sort().map((kind) => [kind, sum(full, (s) => s.calls.byKind[kind] ?? 0) / full.length]),
  );
  const cpuMsPerEvent = sum(timed, (s) => s.cpuMs) / sum(timed, (s) => s.records);
  const roundsPerBatch = mean(rounds);
  const meanCallMs = mean(callMs.lockStep);
  const wallMsPerBatch = mean(timed.map((s) => s.wallMs));
  const model = writerBatchTime(
    { batchSize, cpuMsPerEvent, roundsPerBatch },
    { latencyMs: meanCallMs, cpuFactor: 1 },
  );
  const sdkCpu = await sdkCpuMsPerCall((timed.at(-1) as BatchSample).calls.commands);
  return {
    batchSize,
    batches: { timed: timed.length, rounds: counted.length },
    cpuMsPerEvent,
    sdkCpuMsPerCall: sdkCpu.product,
    sdkDefaultsCpuMsPerCall: sdkCpu.sdkDefaults,
    roundsPerBatch,
    roundsPerBatchRange: { min: Math.min(...rounds), max: Math.max(...rounds) },
    callsPerBatch,
    local: {
      callMs: latency(callMs.lockStep),
      timedCallMs: latency(callMs.timed),
      wallMsPerBatch,
      cpuMsPerBatch: model.cpuMs,
      modelMsPerBatch: model.totalMs,
      modelToMeasured: model.totalMs / wallMsPerBatch,
      fullOverlapToMeasured: Math.max(model.cpuMs, model.waitMs) / wallMsPerBatch,
      dynamoDbLocalCpuMsPerBatch: timed.concat(counted).every((s) => s.dynamoCpuMs !== undefined)
        ? {
            timed: mean(timed.map((s) => s.dynamoCpuMs as number)),
            lockStep: mean(counted.map((s) => s.dynamoCpuMs as number)),
          }
        : null,
      load: { average: loadavg()[0] as number, cores: availableParallelism() },
    },
  };
}

const sum = <T>(list: readonly T[], of: (item: T) => number) =>
  list.reduce((total, item) => total + of(item), 0);
const mean = (list: readonly number[]) =>
  list.length === 0 ? Number.NaN : list.reduce((a, b) => a + b, 0) / list.length;
