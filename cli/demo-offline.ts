import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { readRegistryModel } from '../adapters/model/model-registry.js';
import type { FraudLabel } from '../examples/fraud/generate.js';
import { labelLinesText } from '../examples/fraud/generate.js';
import type { CliIO } from './io.js';
import { measureParity, type ParityReport } from './parity-command.js';
import { readTrainingSet } from './train-command.js';
import { buildTrainingSet, type TrainingSetSummary } from './training-set-command.js';

/**
 * The demo's offline half: the training set built from the archive in S3, the served model's figures, and parity.
 * It does not train on its own training set: the demo puts 100 s of event time on Kinesis in a few seconds, so
 * at most labels' times (t = τ) nothing had arrived yet and their point-in-time features are empty, as the
 * semantics say they must be. The served model was trained by `npm run fraud:model` on 200K events.
 */
export interface OfflineDemo {
  readonly archive: string;
  readonly trainingSet: TrainingSetSummary;
  /** Training-set rows with any history: a count feature above 0. */
  readonly rowsWithHistory: number;
  /** The model(s) that answered the scoring requests, with the holdout figures recorded when they were trained. */
  readonly served: readonly { version: string; rocAuc?: number; prAuc?: number; description?: string }[];
  readonly parity: ParityReport;
}

export interface OfflineDemoOptions {
  readonly spec: string;
  readonly bucket: string;
  readonly table: string;
  readonly labels: readonly FraudLabel[];
  readonly servedVersions: readonly string[];
  /** Parity compares feature-log lines logged from this time on (the scoring sample after the stream drained). */
  readonly loggedSince?: number;
  readonly registry: string;
  readonly scratch: string;
  readonly clients: { readonly dynamodb: DynamoDBClient; readonly s3: S3Client };
}

export async function runOfflineDemo(options: OfflineDemoOptions, io: CliIO): Promise<OfflineDemo> {
  const archive = `s3://${options.bucket}/raw/`;
  const labels = join(options.scratch, 'labels.jsonl');
  writeFileSync(labels, labelLinesText(options.labels));
  const out = join(options.scratch, 'train.parquet');
  const s3 = () => options.clients.s3;
  io.err(`building the training set from ${archive}...\n`);
  const trainingSet = await buildTrainingSet({ spec: options.spec, archive, labels, out, s3 }, io);

  const columns = await readTrainingSet(out, 'label');
  const counts = columns.numeric.get('card_txn_count_1h');
  let rowsWithHistory = 0;
  for (let i = 0; i < (counts?.length ?? 0); i++)
    if (((counts as ArrayLike<number | null>)[i] ?? 0) > 0) rowsWithHistory++;

  const served = options.servedVersions.map((version) => {
    try {
      const document = readRegistryModel(options.registry, version);
      return {
        version,
        ...(document.metrics ? { rocAuc: document.metrics.rocAuc, prAuc: document.metrics.prAuc } : {}),
        ...(document.description ? { description: document.description } : {}),
      };
    } catch {
      return { version };
    }
  });

  io.err('checking parity: online store and feature log against a replay of the archive...\n');
  const parity = await measureParity(
    {
      spec: options.spec,
      archive,
      table: options.table,
      featureLog: `s3://${options.bucket}/features/`,
      models: options.registry,
      sample: 200,
      at: Date.now(),
      loggedSince: options.loggedSince,
      clients: { dynamodb: options.clients.dynamodb, s3 },
    },
    io,
  );
  return { archive, trainingSet, rowsWithHistory, served, parity };
}

/** The report's lines for the offline half. */
export function offlineReport(demo: OfflineDemo): string[] {
  const { trainingSet: ts, parity } = demo;
  const lines = [
    `  training set       ${ts.rows} rows from ${demo.archive} (${ts.events} events replayed in ${ts.seconds.toFixed(1)} s, ${Math.round(ts.eventsPerSecond)} events/s, peak heap ${ts.peakHeapMiB} MiB); ` +
      `${demo.rowsWithHistory} rows have card history as of their time (the demo puts its traffic in a few seconds, so most labels precede every arrival)`,
  ];
  for (const model of demo.served) {
    const figures =
      model.rocAuc === undefined
        ? model.description?.startsWith('PLACEHOLDER')
          ? 'an untrained placeholder'
          : 'no recorded metrics'
        : `holdout ROC AUC ${model.rocAuc.toFixed(3)}, PR AUC ${(model.prAuc ?? Number.NaN).toFixed(3)} when trained (npm run fraud:model)`;
    lines.push(`  model              ${model.version} answered the scoring requests: ${figures}`);
  }
  const online = parity.online;
  const logged = parity.logged;
  lines.push(
    `  parity             ${parity.skew ? 'SKEW' : 'no skew'}: online store ${online?.vectors ?? 0} keys (${online?.mismatches ?? 0} values differ), ` +
      `feature log ${logged?.vectors ?? 0} vectors (${logged?.mismatches ?? 0} differ), ` +
      `${logged?.scores.rescored ?? 0} scores recomputed (${logged?.scores.mismatched ?? 0} differ), against the replay`,
  );
  return lines;
}
