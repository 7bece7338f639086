/**
 * The demo trains on its own data: the training set built from the raw archive in the local S3 (the generated
 * history, before any live traffic) and the history's delayed labels known by now, then `train` into a scratch copy
 * of the model registry, so the new version can be deployed beside the shipped champion.
 */
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { readRegistryModel } from '../adapters/model/model-registry.js';
import type { CliIO } from './io.js';
import { readTrainingSet, trainCommand } from './train-command.js';
import { buildTrainingSet, type TrainingSetSummary } from './training-set-command.js';

export interface DemoTraining {
  readonly archive: string;
  readonly trainingSet: TrainingSetSummary;
  /** Rows whose card had an earlier transaction (arrived before the row's time) within 24 hours, and within 1 hour. */
  readonly rowsWithDayHistory: number;
  readonly rowsWithHourHistory: number;
  readonly version: string;
  readonly holdout: { readonly rocAuc: number; readonly prAuc: number } | undefined;
  readonly registry: string;
  readonly seconds: number;
}

export interface DemoTrainingOptions {
  readonly spec: string;
  readonly bucket: string;
  /** The history's labels known by now (JSON Lines, a copy of the ones in the bucket). */
  readonly labels: string;
  /** The shipped registry, copied into `scratch` with the new version added. */
  readonly registry: string;
  readonly scratch: string;
  readonly s3: () => S3Client;
}

export async function trainOnHistory(options: DemoTrainingOptions, io: CliIO): Promise<DemoTraining> {
  const started = performance.now();
  const archive = `s3://${options.bucket}/raw/`;
  const out = join(options.scratch, 'history-training.parquet');
  io.err(`building the training set from ${archive} and the history's labels...\n`);
  const trainingSet = await buildTrainingSet(
    { spec: options.spec, archive, labels: options.labels, out, s3: options.s3 },
    io,
  );

  const columns = await readTrainingSet(out, 'label');
  const count = (name: string, has: (value: number | null) => boolean) => {
    const values = (columns.numeric.get(name) ?? []) as ArrayLike<number | null>;
    let n = 0;
    for (let i = 0; i < values.length; i++) if (has(values[i] ?? null)) n++;
    return n;
  };
  // A max over a window is null exactly when the window held no earlier event of the card.
  const rowsWithDayHistory = count('card_amount_max_24h', (v) => v !== null);
  const rowsWithHourHistory = count('card_txn_count_1h', (v) => (v ?? 0) > 0);

  const registry = join(options.scratch, 'models');
  cpSync(options.registry, registry, { recursive: true });
  const before = new Set(readdirSync(registry));
  const quiet: CliIO = { out: () => {}, err: (text) => io.err(text) };
  await trainCommand({ trainingSet: out, outDir: registry }, quiet);
  const added = readdirSync(registry).find((file) => !before.has(file) && file.endsWith('.json'));
  if (added === undefined) throw new Error(`train added no model to ${registry}`);
  const version = added.replace(/\.json$/, '');
  const metrics = readRegistryModel(registry, version).metrics;
  return {
    archive,
    trainingSet,
    rowsWithDayHistory,
    rowsWithHourHistory,
    version,
    holdout: metrics ? { rocAuc: metrics.rocAuc, prAuc: metrics.prAuc } : undefined,
    registry,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The report's lines for the history's training. */
export function trainingReport(training: DemoTraining): string[] {
  const ts = training.trainingSet;
  const pct = (n: number) => `${((100 * n) / Math.max(1, ts.rows)).toFixed(0)}%`;
  return [
    `  training set       ${ts.rows} rows from ${training.archive} (history: ${ts.events} events replayed in ${ts.seconds.toFixed(1)} s, ${Math.round(ts.eventsPerSecond)} events/s, peak heap ${ts.peakHeapMiB} MiB); ` +
      `${training.rowsWithDayHistory} of ${ts.rows} rows (${pct(training.rowsWithDayHistory)}) have card history as of their time (an earlier transaction of the card within 24 h), ${training.rowsWithHourHistory} (${pct(training.rowsWithHourHistory)}) within 1 h`,
    `  trained            ${training.version} on the history${
      training.holdout
        ? `: holdout ROC AUC ${training.holdout.rocAuc.toFixed(3)}, PR AUC ${training.holdout.prAuc.toFixed(3)} (the last 20% by time)`
        : ''
    }; deployed as the shadow challenger`,
  ];
}
