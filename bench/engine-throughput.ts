/**
 * Engine throughput on one core: how much of a Lambda's CPU budget the engine adds on top of the work any
 * handler must do anyway. The floor is that unavoidable work (base64-decode and JSON.parse each record); the
 * engine variant is what the online path does per batch besides its DynamoDB calls: decode into InputRecord,
 * classifyBatch, the event-id dedupe (in memory here, a DedupeIndex as MemoryEngine keeps, on the key the product
 * dedupes on: under `event.dedupeScope` the id within its scope entity's key, dedupeKeyOf), groupByItem and
 * folding each item's events into its tiles (an EntityState per item; the store folds them into the state it
 * read, here a fresh one). MemoryEngine.ingest (which keeps every state in memory) is timed beside them for
 * information. The variants run interleaved and the ratio is taken per round.
 * Beside them, the floor plus the same in-memory id dedupe and nothing else of the engine: what that one part alone
 * leaves of the floor, a cap on the engine's ratio whatever classification and tiles cost.
 * Throughput is per CPU-second of the process (main thread plus GC helpers, as a one-vCPU Lambda pays it):
 * on a shared, loaded machine wall time mostly measures how often we were descheduled. Wall rates are kept too.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import {
  type CompiledSpec,
  classifyBatch,
  DedupeIndex,
  dedupeKeyOf,
  EntityState,
  groupByItem,
  itemKey,
  MemoryEngine,
  type ValidEvent,
} from '../core/index.js';
import { decodeRecords, type KinesisRecord } from './fixture.js';
import { interleave, median, type Timing } from './stats.js';

/** The floor: what any consumer of this stream pays per record. Returns the number of JSON objects parsed. */
export function floorPass(batches: readonly (readonly KinesisRecord[])[]): number {
  let parsed = 0;
  for (const batch of batches) {
    for (const record of batch) {
      const bytes = Buffer.from(record.data, 'base64');
      try {
        if (JSON.parse(bytes.toString()) !== null) parsed++;
      } catch {
        // An invalid payload: the engine sets it aside too.
      }
    }
  }
  return parsed;
}

/**
 * The floor plus the exact in-memory id dedupe the engine pass keeps (a DedupeIndex over the spec's horizon, on the
 * same key: under `event.dedupeScope` the scope entity's item key and the id), and nothing else of the engine.
 * Returns the records counted.
 */
export function floorWithIdsPass(spec: CompiledSpec, batches: readonly (readonly KinesisRecord[])[]): number {
  const getId = spec.getId;
  if (!getId) throw new Error('the spec has no idField: there is no id dedupe to measure');
  const scope = spec.dedupeScope === undefined ? undefined : spec.entities[spec.dedupeScope];
  const dedupe = new DedupeIndex(spec.dedupeHorizonMs);
  let counted = 0;
  for (const batch of batches) {
    for (const record of batch) {
      const bytes = Buffer.from(record.data, 'base64');
      let body: unknown;
      try {
        body = JSON.parse(bytes.toString());
      } catch {
        continue;
      }
      if (body === null || typeof body !== 'object') continue;
      const event = body as Record<string, unknown>;
      const id = getId(event);
      if (id === undefined) {
        counted++;
        continue;
      }
      const key = scope
        ? `${itemKey(
            scope.name,
            scope.keyGetters.map((get) => get(event) as string | number),
          )}\u0000${String(id)}`
        : String(id);
      if (!dedupe.isDuplicate(key, record.arrivalMs)) counted++;
    }
  }
  return counted;
}

/**
 * How many events a batch folds into each (item, group, tile) it touches, over all batches: the most a per-batch
 * accumulator (partials gathered per tile, materialised once per tile) could save in tile objects made.
 */
