import { describe, expect, it } from 'vitest';
import { writerBatchTime } from '../../adapters/plan/writer-model.js';

const PARTS = { batchSize: 500, cpuMsPerEvent: 0.4, roundsPerBatch: 30 };

describe("the writer's model", () => {
  it('adds the batch CPU times the factor to the round trips times the latency', () => {
    const time = writerBatchTime(PARTS, { latencyMs: 5, cpuFactor: 1.5 });
    expect(time.cpuMs).toBeCloseTo(0.4 * 500 * 1.5, 9); // 300
    expect(time.waitMs).toBe(30 * 5); // 150
    expect(time.totalMs).toBeCloseTo(450, 9);
    expect(time.eventsPerSecond).toBeCloseTo(500 / 0.45, 9);
  });

  it('answers the round trips alone when the CPU is free, and the CPU alone with no latency', () => {
    expect(
      writerBatchTime({ ...PARTS, cpuMsPerEvent: 0 }, { latencyMs: 10, cpuFactor: 1 }).eventsPerSecond,
    ).toBe(500 / 0.3);
    expect(writerBatchTime(PARTS, { latencyMs: 0, cpuFactor: 1 }).eventsPerSecond).toBeCloseTo(500 / 0.2, 9);
  });

  it('fails naming a part that is negative or not a number, and a batch that takes no time', () => {
    expect(() => writerBatchTime({ ...PARTS, roundsPerBatch: -1 }, { latencyMs: 5, cpuFactor: 1 })).toThrow(
      /roundsPerBatch is -1/,
    );
    expect(() => writerBatchTime(PARTS, { latencyMs: Number.NaN, cpuFactor: 1 })).toThrow(/latencyMs is NaN/);
    expect(() => writerBatchTime({ ...PARTS, batchSize: 0 }, { latencyMs: 5, cpuFactor: 1 })).toThrow(
      /batchSize is 0/,
    );
    expect(() =>
      writerBatchTime({ ...PARTS, cpuMsPerEvent: 0, roundsPerBatch: 0 }, { latencyMs: 5, cpuFactor: 1 }),
    ).toThrow(/takes no time/);
  });
});
