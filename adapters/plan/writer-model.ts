/**
 * How long one shard's writer takes over a batch, as a model whose parts the bench measures: the batch's CPU (the
 * handler's own process CPU a record, times a factor for the machine it runs on) plus the DynamoDB round trips its
 * code waits for one after another, times a DynamoDB latency per call. The bench checks it against DynamoDB Local
 * (its own latency for L); the plan applies it with AWS's.
 */

/** The measured parts, at one batch size. */
export interface WriterParts {
  /** Records in the batch the parts were measured at. */
  readonly batchSize: number;
  /** The handler's process CPU a record, ms (engine, item build, packing, SDK serialization and parsing). */
  readonly cpuMsPerEvent: number;
  /** DynamoDB round trips one after another on the batch's critical path. */
  readonly roundsPerBatch: number;
}

export interface WriterConditions {
  /** DynamoDB's latency per call, ms. */
  readonly latencyMs: number;
  /** CPU time there per CPU ms measured here (2: twice as slow). */
  readonly cpuFactor: number;
}

export interface WriterBatchTime {
  readonly cpuMs: number;
  readonly waitMs: number;
  readonly totalMs: number;
  /** Records the writer applies a second at this batch size, one batch after another. */
  readonly eventsPerSecond: number;
}

/** A full batch's time: CPU x factor + rounds x latency (CPU and waits taken as not overlapping: one thread). */
export function writerBatchTime(parts: WriterParts, conditions: WriterConditions): WriterBatchTime {
  const { batchSize, cpuMsPerEvent, roundsPerBatch } = parts;
  const { latencyMs, cpuFactor } = conditions;
  for (const [name, value] of Object.entries({
    batchSize,
    cpuMsPerEvent,
    roundsPerBatch,
    latencyMs,
    cpuFactor,
  })) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`writer model: ${name} is ${value}`);
  }
  if (!(parts.batchSize > 0)) throw new RangeError(`writer model: batchSize is ${parts.batchSize}`);
  const cpuMs = parts.cpuMsPerEvent * parts.batchSize * conditions.cpuFactor;
  const waitMs = parts.roundsPerBatch * conditions.latencyMs;
  const totalMs = cpuMs + waitMs;
  if (!(totalMs > 0)) throw new RangeError('writer model: a batch takes no time (no CPU and no round trips)');
  return { cpuMs, waitMs, totalMs, eventsPerSecond: (parts.batchSize * 1000) / totalMs };
}