export function foldsPerTile(
  spec: CompiledSpec,
  batches: readonly (readonly KinesisRecord[])[],
): { folds: number; tiles: number; items: number; itemEvents: number; events: number } {
  let folds = 0;
  let tiles = 0;
  let items = 0;
  let itemEvents = 0;
  let events = 0;
  for (const batch of batches) {
    const classified = classifyBatch(spec, decodeRecords(batch)).events;
    events += classified.length;
    for (const item of groupByItem(spec, classified).values()) {
      items++;
      itemEvents += item.events.length;
      item.entity.groups.forEach((group) => {
        const touched = new Set<number>();
        for (const event of item.events) touched.add(Math.floor(event.tau / group.tileMs));
        folds += item.events.length;
        tiles += touched.size;
      });
    }
  }
  return { folds, tiles, items, itemEvents, events };
}

/** groupByItem, then each item's events folded into its tiles: the engine's per-item work in a batch. */
export function tilesByItem(spec: CompiledSpec, events: readonly ValidEvent[]): Map<string, EntityState> {
  const states = new Map<string, EntityState>();
  for (const item of groupByItem(spec, events).values()) {
    const state = new EntityState(item.entity);
    for (const event of item.events) state.apply(event);
    states.set(item.key, state);
  }
  return states;
}

/** The engine's per-batch work in the Lambda, with dedupe kept in memory. Returns the item deltas made. */
export function enginePass(spec: CompiledSpec, batches: readonly (readonly KinesisRecord[])[]): number {
  const dedupe = new DedupeIndex(spec.dedupeHorizonMs);
  let items = 0;
  for (const batch of batches) {
    const { events } = classifyBatch(spec, decodeRecords(batch));
    const counted: ValidEvent[] = [];
    for (const event of events) {
      const key = dedupeKeyOf(spec, event);
      if (key === undefined || !dedupe.isDuplicate(key, event.alpha)) counted.push(event);
    }
    items += tilesByItem(spec, counted).size;
  }
  return items;
}

/** MemoryEngine end to end (decode, ingest with its merge into the states). Returns the events counted. */
export function memoryEnginePass(spec: CompiledSpec, batches: readonly (readonly KinesisRecord[])[]): number {
  const engine = new MemoryEngine(spec);
  for (const batch of batches) engine.ingest(decodeRecords(batch));
  return engine.totals.counted;
}

export interface EngineResult {
  records: number;
  batchSize: number;
  repetitions: number;
  /** Records per CPU-second (median over rounds). */
  floorEventsPerSec: number;
  engineEventsPerSec: number;
  /** The floor plus the in-memory id dedupe alone (floorWithIdsPass). */
  floorWithIdsEventsPerSec: number;
  /** Median over rounds of (floor + id dedupe)/floor throughput: the cap that dedupe alone puts on `ratio`. */
  idDedupeCap: number;
  memoryEngineEventsPerSec: number;
  /** Median over rounds of engine/floor throughput measured side by side (CPU time). */
  ratio: number;
  ratioPerRound: number[];
  /** The same by wall-clock time, for information. */
  wall: {
    floorEventsPerSec: number;
    engineEventsPerSec: number;
    memoryEngineEventsPerSec: number;
    ratio: number;
  };
  /** CPU time over wall time, per variant (median): under 1 means other processes took the core from us. */
  cpuPerWall: { floor: number; engine: number; memoryEngine: number };
  cpuMs: { floor: number[]; engine: number[]; memoryEngine: number[]; floorWithIds: number[] };
}

