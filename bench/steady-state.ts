/**
 * Steady-state online-store cost: what the store costs a day into a week of traffic, not on the first minutes into
 * an empty table. A week of fraud event time (examples/fraud generator), compressed (run.ts sets the events a day
 * and a world smaller than the generator's default, so a card sees about as many transactions a day as a real one), on
 * four shards, one OnlineStore per shard (as Lambda runs one instance per shard), against DynamoDB Local, every call
 * counted by bench/ddb-calls.ts.
 *
 * How the week is run in minutes: days 1 to 6 less the last hours are applied by four stores in large batches, one
 * a shard a day (one write per distinct item per batch), with the id ledger off (its items would not outlive the
 * dedupe horizon anyway; under `event.dedupeScope` the claims ride in the card items' puts, so the spec runs as it
 * is); the last hours of day 6 then run in the function's own batch size to warm the stores' caches, and day 7 in
 * that batch size is measured, one batch at a time (writer-batches.ts: each batch either timed or counted in round
 * trips, for the writer's model). The table holds what a week of the store's own writes leaves: items grown over
 * their windows, expired ones gone.
 *
 * A batch a day, not one for the six days: a write keeps the id claims within the horizon of its batch's earliest
 * event (id-claims.ts), so one batch would leave each card's item with every claim of six days, which its first
 * day-7 put would pay for (DynamoDB bills a put by the larger of the item it replaces and the new one); a day's
 * batch keeps at most a day's claims more than a function's batch of seconds would.
 *
 * The figures it writes to bench/results/steady-state.json (read by capacity planning), all per counted event of
 * day 7 unless named otherwise:
 *   {
 *     "date": ISO time of the run, "world": { cards, merchants, eventsPerDay, shards, batchSize, measuredEvents },
 *     "prices": { "writeRequestUnitUsd": 0.625e-6, "readRequestUnitUsd": 0.125e-6, "note": "..." },
 *     "writeUnitsPerEvent": { "total", "tiles", "ledger", "refused" }   (refused: rejected conditional tile puts),
 *     "tileWriteUnitsPerEventByEntity": { "<entity>": units },          (accepted tile puts only)
 *     "tilePutsPerEventByEntity": { "<entity>": puts },
 *     "tileOwnSizeWriteUnitsPerEventByEntity": { "<entity>": units }    (those puts billed by the new item's size
 *                   alone: DynamoDB bills the larger of the replaced and the new item),
 *     "readUnitsPerEvent": { "total", "prefetch", "afterConflict" }      (keys not found billed at 0.5 as AWS does),
 *     "itemBytes": { "<entity>": { "items", "p50", "p90", "p99", "max" } } (every item of the table after day 7, as
 *                   stored: packed items by their binary's bytes),
 *     "packing": { "packedShareByEntity", "packMicrosPerItem", "unpackMicrosPerItem" } (packed items: tile-item.ts),
 *     "usdPerMillionEvents": dollars of DynamoDB on-demand per million events,
 *     "eventsPerSecondPerShard": records one shard's writer, alone, applied per second of wall time on DynamoDB Local,
 *     "writer": { "batchSize", "cpuMsPerEvent", "roundsPerBatch", "callsPerBatch": { "<kind>": calls },
 *                 "local": { "callMs": { p50, p99, mean }, "wallMsPerBatch", "modelMsPerBatch", "modelToMeasured" } }
 *                 (per full batch: the writer's model, writer-batches.ts),
 *     "target": { "writeUnitsPerEvent": 2 }
 *   }
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { OnlineStore } from '../adapters/online-store/online-store.js';
import { createOnlineStoreTable } from '../adapters/online-store/table.js';
import { onShards } from '../cli/simulated-stream.js';
import { type CompiledSpec, compileSpec, type InputRecord, parseSpecJson } from '../core/index.js';
import { generateFraudTraffic } from '../examples/fraud/generate.js';
import { CallTally } from './ddb-calls.js';
import { shardBatches } from './fixture.js';
import { type ItemSizes, itemSizesByEntity, type Packing } from './steady-state-items.js';
import { measureWriterDay, type ShardWriter, type WriterFigures } from './writer-batches.js';
import { WriterCalls } from './writer-calls.js';

export type { ItemSizes, Packing } from './steady-state-items.js';
export { renderSteadyState } from './steady-state-report.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** DynamoDB on-demand, us-east-1, since the price cut of November 2024: per write and read request unit. */
export const PRICES = {
  writeRequestUnitUsd: 0.625 / 1e6,
  readRequestUnitUsd: 0.125 / 1e6,
  note: 'DynamoDB on-demand, us-east-1 (USD 0.625 per million write request units, 0.125 per million read request units)',
} as const;

