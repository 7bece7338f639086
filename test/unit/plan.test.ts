import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSteadyStateFigures, type SteadyStateFigures } from '../../adapters/plan/figures.js';
import {
  computePlan,
  DEPLOYMENT,
  estimatedRecordBytes,
  type Plan,
  type PlanInput,
  zipfTopShare,
} from '../../adapters/plan/plan.js';
import { PRICES, SECONDS_PER_MONTH } from '../../adapters/plan/prices.js';
import { DEFAULT_STREAM_RETENTION } from '../../lib/event-stream.js';
import { DEFAULT_BATCH_SIZE } from '../../lib/feature-computer.js';

/** A small world whose plan is worked out by hand below. */
const FIGURES: SteadyStateFigures = {
  date: '2026-12-01T00:00:00.000Z',
  world: {
    cards: 10,
    merchants: 5,
    eventsPerDay: 1000,
    days: 7,
    shards: 2,
    batchSize: 500,
    measuredEvents: 1000,
  },
  writeUnitsPerEvent: { total: 2, tiles: 1.5, ledger: 0.5, refused: 0 },
  tilePutsPerEventByEntity: { card: 1, merchant: 0.5 },
  readUnitsPerEvent: { total: 0.25, prefetch: 0.25, afterConflict: 0 },
  itemBytes: {
    card: { items: 10, p50: 900, p90: 1000, p99: 1500, max: 2000 },
    merchant: { items: 5, p50: 400, p90: 500, p99: 600, max: 3000 },
  },
  eventsPerSecondPerShard: 40,
  // A batch of 500: 0.4 ms x 500 = 200 ms of CPU + 60 round trips x 5 ms = 500 ms: 1,000 events/s at the defaults.
  writer: {
    batchSize: 500,
    cpuMsPerEvent: 0.4,
    roundsPerBatch: 60,
    callsPerBatch: { PutItem: 900, BatchGetItem: 3 },
    local: {
      callMs: { p50: 20, p99: 90, mean: 25 },
      wallMsPerBatch: 1800,
      modelMsPerBatch: 1700,
      modelToMeasured: 1700 / 1800,
    },
  },
};

const SMALL: PlanInput = {
  entities: [
    { name: 'card', keyFields: ['card_id'] },
    { name: 'merchant', keyFields: ['merchant_id'] },
  ],
  eventFields: ['ts', 'card_id', 'merchant_id'],
  dedupeHorizonMs: 1000,
  figures: FIGURES,
  eventsPerSecond: 1000,
  entityCounts: { card: 10, merchant: 5 },
  recordBytes: 200,
  hotKeyShare: 0.1,
};

const needOf = (plan: Plan, name: string) => {
  const line = plan.needs.find((l) => l.name === name);
  if (!line) throw new Error(`no line ${name}`);
  return line.value;
};
const costOf = (plan: Plan, name: string) => {
  const line = plan.costs.find((l) => l.name === name);
  if (!line) throw new Error(`no cost ${name}`);
  return line.usdPerMonth;
};

