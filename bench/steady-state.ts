/**
 * Steady-state online-store cost: what the store costs a day into a week of traffic, not on the first minutes into
 * an empty table. A week of fraud event time (examples/fraud generator), compressed (run.ts sets the events a day
 * and a world smaller than the generator's default, so a card sees about as many transactions a day as a real one), on
 * four shards, one OnlineStore per shard (as Lambda runs one instance per shard) applying its shard's batches
 * concurrently with the others, against DynamoDB Local, every call counted by bench/ddb-calls.ts.
 *
 * How the week is run in minutes: days 1 to 6 less the last hours are applied by four stores in large
 * batches (one write per distinct item per batch) with the id ledger off (its items would not outlive the dedupe
 * horizon anyway; under `event.dedupeScope` the claims ride in the card items' puts, so the spec runs as it is); the last hours of day 6 then run in the function's own batch size to warm the stores' caches,
 * and day 7 in that batch size is measured. The table holds what a week of the store's own writes leaves: items
 * grown over their windows, expired ones gone.
 *
 * The figures it writes to bench/results/steady-state.json (read by capacity planning), all per counted event of
 * day 7 unless named otherwise:
 *   {
 *     "date": ISO time of the run, "world": { cards, merchants, eventsPerDay, shards, batchSize, measuredEvents },
 *     "prices": { "writeRequestUnitUsd": 0.625e-6, "readRequestUnitUsd": 0.125e-6, "note": "..." },
 *     "writeUnitsPerEvent": { "total", "tiles", "ledger", "refused" }   (refused: rejected conditional tile puts),
 *     "tileWriteUnitsPerEventByEntity": { "<entity>": units },          (accepted tile puts only)
 *     "tilePutsPerEventByEntity": { "<entity>": puts },
 *     "readUnitsPerEvent": { "total", "prefetch", "afterConflict" }      (keys not found billed at 0.5 as AWS does),
 *     "itemBytes": { "<entity>": { "items", "p50", "p90", "p99", "max" } } (every item of the table after day 7, as
 *                   stored: packed items by their binary's bytes),
 *     "packing": { "packedShareByEntity", "packMicrosPerItem", "unpackMicrosPerItem" } (packed items: tile-item.ts),
 *     "usdPerMillionEvents": dollars of DynamoDB on-demand per million events,
 *     "eventsPerSecondPerShard": records a shard's writer applied per second of wall time on DynamoDB Local,
 *     "target": { "writeUnitsPerEvent": 2 }
 *   }
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ID_PREFIX } from '../adapters/online-store/id-ledger.js';
import { itemBytes } from '../adapters/online-store/item-bytes.js';
import { packPayload, unpackPayload } from '../adapters/online-store/item-payload.js';
import { OnlineStore } from '../adapters/online-store/online-store.js';
import { createOnlineStoreTable } from '../adapters/online-store/table.js';
import { onShards } from '../cli/simulated-stream.js';
import { type CompiledSpec, compileSpec, type InputRecord, parseSpecJson } from '../core/index.js';
import { generateFraudTraffic } from '../examples/fraud/generate.js';
import { CallTally, entityOf } from './ddb-calls.js';
import { shardBatches } from './fixture.js';
import { percentile } from './stats.js';
import { int, num, renderTable, verdict } from './table.js';

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

export interface ItemSizes {
  items: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Packed items (tile-item.ts) after the run: their share per entity, and the CPU to pack and unpack one. */
export interface Packing {
  packedShareByEntity: Record<string, number>;
  packMicrosPerItem: number;
  unpackMicrosPerItem: number;
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
  readUnitsPerEvent: { total: number; prefetch: number; afterConflict: number };
  /** Prefetched keys not found, per event: DynamoDB Local bills them nothing, AWS 0.5 RCU each. */
  prefetchMissingKeysPerEvent: number;
  tileConflictsPerEvent: number;
  itemBytes: Record<string, ItemSizes>;
  packing: Packing;
  usdPerMillionEvents: number;
  eventsPerSecondPerShard: number;
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

export async function measureSteadyState(
  client: DynamoDBClient,
  tally: { current: CallTally },
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
  const stores = new Map(shardIds.map((id) => [id, new OnlineStore({ client, tableName, spec })]));

  tally.current = new CallTally();
  progress(
    `steady state: loading ${load.length} records (days 1-${options.days - 1}) in batches of ${options.loadBatchSize}`,
  );
  let t = performance.now();
  await applyRounds(loaders, load, options.loadBatchSize);
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
  const counted = await applyRounds(stores, measured, options.batchSize);
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
    readUnitsPerEvent: reads,
    prefetchMissingKeysPerEvent: per(missing),
    tileConflictsPerEvent: per(calls.tileConflicts),
    itemBytes: sizes,
    packing,
    usdPerMillionEvents:
      1e6 * (writes.total * PRICES.writeRequestUnitUsd + reads.total * PRICES.readRequestUnitUsd),
    eventsPerSecondPerShard: measured.length / shardIds.length / measuredSeconds,
    wallSeconds: { load: loadSeconds, warm: warmSeconds, measured: measuredSeconds },
    target: { writeUnitsPerEvent: TARGET_WRITE_UNITS_PER_EVENT },
  };
}

/**
 * Every item of the table (the id ledger apart): its size percentiles per entity, and how many are packed
 * (tile-item.ts), with the CPU one pack and one unpack of each packed item takes (timed here, after the run).
 */
