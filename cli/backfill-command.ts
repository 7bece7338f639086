import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { openEventSource } from '../adapters/archive/event-source.js';
import { createDynamoDbClient } from '../adapters/dynamodb-client.js';
import { loadSpecFile } from '../adapters/files/spec-file.js';
import { OnlineStore } from '../adapters/online-store/online-store.js';
import {
  CleanPass,
  type CompiledSpec,
  compareSequenceNumbers,
  compileSpec,
  isRejection,
  type ValidEvent,
} from '../core/index.js';
import { CliError, type CliIO } from './io.js';

/** Events written per round: one store call, its items in parallel, then the checkpoint. */
const CHUNK_EVENTS = 2_000;
const PROGRESS_EVERY_MS = 2_000;

export interface BackfillOptions {
  readonly spec: string;
  /** The raw archive: a Parquet file, a directory of them, or s3://bucket/prefix. */
  readonly archive: string;
  readonly table: string;
  /** Features to backfill. @default every feature of the spec */
  readonly features?: readonly string[] | undefined;
  /**
   * Events that arrived before this are decided (dedupe needs them) but not written.
   * @default now minus the longest window of the features, lateness and skew: older events are in no window now
   */
  readonly from?: number | undefined;
  /** Where progress is kept, to resume after a stop. @default backfill-<table>.checkpoint.json */
  readonly checkpoint?: string | undefined;
  readonly reorderWindowMs?: number | undefined;
  readonly now?: number | undefined;
  readonly clients?: { readonly dynamodb: DynamoDBClient; readonly s3: () => S3Client } | undefined;
}

export interface BackfillReport {
  readonly features: string[];
  readonly from: number;
  /** Archive records read, and of them the events a clean pass counts. */
  readonly records: number;
  readonly counted: number;
  /** Counted events at or after `from` handed to the store (skipped: written before a resume). */
  readonly written: number;
  readonly skipped: number;
  readonly itemsChanged: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
}

interface Checkpoint {
  readonly job: string;
  /** Counted events (in the archive's arrival order) whose writes have all finished. */
  readonly done: number;
  readonly at: string;
}

/**
 * `streamfeatures backfill`: replays the raw archive through one clean pass of the spec and writes the named
 * features' partials into the online store, while live traffic keeps writing the same items. Each item takes a
 * record into a feature only where live traffic did not count it there and no backfill did before (see the README,
 * "Changing the spec"), so a stop, a rerun or a resume from the checkpoint counts nothing twice.
 */
export async function backfillCommand(options: BackfillOptions, io: CliIO): Promise<number> {
  const report = await runBackfill(options, io);
  io.out(
    `backfill: ${report.features.join(', ')}: ${report.records} archive records, ${report.counted} counted; ` +
      `${report.written} events written from ${new Date(report.from).toISOString()} ` +
      `(${report.skipped} done before a resume), ${report.itemsChanged} item writes, ` +
      `${report.seconds.toFixed(1)} s, ${Math.round(report.eventsPerSecond)} events/s\n`,
  );
  return 0;
}

