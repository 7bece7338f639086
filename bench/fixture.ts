/**
 * The benchmark's input: the fraud example's spec and its synthetic stream, put on shards the way Kinesis does,
 * and the same records as a Lambda receives them (payload base64-encoded inside the Kinesis event).
 */
import { readFileSync } from 'node:fs';
import { onShards } from '../cli/simulated-stream.js';
import { type CompiledSpec, compileSpec, type InputRecord, parseSpecJson } from '../core/index.js';
import {
  DEFAULT_TRAFFIC_OPTIONS,
  type FraudLabel,
  generateFraudTraffic,
} from '../examples/fraud/generate.js';

/** A Kinesis event record reduced to what the handler reads: the payload is still base64 text. */
export interface KinesisRecord {
  readonly data: string;
  readonly arrivalMs: number;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
}

export interface Fixture {
  readonly spec: CompiledSpec;
  /** The whole stream in arrival order, on `shards` shards. */
  readonly records: InputRecord[];
  /** One label per generated transaction, in time order. */
  readonly labels: FraudLabel[];
  readonly shards: number;
}

export function loadSpec(): CompiledSpec {
  return compileSpec(parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8')));
}

/** About `records` records (the generator adds ~2% anomalies to its base events), seeded, on `shards` shards. */
export function loadFixture(records: number, shards: number, seed = 7): Fixture {
  // Traffic of the last hours, on the hour: the online-store table expires items of older events (TTL).
  const events = Math.ceil(records / 1.02);
  const spanMs = (events / DEFAULT_TRAFFIC_OPTIONS.eventsPerSecond) * 1000;
  const startMs = Math.floor((Date.now() - spanMs) / 3_600_000) * 3_600_000 - 3_600_000;
  const traffic = generateFraudTraffic({ events, seed, startMs });
  return {
    spec: loadSpec(),
    records: onShards(traffic.records, shards).slice(0, records),
    labels: traffic.labels,
    shards,
  };
}

/** The records as Kinesis hands them to a Lambda: base64 payloads. */
export function toKinesis(records: readonly InputRecord[]): KinesisRecord[] {
  return records.map((r) => ({
    data: Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength).toString('base64'),
    arrivalMs: r.arrivalMs,
    shardId: r.shardId,
    sequenceNumber: r.sequenceNumber,
    partitionKey: r.partitionKey ?? '',
  }));
}

/** What the handler does first: base64-decode each payload into the engine's InputRecord. */
export function decodeRecords(batch: readonly KinesisRecord[]): InputRecord[] {
  const out = new Array<InputRecord>(batch.length);
  for (let i = 0; i < batch.length; i++) {
    const r = batch[i] as KinesisRecord;
    out[i] = {
      data: Buffer.from(r.data, 'base64'),
      arrivalMs: r.arrivalMs,
      shardId: r.shardId,
      sequenceNumber: r.sequenceNumber,
      partitionKey: r.partitionKey,
    };
  }
  return out;
}

/**
 * Splits records into per-shard batches of at most `size` (as the event-source mapping does), ordered round
 * robin over shards: shard 0's first batch, shard 1's first batch, shard 0's second ...
 */
export function shardBatches<T extends { shardId: string }>(records: readonly T[], size: number): T[][][] {
  const byShard = new Map<string, T[]>();
  for (const record of records) {
    const list = byShard.get(record.shardId) ?? [];
    list.push(record);
    byShard.set(record.shardId, list);
  }
  const rounds: T[][][] = [];
  for (const list of byShard.values()) {
    for (let b = 0; b * size < list.length; b++) {
      rounds[b] ??= [];
      (rounds[b] as T[][]).push(list.slice(b * size, (b + 1) * size));
    }
  }
  return rounds;
}

/** The batches of shardBatches, flattened into one sequence. */
export function batchSequence<T extends { shardId: string }>(records: readonly T[], size: number): T[][] {
  return shardBatches(records, size).flat();
}
