/**
 * Heap held per 1000-record batch: what a Lambda keeps alive while it works on one batch, i.e. the
 * classifyBatch result (parsed bodies, item keys, rejections) and the per-item tiles (groupByItem, each
 * item's events folded into an EntityState, as tilesByItem does). Measured as the heapUsed delta across full GCs (node --expose-gc), with
 * the decoded input records allocated beforehand so that only the engine's own allocations count.
 * It bounds batch size against Lambda memory, and shows where per-item state is heavy.
 */
import { type CompiledSpec, classifyBatch, type InputRecord } from '../core/index.js';
import { tilesByItem } from './engine-throughput.js';
import { decodeRecords, type KinesisRecord } from './fixture.js';
import { collectGarbage, median } from './stats.js';

export interface HeapResult {
  available: boolean;
  batches: number;
  batchSize: number;
  /** Median KB held by the classifyBatch result alone. */
  classifiedKB: number;
  /** Median KB added by the per-item tiles on top. */
  itemsKB: number;
  /** Median KB of both: the figure. */
  totalKB: number;
  itemsPerBatch: number;
  /** Median bytes per item delta (itemsKB / items). */
  bytesPerItem: number;
  totalKBPerBatch: number[];
}

/** The results of the batch being measured: reachable from here until the next measurement starts. */
const held: { value: unknown } = { value: undefined };

/** One batch's readings; its locals die with its frame, and `held` keeps the results alive meanwhile. */
function heldBy(
  spec: CompiledSpec,
  input: InputRecord[],
): { classified: number; items: number; count: number } {
  held.value = undefined;
  collectGarbage();
  const h0 = process.memoryUsage().heapUsed;
  const result = classifyBatch(spec, input);
  held.value = result;
  collectGarbage();
  const h1 = process.memoryUsage().heapUsed;
  const byItem = tilesByItem(spec, result.events);
  held.value = [result, byItem];
  collectGarbage();
  const h2 = process.memoryUsage().heapUsed;
  return { classified: h1 - h0, items: h2 - h1, count: byItem.size };
}

export function measureHeap(
  spec: CompiledSpec,
  batches: readonly (readonly KinesisRecord[])[],
  samples: number,
): HeapResult {
  const available = (globalThis as { gc?: () => void }).gc !== undefined;
  const empty = { classifiedKB: 0, itemsKB: 0, totalKB: 0, itemsPerBatch: 0, bytesPerItem: 0 };
  if (!available) return { available, batches: 0, batchSize: 0, ...empty, totalKBPerBatch: [] };

  // One unmeasured batch first: the first run allocates one-time things (compiled code, caches).
  heldBy(spec, decodeRecords(batches[0] as KinesisRecord[]));
  const step = Math.max(1, Math.floor((batches.length - 1) / samples));
  const readings: { classified: number; items: number; count: number }[] = [];
  for (let b = 1; b < batches.length && readings.length < samples; b += step) {
    readings.push(heldBy(spec, decodeRecords(batches[b] as KinesisRecord[])));
  }
  held.value = undefined;
  const kb = (bytes: number) => bytes / 1024;
  const totals = readings.map((r) => kb(r.classified + r.items));
  return {
    available,
    batches: readings.length,
    batchSize: (batches[0] as KinesisRecord[]).length,
    classifiedKB: median(readings.map((r) => kb(r.classified))),
    itemsKB: median(readings.map((r) => kb(r.items))),
    totalKB: median(totals),
    itemsPerBatch: median(readings.map((r) => r.count)),
    bytesPerItem: median(readings.map((r) => r.items / r.count)),
    totalKBPerBatch: totals.map(Math.round),
  };
}