export const TARGET_WRITE_UNITS_PER_EVENT = 2;

export interface SteadyStateOptions {
  readonly eventsPerDay: number;
  readonly days: number;
  readonly cards: number;
  readonly merchants: number;
  readonly shards: number;
  /** The function's batch size (the FeatureComputer construct's default batchSize). */
  readonly batchSize: number;
  /** Hours before the measured day run in `batchSize` batches to warm the stores' caches. */
  readonly warmHours: number;
  /** Records per batch while loading the earlier days. */
  readonly loadBatchSize: number;
  readonly seed?: number;
}

export interface SteadyStateResult {
  date: string;
  world: {
    cards: number;
    merchants: number;
    eventsPerDay: number;
    days: number;
    shards: number;
    batchSize: number;
    measuredRecords: number;
    measuredEvents: number;
  };
  prices: typeof PRICES;
  writeUnitsPerEvent: { total: number; tiles: number; ledger: number; refused: number };
  tileWriteUnitsPerEventByEntity: Record<string, number>;
  tilePutsPerEventByEntity: Record<string, number>;
  tileOwnSizeWriteUnitsPerEventByEntity: Record<string, number>;
  readUnitsPerEvent: { total: number; prefetch: number; afterConflict: number };
  /** Prefetched keys not found, per event: DynamoDB Local bills them nothing, AWS 0.5 RCU each. */
  prefetchMissingKeysPerEvent: number;
  tileConflictsPerEvent: number;
  itemBytes: Record<string, ItemSizes>;
  packing: Packing;
  usdPerMillionEvents: number;
  eventsPerSecondPerShard: number;
  /** The writer's cost per batch and its model (writer-batches.ts). */
  writer: WriterFigures;
  wallSeconds: { load: number; warm: number; measured: number };
  target: { writeUnitsPerEvent: number };
}

/**
 * The spec the loading pass runs: without the id ledger's puts (its items would not outlive the horizon), so without
 * the id field under the global rule; under `event.dedupeScope` the spec itself (its claims cost no put of their own).
 */
function withoutIdLedger(specJson: string): CompiledSpec {
  const json = JSON.parse(specJson) as { event: Record<string, unknown> };
  if (json.event.dedupeScope !== undefined) return compileSpec(parseSpecJson(specJson));
  delete json.event.idField;
  delete json.event.dedupeHorizon;
  return compileSpec(parseSpecJson(JSON.stringify(json)));
}

async function applyRounds(
  stores: ReadonlyMap<string, OnlineStore>,
  records: readonly InputRecord[],
  batchSize: number,
): Promise<number> {
  let counted = 0;
  for (const round of shardBatches(records, batchSize)) {
    const results = await Promise.all(
      round.map((batch) => (stores.get((batch[0] as InputRecord).shardId) as OnlineStore).applyBatch(batch)),
    );
    for (const result of results) {
      if (result.retryFrom.length > 0)
        throw new Error(`applyBatch left records to retry: ${String(result.errors[0])}`);
      counted += result.counted.length;
    }
  }
  return counted;
}

/** Records by the day of the week their arrival falls in, in order. */
function byDay(records: readonly InputRecord[], startMs: number): InputRecord[][] {
  const days: InputRecord[][] = [];
  for (const record of records) {
    const day = Math.floor((record.arrivalMs - startMs) / DAY_MS);
    const list = days[day] ?? [];
    list.push(record);
    days[day] = list;
  }
  return days.filter((day) => day !== undefined);
}

/**
 * `tally` and `latencies` are the client's counting and timing middleware (ddb-calls.ts, call-latency.ts), installed
 * by the caller before the client's first call: the product's client resolves its middleware once (cacheMiddleware).
 */
