/**
 * Online-store cost on DynamoDB Local: the capacity units OnlineStore.applyBatch consumes per 1000 stream
 * records, split into the id ledger (one conditional put per event, for exactly-once dedupe), tile-item
 * writes, and reads (prefetch of items not cached, re-reads after a lost race). Each shard gets its own
 * OnlineStore (as each shard gets its own Lambda instance, with its own item cache) and the shards' batches
 * are applied concurrently, round by round, so writers really do contend on shared items (merchants).
 * Beside it, the design floor: the distinct items each batch touches, i.e. the fewest item writes possible
 * when every item is written once per batch.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CapacityMeter } from '../adapters/online-store/capacity.js';
import { OnlineStore } from '../adapters/online-store/online-store.js';
import { createOnlineStoreTable } from '../adapters/online-store/table.js';
import { type CompiledSpec, classifyBatch, type InputRecord } from '../core/index.js';
import { CallTally } from './ddb-calls.js';
import { shardBatches } from './fixture.js';

export interface StoreCostRun {
  batchSize: number;
  shards: number;
  records: number;
  batches: number;
  /** Events that counted (valid, timely, first copy). */
  counted: number;
  writeUnits: number;
  readUnits: number;
  requests: number;
  ledgerWriteUnits: number;
  ledgerRefused: number;
  tileWriteUnits: number;
  tilePuts: number;
  tileConflicts: number;
  prefetchReadUnits: number;
  prefetchKeys: number;
  /** Prefetched keys not found (new items): free on DynamoDB Local, 0.5 RCU each on AWS. */
  prefetchMissingKeys: number;
  conflictReadUnits: number;
  /** Sum over batches of the distinct items the batch's valid events touch. */
  floorItemWrites: number;
  /** The same per entity, per 1000 records. */
  floorItemWritesPerThousandByEntity: Record<string, number>;
  /** Per 1000 records. `total` and `reads` are as DynamoDB Local reports; the `Aws` ones add the missed keys. */
  perThousand: {
    total: number;
    totalAws: number;
    readsAws: number;
    writes: number;
    reads: number;
    ledger: number;
    tiles: number;
    floorItemWrites: number;
  };
  /** Share of all units (reads and writes, misses billed as on AWS) spent on the id ledger. */
  ledgerShare: number;
  /** Tile write units per floor item write: 1 would be every item written once, under 1 KB. */
  tileUnitsPerFloorItem: number;
  /** Tile put calls per floor item write: above 1 only through retries after a conflict. */
  tilePutsPerFloorItem: number;
  wallMs: number;
}

/** The fewest item writes the design needs: per batch, one per distinct item key of its valid events. */
export function floorItemWrites(
  spec: CompiledSpec,
  batches: readonly (readonly InputRecord[])[],
): { total: number; byEntity: Record<string, number> } {
  const byEntity: Record<string, number> = Object.fromEntries(spec.entities.map((e) => [e.name, 0]));
  let total = 0;
  for (const batch of batches) {
    const keys = spec.entities.map(() => new Set<string>());
    for (const event of classifyBatch(spec, batch).events) {
      event.itemKeys.forEach((key, ei) => {
        keys[ei]?.add(key);
      });
    }
    spec.entities.forEach((entity, ei) => {
      const distinct = keys[ei]?.size ?? 0;
      byEntity[entity.name] = (byEntity[entity.name] ?? 0) + distinct;
      total += distinct;
    });
  }
  return { total, byEntity };
}

/** Applies `records` to a fresh table in per-shard batches of `batchSize`; returns the cost and the table. */
export async function measureStoreCost(
  client: DynamoDBClient,
  tally: { current: CallTally },
  spec: CompiledSpec,
  records: readonly InputRecord[],
  batchSize: number,
): Promise<{ run: StoreCostRun; tableName: string }> {
  const tableName = await createOnlineStoreTable(client, `bench-store-${batchSize}`);
  const meter = new CapacityMeter();
  const rounds = shardBatches(records, batchSize);
  const stores = new Map<string, OnlineStore>();
  for (const record of records) {
    if (!stores.has(record.shardId))
      stores.set(record.shardId, new OnlineStore({ client, tableName, spec, meter }));
  }
  const calls = new CallTally();
  tally.current = calls;
  let counted = 0;
  const started = performance.now();
  for (const round of rounds) {
    const results = await Promise.all(
      round.map((batch) => (stores.get((batch[0] as InputRecord).shardId) as OnlineStore).applyBatch(batch)),
    );
    for (const result of results) {
      if (result.retryFrom.length > 0) {
        throw new Error(`applyBatch left records to retry: ${String(result.errors[0])}`);
      }
      counted += result.counted.length;
    }
  }
  const wallMs = performance.now() - started;
  tally.current = new CallTally();

  const batches = rounds.flat();
  const floor = floorItemWrites(spec, batches);
  const perK = (n: number) => (n * 1000) / records.length;
  const missing = calls.batchGetKeys - calls.batchGetFound;
  const total = meter.writeUnits + meter.readUnits;
  const totalAws = total + missing * 0.5;
  return {
    tableName,
    run: {
      batchSize,
      shards: stores.size,
      records: records.length,
      batches: batches.length,
      counted,
      writeUnits: meter.writeUnits,
      readUnits: meter.readUnits,
      requests: meter.requests,
      ledgerWriteUnits: calls.ledgerUnits,
      ledgerRefused: calls.ledgerRefused,
      tileWriteUnits: calls.tileUnits,
      tilePuts: calls.tilePuts,
      tileConflicts: calls.tileConflicts,
      prefetchReadUnits: calls.batchGetUnits,
      prefetchKeys: calls.batchGetKeys,
      prefetchMissingKeys: missing,
      conflictReadUnits: calls.getUnits,
      floorItemWrites: floor.total,
      floorItemWritesPerThousandByEntity: Object.fromEntries(
        Object.entries(floor.byEntity).map(([entity, writes]) => [entity, perK(writes)]),
      ),
      perThousand: {
        total: perK(total),
        totalAws: perK(totalAws),
        readsAws: perK(meter.readUnits + missing * 0.5),
        writes: perK(meter.writeUnits),
        reads: perK(meter.readUnits),
        ledger: perK(calls.ledgerUnits),
        tiles: perK(calls.tileUnits),
        floorItemWrites: perK(floor.total),
      },
      ledgerShare: calls.ledgerUnits / totalAws,
      tileUnitsPerFloorItem: calls.tileUnits / floor.total,
      tilePutsPerFloorItem: calls.tilePuts / floor.total,
      wallMs,
    },
  };
}