export function measureEngineThroughput(
  spec: CompiledSpec,
  batches: readonly (readonly KinesisRecord[])[],
  batchSize: number,
  repetitions: number,
  progress: (message: string) => void,
): EngineResult {
  const records = batches.reduce((n, batch) => n + batch.length, 0);
  const timings = interleave(
    {
      floor: () => floorPass(batches),
      engine: () => enginePass(spec, batches),
      memoryEngine: () => memoryEnginePass(spec, batches),
      floorWithIds: () => floorWithIdsPass(spec, batches),
    },
    repetitions,
    (round) => progress(`engine throughput: round ${round + 1}/${repetitions}`),
  );
  const rate = (list: Timing[], by: keyof Timing) => records / (median(list.map((t) => t[by])) / 1000);
  const ratios = (by: keyof Timing, of = timings.engine) =>
    of.map((t, i) => (timings.floor[i] as Timing)[by] / t[by]);
  const cpuPerWall = (list: Timing[]) => median(list.map((t) => t.cpuMs / t.wallMs));
  const cpuMs = (list: Timing[]) => list.map((t) => Math.round(t.cpuMs));
  return {
    records,
    batchSize,
    repetitions,
    floorEventsPerSec: rate(timings.floor, 'cpuMs'),
    engineEventsPerSec: rate(timings.engine, 'cpuMs'),
    floorWithIdsEventsPerSec: rate(timings.floorWithIds, 'cpuMs'),
    idDedupeCap: median(ratios('cpuMs', timings.floorWithIds)),
    memoryEngineEventsPerSec: rate(timings.memoryEngine, 'cpuMs'),
    ratio: median(ratios('cpuMs')),
    ratioPerRound: ratios('cpuMs'),
    wall: {
      floorEventsPerSec: rate(timings.floor, 'wallMs'),
      engineEventsPerSec: rate(timings.engine, 'wallMs'),
      memoryEngineEventsPerSec: rate(timings.memoryEngine, 'wallMs'),
      ratio: median(ratios('wallMs')),
    },
    cpuPerWall: {
      floor: cpuPerWall(timings.floor),
      engine: cpuPerWall(timings.engine),
      memoryEngine: cpuPerWall(timings.memoryEngine),
    },
    cpuMs: {
      floor: cpuMs(timings.floor),
      engine: cpuMs(timings.engine),
      memoryEngine: cpuMs(timings.memoryEngine),
      floorWithIds: cpuMs(timings.floorWithIds),
    },
  };
}

export interface EngineBreakdown {
  /** Share of the instrumented pass's time per phase (GC pauses land in the phase that triggered them). */
  shares: { decode: number; classify: number; dedupe: number; tiles: number };
  /** Share of the pass spent in GC pauses on the main thread, from the `gc` performance entries. */
  gcShare: number;
  totalMs: number;
}

/** One more engine pass with a clock around each phase, to say where the time goes (not used in the ratio). */
export async function engineBreakdown(
  spec: CompiledSpec,
  batches: readonly (readonly KinesisRecord[])[],
): Promise<EngineBreakdown> {
  const ms = { decode: 0, classify: 0, dedupe: 0, tiles: 0 };
  let gcMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  });
  observer.observe({ entryTypes: ['gc'] });
  const dedupe = new DedupeIndex(spec.dedupeHorizonMs);
  const started = performance.now();
  for (const batch of batches) {
    const t0 = performance.now();
    const input = decodeRecords(batch);
    const t1 = performance.now();
    const { events } = classifyBatch(spec, input);
    const t2 = performance.now();
    const counted: ValidEvent[] = [];
    for (const event of events) {
      const key = dedupeKeyOf(spec, event);
      if (key === undefined || !dedupe.isDuplicate(key, event.alpha)) counted.push(event);
    }
    const t3 = performance.now();
    tilesByItem(spec, counted);
    const t4 = performance.now();
    ms.decode += t1 - t0;
    ms.classify += t2 - t1;
    ms.dedupe += t3 - t2;
    ms.tiles += t4 - t3;
  }
  const totalMs = performance.now() - started;
  // GC entries are delivered asynchronously.
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  return {
    shares: {
      decode: ms.decode / totalMs,
      classify: ms.classify / totalMs,
      dedupe: ms.dedupe / totalMs,
      tiles: ms.tiles / totalMs,
    },
    gcShare: gcMs / totalMs,
    totalMs,
  };
}