export async function measureSteadyState(
  client: DynamoDBClient,
  tally: { current: CallTally },
  latencies: { current: number[] | undefined },
  specJson: string,
  options: SteadyStateOptions,
  progress: (message: string) => void,
): Promise<SteadyStateResult> {
  const spec = compileSpec(parseSpecJson(specJson));
  const loadSpec = withoutIdLedger(specJson);
  // The week ends about now (the table expires items by TTL against the clock), on the hour.
  const endMs = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
  const startMs = endMs - options.days * DAY_MS;
  const events = options.eventsPerDay * options.days;
  progress(`steady state: generating ${events} events over ${options.days} days on ${options.shards} shards`);
  const traffic = generateFraudTraffic({
    events,
    seed: options.seed ?? 17,
    startMs,
    eventsPerSecond: options.eventsPerDay / 86_400,
    cards: options.cards,
    merchants: options.merchants,
  });
  const records = onShards(traffic.records, options.shards);
  const measuredFrom = endMs - DAY_MS;
  const warmFrom = measuredFrom - options.warmHours * HOUR_MS;
  const load = records.filter((r) => r.arrivalMs < warmFrom);
  const warm = records.filter((r) => r.arrivalMs >= warmFrom && r.arrivalMs < measuredFrom);
  const measured = records.filter((r) => r.arrivalMs >= measuredFrom);

  const tableName = await createOnlineStoreTable(client, `bench-steady-${Date.now().toString(36)}`);
  const shardIds = [...new Set(records.map((r) => r.shardId))];
  const loaders = new Map(shardIds.map((id) => [id, new OnlineStore({ client, tableName, spec: loadSpec })]));
  const writers = new Map(
    shardIds.map((id): [string, ShardWriter] => {
      const calls = new WriterCalls(client);
      return [id, { calls, store: new OnlineStore({ client: calls.asClient(), tableName, spec }) }];
    }),
  );
  const stores = new Map([...writers].map(([id, writer]) => [id, writer.store]));

  tally.current = new CallTally();
  progress(
    `steady state: loading ${load.length} records (days 1-${options.days - 1}) a day at a time, in batches of up to ${options.loadBatchSize}`,
  );
  let t = performance.now();
  for (const day of byDay(load, startMs)) await applyRounds(loaders, day, options.loadBatchSize);
  const loadSeconds = (performance.now() - t) / 1000;
  progress(`steady state: warming caches on ${warm.length} records, batches of ${options.batchSize}`);
  t = performance.now();
  await applyRounds(stores, warm, options.batchSize);
  const warmSeconds = (performance.now() - t) / 1000;

  const calls = new CallTally();
  tally.current = calls;
  progress(
    `steady state: measuring day ${options.days}: ${measured.length} records, batches of ${options.batchSize}`,
  );
  t = performance.now();
  const day = await measureWriterDay(writers, measured, options.batchSize, latencies);
  const counted = day.counted;
  const measuredSeconds = (performance.now() - t) / 1000;
  tally.current = new CallTally();

  const { itemBytes: sizes, packing } = await itemSizesByEntity(client, tableName);
  const per = (n: number) => n / counted;
  const missing = calls.batchGetKeys - calls.batchGetFound;
  const refused = calls.tileRefusedUnits;
  const writes = {
    total: per(calls.ledgerUnits + calls.tileUnits),
    tiles: per(calls.tileUnits - refused),
    ledger: per(calls.ledgerUnits),
    refused: per(refused),
  };
  const reads = {
    total: per(calls.batchGetUnits + missing * 0.5 + calls.getUnits),
    prefetch: per(calls.batchGetUnits + missing * 0.5),
    afterConflict: per(calls.getUnits),
  };
  const perEntity = (byEntity: Record<string, number>) =>
    Object.fromEntries(Object.entries(byEntity).map(([entity, n]) => [entity, per(n)]));
  return {
    date: new Date().toISOString(),
    world: {
      cards: options.cards,
      merchants: options.merchants,
      eventsPerDay: options.eventsPerDay,
      days: options.days,
      shards: shardIds.length,
      batchSize: options.batchSize,
      measuredRecords: measured.length,
      measuredEvents: counted,
    },
    prices: PRICES,
    writeUnitsPerEvent: writes,
    tileWriteUnitsPerEventByEntity: perEntity(calls.tileUnitsByEntity),
    tilePutsPerEventByEntity: perEntity(calls.tilePutsByEntity),
    tileOwnSizeWriteUnitsPerEventByEntity: perEntity(calls.tileOwnSizeUnitsByEntity),
    readUnitsPerEvent: reads,
    prefetchMissingKeysPerEvent: per(missing),
    tileConflictsPerEvent: per(calls.tileConflicts),
    itemBytes: sizes,
    packing,
    usdPerMillionEvents:
      1e6 * (writes.total * PRICES.writeRequestUnitUsd + reads.total * PRICES.readRequestUnitUsd),
    eventsPerSecondPerShard: day.eventsPerSecondPerShard,
    writer: day.writer,
    wallSeconds: { load: loadSeconds, warm: warmSeconds, measured: measuredSeconds },
    target: { writeUnitsPerEvent: TARGET_WRITE_UNITS_PER_EVENT },
  };
}

/** Writes the per-event figures where capacity planning reads them. */
export function writeSteadyStateFile(result: SteadyStateResult): string {
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const file = new URL('./steady-state.json', dir);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return 'bench/results/steady-state.json';
}