describe('plan arithmetic', () => {
  it('answers the shards a small stream needs: the largest of bytes, records and the writer rate at 80%', () => {
    const plan = computePlan(SMALL);
    // 1,000 x 200 B / (1 MiB x 0.8) = 0.24 -> 1; 1,000 / 800 -> 2; 1,000 / (1,000 x 0.8) -> 2.
    expect(needOf(plan, 'shards for bytes written')).toBe(1);
    expect(needOf(plan, 'shards for records written')).toBe(2);
    expect(needOf(plan, 'shards for the features writer')).toBe(2);
    expect(needOf(plan, 'shards (provisioned)')).toBe(2);
    expect(costOf(plan, 'shard-hours')).toBeCloseTo(2 * 730 * 0.015, 9);
    expect(costOf(plan, 'PUT payload units')).toBeCloseTo(1000 * SECONDS_PER_MONTH * 0.014e-6, 6);
  });

  it('answers Lambda invocations and GB-seconds from the writer rate and memory', () => {
    const plan = computePlan(SMALL);
    // 500 events/s a shard, batches of 500 -> 1 invocation/s a shard; busy 500 / 1,000 of the time, 1 GB.
    expect(needOf(plan, 'features function concurrency')).toBe(2);
    expect(needOf(plan, 'features function invocations')).toBe(2);
    expect(needOf(plan, 'features function GB-seconds')).toBe(2 * 0.5 * 1 * 2_628_000);
    expect(costOf(plan, 'features GB-seconds')).toBeCloseTo(2_628_000 * 0.0000133334, 6);
  });

  it("answers the writer's rate from its model: CPU x factor + round trips x DynamoDB's latency", () => {
    const plan = computePlan(SMALL);
    expect(needOf(plan, 'shards for the features writer')).toBe(2); // ceil(1,000 / (1,000 x 0.8))
    const assumptions = plan.assumptions.join('\n');
    expect(assumptions).toContain(
      "one shard's writer applies 1,000 events/s on AWS, modelled: a batch of 500 takes 0.4 ms CPU a record x 500 x 1 + 60 DynamoDB round trips x 5 ms = 500 ms",
    );
    expect(assumptions).toMatch(
      /DynamoDB latency 5 ms a call: AWS states "single-digit millisecond" latency/,
    );
    expect(assumptions).toMatch(/Lambda CPU factor 1: .* full vCPU only at 1,769 MB/);
    expect(assumptions).toContain('0.944 of the measured batch time on DynamoDB Local');
    // 0.4 x 500 x 2 + 60 x 10 = 1,000 ms: 500 events/s; 1,000 events/s at 80% -> 3 shards.
    const slower = computePlan({ ...SMALL, dynamodbLatencyMs: 10, lambdaCpuFactor: 2 });
    expect(needOf(slower, 'shards for the features writer')).toBe(3);
    expect(slower.assumptions.join('\n')).toContain('DynamoDB latency 10 ms a call (--dynamodb-latency-ms)');
    expect(slower.assumptions.join('\n')).toContain('Lambda CPU factor 2 (--lambda-cpu-factor)');
  });

  it('takes a given writer rate over the model, and says so', () => {
    const plan = computePlan({ ...SMALL, writerEventsPerSecond: 250 });
    expect(needOf(plan, 'shards for the features writer')).toBe(5); // ceil(1,000 / (250 x 0.8))
    expect(plan.assumptions.join('\n')).toMatch(
      /one shard's writer applies 250 events\/s \(--writer-events-per-second; the model's parts are not used; 40 events\/s measured on DynamoDB Local/,
    );
  });

  it('warns when the writer was measured at another batch size than the deployment uses', () => {
    const figures = { ...FIGURES, writer: { ...FIGURES.writer, batchSize: 100 } };
    expect(computePlan({ ...SMALL, figures }).warnings.join('\n')).toMatch(
      /measured at batches of 100, the deployment's batch size is 500/,
    );
  });

  it('answers DynamoDB units by cause, on-demand and provisioned dollars', () => {
    const plan = computePlan(SMALL);
    expect(needOf(plan, 'write units: tile puts')).toBe(1500);
    expect(needOf(plan, 'write units: id ledger')).toBe(500);
    expect(needOf(plan, 'write units')).toBe(2000);
    expect(needOf(plan, 'read units: features function')).toBe(250);
    expect(costOf(plan, 'on-demand writes')).toBeCloseTo(2000 * 2_628_000 * 0.625e-6, 6); // 3,285
    expect(costOf(plan, 'on-demand reads')).toBeCloseTo(250 * 2_628_000 * 0.125e-6, 6); // 82.125
    expect(needOf(plan, 'provisioned WCU')).toBe(2858); // ceil(2,000 / 0.7)
    expect(costOf(plan, 'provisioned WCU')).toBeCloseTo(2858 * 730 * 0.00065, 6);
  });

  it('answers storage from live keys, measured item sizes, writer slots and the id ledger', () => {
    const plan = computePlan(SMALL);
    // card 10 x (900 + 100); merchant 5 keys x 2 slots (2 shards) x (400 + 100); ledger 1,000/s x 1 s x 160.
    expect(needOf(plan, 'storage') * 2 ** 30).toBeCloseTo(10_000 + 5_000 + 160_000, 3);
  });

  it('answers the hottest shared key against the 1,000 units per key, and warns above it', () => {
    const plan = computePlan(SMALL);
    // 2 slots for 2 shards: 1 shard a slot, 1 batch/s, present in a batch of 500 at 10% (1 - 0.9^500), 3 KB -> 3.
    expect(needOf(plan, 'hottest merchant key: write units per slot item')).toBeCloseTo(
      3 * (1 - 0.9 ** 500),
      9,
    );
    expect(plan.warnings.some((w) => w.includes('merchant'))).toBe(false);
    const busy = computePlan({ ...SMALL, eventsPerSecond: 400_000, hotItemBytes: 40 * 1024 });
    // 500 shards (records), 125 a slot, 1.6 batches/s, 40 units a put: 8,000 units/s.
    expect(needOf(busy, 'hottest merchant key: write units per slot item')).toBeCloseTo(125 * 1.6 * 40, 6);
    expect(busy.warnings.join('\n')).toMatch(/hottest merchant key's slot items need 8,000 write units\/s/);
  });

  it('answers Firehose packed records and billed GB, each record rounded up to 5 KB', () => {
    const plan = computePlan(SMALL);
    // A batch of 500 x 201 B = 100,500 B: one record a batch, billed as 20 x 5 KB.
    expect(needOf(plan, 'records (packed)')).toBe(2);
    expect(needOf(plan, 'GB ingested (billed)')).toBeCloseTo((2 * 102_400 * 2_628_000) / 2 ** 30, 9);
  });

  it('adds scoring requests, their Lambda and API Gateway calls and reads when a scoring rate is given', () => {
    const plan = computePlan({ ...SMALL, scoringRps: 10 });
    expect(costOf(plan, 'HTTP API requests')).toBeCloseTo(10 * 2_628_000 * 1e-6, 9);
    // card: 1 key; merchant: 4 slots + the key's own item; 0.5 units each.
    expect(needOf(plan, 'read units: scoring')).toBe(10 * 3);
    expect(computePlan(SMALL).costs.some((c) => c.name === 'HTTP API requests')).toBe(false);
  });

  it('totals every line once, with one DynamoDB capacity mode each', () => {
    const plan = computePlan(SMALL);
    const sum = (mode: string) =>
      plan.costs
        .filter((c) => c.counts === 'both' || c.counts === mode)
        .reduce((s, c) => s + c.usdPerMonth, 0);
    expect(plan.totals.onDemandUsdPerMonth).toBeCloseTo(sum('on-demand'), 9);
    expect(plan.totals.provisionedUsdPerMonth - plan.totals.onDemandUsdPerMonth).toBeCloseTo(
      costOf(plan, 'provisioned WCU') + costOf(plan, 'provisioned RCU') - 3285 - 82.125,
      6,
    );
  });

  it('prints every price it uses and every assumption it makes', () => {
    const plan = computePlan({ ...SMALL, recordBytes: undefined, hotKeyShare: undefined, scoringRps: 1 });
    for (const name of plan.prices) expect(PRICES[name].source).toMatch(/pricing/);
    expect(plan.prices).toContain('dynamoWriteRequestUnit');
    expect(plan.assumptions.join('\n')).toMatch(
      /record size \d+ bytes, estimated from the spec's 3 event fields/,
    );
    expect(plan.assumptions.join('\n')).toMatch(/top of Zipf\(5, 1.1\)/);
  });

  it('fails on a rate that is not positive', () => {
    expect(() => computePlan({ ...SMALL, eventsPerSecond: 0 })).toThrow(
      /events per second must be positive \(got 0\)/,
    );
  });

  it('computes the Zipf top share and a record estimate by hand', () => {
    expect(zipfTopShare(2, 1)).toBeCloseTo(2 / 3, 12);
    expect(zipfTopShare(3, 0)).toBeCloseTo(1 / 3, 12);
    expect(estimatedRecordBytes(['a', 'bb'], 20)).toBe('{"a":'.length + 20 + ',"bb":'.length + 20 + 1);
  });

  it('assumes the batch size and stream retention the constructs deploy with', () => {
    expect(DEPLOYMENT.batchSize).toBe(DEFAULT_BATCH_SIZE);
    expect(DEPLOYMENT.streamRetentionHours).toBe(DEFAULT_STREAM_RETENTION.toHours());
  });
});

describe('plan against the bench', () => {
  const file = new URL('../../bench/results/steady-state.json', import.meta.url);
  const figures = parseSteadyStateFigures(readFileSync(file, 'utf8'), file.pathname);

  it("reproduces the bench's measured DynamoDB units per event at the bench's own rate", () => {
    const rate = figures.eventsPerSecondPerShard * figures.world.shards;
    const plan = computePlan({ ...SMALL, figures, eventsPerSecond: rate, entityCounts: undefined });
    expect(needOf(plan, 'write units') / rate).toBeCloseTo(figures.writeUnitsPerEvent.total, 12);
    expect(needOf(plan, 'write units: tile puts') / rate).toBeCloseTo(figures.writeUnitsPerEvent.tiles, 12);
    expect(needOf(plan, 'write units: id ledger') / rate).toBeCloseTo(figures.writeUnitsPerEvent.ledger, 12);
    expect(needOf(plan, 'read units: features function') / rate).toBeCloseTo(
      figures.readUnitsPerEvent.total,
      12,
    );
    // At the bench's rate, a writer applying the bench's measured rate needs the bench's shard count.
    const measured = computePlan({
      ...SMALL,
      figures,
      eventsPerSecond: rate,
      writerEventsPerSecond: figures.eventsPerSecondPerShard,
    });
    expect(needOf(measured, 'shards for the features writer')).toBe(Math.ceil(figures.world.shards / 0.8));
  });

  it("models the writer on DynamoDB Local within a factor of two of the bench's measured batch time", () => {
    const { writer } = figures;
    expect(writer.local.modelToMeasured).toBeGreaterThan(0.5);
    expect(writer.local.modelToMeasured).toBeLessThan(2);
    expect(writer.local.modelMsPerBatch / writer.local.wallMsPerBatch).toBeCloseTo(
      writer.local.modelToMeasured,
      9,
    );
  });

  it('fails naming the file and the field when the figures lack one', () => {
    const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    delete json.writeUnitsPerEvent;
    expect(() => parseSteadyStateFigures(JSON.stringify(json), 'figures.json')).toThrow(
      /^figures\.json: writeUnitsPerEvent: /,
    );
    expect(() => parseSteadyStateFigures('{', 'figures.json')).toThrow(/^figures\.json: not JSON/);
  });
});