async function itemSizesByEntity(
  client: DynamoDBClient,
  tableName: string,
): Promise<{ itemBytes: Record<string, ItemSizes>; packing: Packing }> {
  const sizes = new Map<string, number[]>();
  const packed: Record<string, number> = {};
  const payloads: { key: string; bytes: Uint8Array }[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      const pk = item.pk?.S ?? '';
      if (pk.startsWith(ID_PREFIX)) continue;
      const entity = entityOf(pk);
      const list = sizes.get(entity) ?? [];
      list.push(itemBytes(item));
      sizes.set(entity, list);
      if (item.z?.B) {
        packed[entity] = (packed[entity] ?? 0) + 1;
        payloads.push({ key: pk, bytes: item.z.B });
      }
    }
    start = page.LastEvaluatedKey;
  } while (start);
  // Best of five passes (the first warms the code up): CPU per item, not the machine's other load.
  const unpacked = payloads.map(({ key, bytes }) => unpackPayload(key, bytes));
  const fastest = (run: () => void) => {
    let best = Number.POSITIVE_INFINITY;
    for (let pass = 0; pass < 5; pass++) {
      const t = performance.now();
      run();
      best = Math.min(best, performance.now() - t);
    }
    return (best * 1000) / Math.max(1, payloads.length);
  };
  const unpackMicros = fastest(() => {
    for (const { key, bytes } of payloads) unpackPayload(key, bytes);
  });
  const packMicros = fastest(() => {
    for (const payload of unpacked) packPayload(payload);
  });
  const packing: Packing = {
    packedShareByEntity: Object.fromEntries(
      [...sizes].map(([entity, list]) => [entity, (packed[entity] ?? 0) / list.length]),
    ),
    packMicrosPerItem: packMicros,
    unpackMicrosPerItem: unpackMicros,
  };
  return { itemBytes: byEntity(sizes), packing };
}

function byEntity(sizes: ReadonlyMap<string, number[]>): Record<string, ItemSizes> {
  return Object.fromEntries(
    [...sizes].map(([entity, list]) => {
      return [
        entity,
        {
          items: list.length,
          p50: percentile(list, 50),
          p90: percentile(list, 90),
          p99: percentile(list, 99),
          max: Math.max(...list),
        },
      ];
    }),
  );
}

/** Writes the per-event figures where capacity planning reads them. */
export function writeSteadyStateFile(result: SteadyStateResult): string {
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const file = new URL('./steady-state.json', dir);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return 'bench/results/steady-state.json';
}

/** Section 6 of the report: the day-7 figures per event beside the target, and what they cost. */
export function renderSteadyState(
  result: SteadyStateResult,
  beside: { emptyTable?: { label: string; writes: number; reads: number }[]; naiveWritesPerEvent?: number },
): string[] {
  const { world, writeUnitsPerEvent: w, readUnitsPerEvent: r } = result;
  const rows: (string | number)[][] = [
    [
      `steady state, day ${world.days}`,
      num(w.total),
      num(w.tiles),
      num(w.ledger),
      num(w.refused),
      num(r.total),
      `$${num(result.usdPerMillionEvents)}`,
    ],
  ];
  for (const empty of beside.emptyTable ?? []) {
    rows.push([
      empty.label,
      num(empty.writes),
      '',
      '',
      '',
      num(empty.reads),
      `$${num(1e6 * (empty.writes * PRICES.writeRequestUnitUsd + empty.reads * PRICES.readRequestUnitUsd))}`,
    ]);
  }
  if (beside.naiveWritesPerEvent !== undefined) {
    const n = beside.naiveWritesPerEvent;
    rows.push([
      'naive writer (empty table)',
      num(n),
      '',
      '',
      '',
      '0.00',
      `$${num(1e6 * n * PRICES.writeRequestUnitUsd)}`,
    ]);
  }
  const sizes = Object.entries(result.itemBytes).map(([entity, s]) => [
    entity,
    int(s.items),
    int(s.p50),
    int(s.p90),
    int(s.p99),
    int(s.max),
    `${Math.round(100 * (result.packing.packedShareByEntity[entity] ?? 0))}%`,
    num(result.tilePutsPerEventByEntity[entity] ?? 0),
    num(result.tileWriteUnitsPerEventByEntity[entity] ?? 0),
  ]);
  return [
    `6. Steady-state online-store cost: day ${world.days} of a week of fraud traffic (${int(world.eventsPerDay)} events a day, ` +
      `${int(world.cards)} cards, ${int(world.merchants)} merchants) on ${world.shards} shards, one OnlineStore per shard ` +
      `writing concurrently, batches of ${world.batchSize}; ${int(world.measuredEvents)} events counted on day ${world.days}`,
    renderTable(
      [
        'per counted event',
        'write units',
        'tiles',
        'id ledger',
        'refused puts',
        'read units',
        'per 1M events',
      ],
      rows,
    ),
    `  prices: ${PRICES.note}; read units bill keys not found at 0.5 RCU as AWS does. Empty-table rows are per record.`,
    `  reads: prefetch ${num(r.prefetch)}, re-read after a refused put ${num(r.afterConflict)}; refused tile puts ` +
      `${num(result.tileConflictsPerEvent)} an event. Writers applied ${int(result.eventsPerSecondPerShard)} records/s a shard (DynamoDB Local).`,
    '  Items after the week, bytes as DynamoDB sizes them, and day-7 tile puts and write units per event by entity:',
    renderTable(
      ['entity', 'items', 'p50 B', 'p90 B', 'p99 B', 'max B', 'packed', 'puts/event', 'WCU/event'],
      sizes,
    ),
    `  packing (items over 1 KB plain, raw DEFLATE): ${num(result.packing.packMicrosPerItem)} µs to pack and ` +
      `${num(result.packing.unpackMicrosPerItem)} µs to unpack a packed item (best of five passes, this machine): a put of a packed item packs it once, and unpacks it once when it was read rather than cached.`,
    `  target: <= ${result.target.writeUnitsPerEvent} write units per event: ${verdict(w.total <= result.target.writeUnitsPerEvent)}`,
  ];
}
