import type { S3Client } from '@aws-sdk/client-s3';
import {
  accountedTotals,
  DEFAULT_REORDER_WINDOW_MS,
  openEventSource,
} from '../adapters/archive/event-source.js';
import { ParquetTableWriter } from '../adapters/archive/parquet-table-writer.js';
import { specVersionMetadata } from '../adapters/archive/spec-version-metadata.js';
import { readLabelLookups, scanLabels, sortedLabelLookups } from '../adapters/files/labels.js';
import { loadSpecFile } from '../adapters/files/spec-file.js';
import {
  ArrivalSweep,
  compileSpec,
  type SpecVersion,
  specVersionOf,
  type Totals,
  trainingRowsInto,
} from '../core/index.js';
import { type CliIO, describeCounts } from './io.js';

export interface TrainingSetOptions {
  readonly spec: string;
  /** The raw archive (Parquet file, directory, s3://bucket/prefix) or JSON Lines events. */
  readonly archive: string;
  readonly labels: string;
  readonly out: string;
  readonly labelField?: string | undefined;
  readonly entities?: readonly string[] | undefined;
  readonly arrivalField?: string | undefined;
  readonly reorderWindowMs?: number | undefined;
  /** The S3 client for an `s3://` archive. @default the default chain */
  readonly s3?: (() => S3Client) | undefined;
}

export interface TrainingSetSummary {
  readonly rows: number;
  readonly columns: number;
  readonly totals: Totals;
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly peakHeapMiB: number;
  /** The spec version the features were computed under, with the fingerprints of the set's feature columns. */
  readonly specVersion: SpecVersion;
}

/** How often the progress line is redrawn (a log gets one line each time). */
const PROGRESS_EVERY_MS = 2_000;

/**
 * `streamfeatures training-set`: one row per label with every feature of its entities as of the label's time,
 * from a replay of the archive through the engine. Streams the archive, the labels and the output; memory holds
 * the engine's state (the live tiles of every key and the ids of the dedupe horizon), one reorder window of
 * records and one row group of output; labels not in time order are sorted in memory first.
 */
export async function trainingSetCommand(options: TrainingSetOptions, io: CliIO): Promise<number> {
  const summary = await buildTrainingSet(options, io);
  io.err(
    `wrote ${summary.rows} rows (${summary.columns} columns) to ${options.out} in ${summary.seconds.toFixed(1)} s; ` +
      `${summary.events} events: ${describeCounts(summary.totals)}; peak heap ${summary.peakHeapMiB} MiB\n` +
      `spec hash ${summary.specVersion.hash}; feature fingerprints ` +
      `${Object.entries(summary.specVersion.fingerprints)
        .map(([name, fingerprint]) => `${name}=${fingerprint}`)
        .join(', ')}\n`,
  );
  return 0;
}

/** Builds the training set; progress on `io.err`. */
export async function buildTrainingSet(options: TrainingSetOptions, io: CliIO): Promise<TrainingSetSummary> {
  const started = performance.now();
  const spec = compileSpec(await loadSpecFile(options.spec));
  const scan = await scanLabels(spec, options.labels, {
    ...(options.labelField ? { labelField: options.labelField } : {}),
    ...(options.entities ? { entities: options.entities } : {}),
  });
  const { plan } = scan;
  io.err(
    `labels: ${scan.count} in ${options.labels}, entities ${plan.entities.map((e) => e.name).join(', ')}` +
      `${scan.inTimeOrder ? '' : ' (not in time order: sorted in memory)'}\n`,
  );
  const lookups = scan.inTimeOrder
    ? readLabelLookups(spec, plan, options.labels)
    : await sortedLabelLookups(spec, plan, options.labels);

  const reorderWindowMs = options.reorderWindowMs ?? DEFAULT_REORDER_WINDOW_MS;
  let lastReport = performance.now();
  let filesDone = 0;
  // Called once the replay runs (after everything below is set up).
  const reportEvery = () => {
    if (performance.now() - lastReport < PROGRESS_EVERY_MS) return;
    report(false);
    lastReport = performance.now();
  };
  const source = await openEventSource(spec, options.archive, {
    arrivalField: options.arrivalField,
    reorderWindowMs: options.reorderWindowMs,
    s3: options.s3,
    // Between labels far apart, the replay reads on without producing rows: progress comes from the reading too.
    onProgress: (p) => {
      filesDone = p.filesDone;
      reportEvery();
    },
  });
  io.err(
    `archive: ${source.description}` +
      `${source.files.length > 0 ? `, reorder window ${reorderWindowMs / 1000} s` : ''}\n`,
  );

  // The output is made only once the inputs have opened without error, and appears only when complete.
  const sweep = new ArrivalSweep(spec);
  // The features' spec version goes in the file's metadata, for `train` to record in the model.
  const version = specVersionOf(spec);
  const featureColumns = plan.entities.flatMap((entity) =>
    entity.features.map(({ feature }) => feature.name),
  );
  const specVersion = { hash: version.hash, fingerprints: pick(version.fingerprints, featureColumns) };
  const writer = new ParquetTableWriter(
    options.out,
    plan.columns,
    specVersionMetadata(specVersion, featureColumns),
  );
  const memory = new PeakMemory();
  const report = (final: boolean) => {
    const seconds = (performance.now() - started) / 1000;
    const files = source.files.length > 0 ? `, file ${filesDone}/${source.files.length}` : '';
    const line =
      `  ${sweep.ingested} events replayed${files}, ${writer.rows}/${scan.count} rows, ` +
      `${Math.round(sweep.ingested / Math.max(seconds, 1e-3))} events/s, heap ${memory.sample()} MiB`;
    io.err(io.interactive ? `\r${line}${final ? '\n' : ''}` : `${line}\n`);
  };
  try {
    // Each row goes into the writer's columns as it is read: no array per label, no batch of rows held.
    for await (const _ of trainingRowsInto(sweep, plan, source.chunks, lookups, (row) => writer.append(row)))
      reportEvery();
    writer.close();
  } catch (error) {
    // Nothing half-written: an earlier output at the path stays as it was.
    writer.abort();
    throw error;
  }
  report(true);

  const { totals, events } = accountedTotals(source, sweep.totals);
  const seconds = (performance.now() - started) / 1000;
  return {
    rows: writer.rows,
    columns: plan.columns.length,
    totals,
    events,
    seconds,
    eventsPerSecond: events / Math.max(seconds, 1e-3),
    peakHeapMiB: memory.peak,
    specVersion,
  };
}

function pick(
  fingerprints: Readonly<Record<string, string>>,
  names: readonly string[],
): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) {
    const fingerprint = fingerprints[name];
    if (fingerprint !== undefined) picked[name] = fingerprint;
  }
  return picked;
}

/** The largest heap seen at the samples taken: what bounded memory means, measured. */
class PeakMemory {
  peak = 0;
  sample(): number {
    const mib = Math.round(process.memoryUsage().heapUsed / 1048576);
    if (mib > this.peak) this.peak = mib;
    return mib;
  }
}