export async function runBackfill(options: BackfillOptions, io: CliIO): Promise<BackfillReport> {
  const started = performance.now();
  const spec = compileSpec(await loadSpecFile(options.spec));
  const features = selectedFeatures(spec, options.features);
  const now = options.now ?? Date.now();
  const from = options.from ?? now - longestReach(spec, features);
  const checkpointPath = options.checkpoint ?? `backfill-${options.table}.checkpoint.json`;
  const job = jobId(spec, features, options.archive, options.table);
  const resumeAt = readCheckpoint(checkpointPath, job);
  const store = new OnlineStore({
    client: options.clients?.dynamodb ?? createDynamoDbClient(),
    tableName: options.table,
    spec,
  });
  const source = await openEventSource(spec, options.archive, {
    reorderWindowMs: options.reorderWindowMs,
    s3: options.clients?.s3,
  });
  io.err(
    `backfill: ${features.join(', ')} from ${source.description}, events from ${new Date(from).toISOString()}` +
      `${resumeAt > 0 ? `, resuming after ${resumeAt} events (${checkpointPath})` : ''}\n`,
  );

  const pass = new CleanPass(spec);
  const lastSequence = new Map<string, string>();
  let records = 0;
  let counted = 0;
  let written = 0;
  let skipped = 0;
  let itemsChanged = 0;
  let pending: ValidEvent[] = [];
  let lastProgress = performance.now();
  const flush = async () => {
    if (pending.length === 0) return;
    const { changed } = await store.backfill(pending, features);
    itemsChanged += changed;
    written += pending.length;
    pending = [];
    writeCheckpoint(checkpointPath, { job, done: counted, at: new Date().toISOString() });
    if (performance.now() - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = performance.now();
      const seconds = (lastProgress - started) / 1000;
      io.err(
        `  ${records} records read, ${written} events written, ${Math.round(written / seconds)} events/s\n`,
      );
    }
  };

  for await (const chunk of source.chunks) {
    for (const record of chunk) {
      records++;
      const decided = pass.decide(record);
      // A redelivered copy (a retried batch, archived again) repeats a record already taken, with the same arrival
      // time: in arrival order it can follow later records of its shard that share that time. It is set aside.
      if (isRejection(decided) && decided.rule === 'redelivered') continue;
      // The per-item marks need each shard's records in sequence order; Kinesis gives arrival times in that order.
      const previous = lastSequence.get(record.shardId);
      if (previous !== undefined && compareSequenceNumbers(record.sequenceNumber, previous) < 0) {
        throw new CliError(
          `archive record ${record.shardId}/${record.sequenceNumber} comes after ${previous} of its shard: ` +
            'a backfill needs each shard in sequence order',
        );
      }
      lastSequence.set(record.shardId, record.sequenceNumber);
      if (isRejection(decided)) continue;
      counted++;
      if (decided.alpha < from) continue;
      if (counted <= resumeAt) {
        skipped++;
        continue;
      }
      pending.push(decided);
      if (pending.length >= CHUNK_EVENTS) await flush();
    }
    pass.prune(chunk[chunk.length - 1]?.arrivalMs ?? Number.NEGATIVE_INFINITY);
  }
  await flush();
  writeCheckpoint(checkpointPath, { job, done: counted, at: new Date().toISOString() });
  const seconds = (performance.now() - started) / 1000;
  return {
    features,
    from,
    records,
    counted,
    written,
    skipped,
    itemsChanged,
    seconds,
    eventsPerSecond: written / Math.max(seconds, 1e-9),
  };
}

function selectedFeatures(spec: CompiledSpec, names: readonly string[] | undefined): string[] {
  const all = spec.spec.features.map((f) => f.name);
  if (names === undefined || names.length === 0) return all;
  const unknown = names.filter((name) => !all.includes(name));
  if (unknown.length > 0) {
    throw new CliError(
      `--features names ${unknown.map((n) => `"${n}"`).join(', ')}, not in the spec (it has: ${all.join(', ')})`,
      2,
    );
  }
  return [...new Set(names)];
}

/** How far back an event can still be in one of these features' windows now: the window, a tile, lateness, skew. */
function longestReach(spec: CompiledSpec, names: readonly string[]): number {
  const chosen = spec.entities
    .flatMap((e) => e.features.map((f) => f.feature))
    .filter((f) => names.includes(f.name));
  const window = Math.max(0, ...chosen.map((f) => f.windowMs + f.tileMs));
  return window + spec.allowedLatenessMs + spec.maxFutureSkewMs;
}

/**
 * What a checkpoint belongs to: the same spec, features, archive and table, or it is not resumed. (It counts
 * events in the archive's order, whatever `from` is, so a resume may move `from`.)
 */
function jobId(spec: CompiledSpec, features: readonly string[], archive: string, table: string) {
  return createHash('sha256')
    .update(JSON.stringify([spec.spec, [...features].sort(), archive, table]))
    .digest('hex')
    .slice(0, 16);
}

function readCheckpoint(path: string, job: string): number {
  if (!existsSync(path)) return 0;
  let checkpoint: Checkpoint;
  try {
    checkpoint = JSON.parse(readFileSync(path, 'utf8')) as Checkpoint;
  } catch (error) {
    throw new CliError(
      `${path}: not a backfill checkpoint (${(error as Error).message}); remove it to start over`,
    );
  }
  if (checkpoint.job !== job) {
    throw new CliError(
      `${path} is the checkpoint of another backfill (other spec, features, archive or table): ` +
        'remove it to start over, or pass --checkpoint with another file',
    );
  }
  return checkpoint.done;
}

/** Written whole or not at all: a stop mid-write leaves the previous checkpoint. */
function writeCheckpoint(path: string, checkpoint: Checkpoint): void {
  writeFileSync(`${path}.tmp`, `${JSON.stringify(checkpoint)}\n`);
  renameSync(`${path}.tmp`, path);
}
