import { basename, join } from 'node:path';
// hyparquet's Node entry: its browser one lacks asyncBufferFromFile.
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead } from 'hyparquet';
import { readSpecVersionMetadata } from '../adapters/archive/spec-version-metadata.js';
import { writeFileAtomic } from '../adapters/files/atomic-file.js';
import { checkModelName, DEFAULT_MODEL_NAME } from '../adapters/model/model-version.js';
import {
  LIBRARY,
  type TrainedModel,
  TrainingError,
  type TrainingSetColumns,
  trainModel,
} from '../adapters/model/training.js';
import { trainingDistributions } from '../adapters/model/training-distributions.js';
import { parseFlags, usageError } from './flags.js';
import { CliError, type CliIO } from './io.js';

export interface TrainOptions {
  /** The training set: Parquet, as `streamfeatures training-set` writes it. */
  trainingSet: string;
  /** The model registry: the model is written to `<outDir>/<version>.json`. */
  outDir: string;
  /** Default `fraud-lr`. */
  name?: string;
  /** Default 0.2. */
  holdoutFraction?: number;
  /** Default: every numeric feature column. */
  features?: string[];
  /** The label column. Default `label`. */
  label?: string;
  /** Fewer positives than this in the holdout: refuse, its AUCs would mean little. Default 10. */
  minHoldoutPositives?: number;
}

/**
 * The fewest holdout positives whose ROC and PR AUC say something: with fewer, one positive more or less moves
 * them by a tenth or more.
 */
export const DEFAULT_MIN_HOLDOUT_POSITIVES = 10;

export const TRAIN_USAGE = `train --training-set F --out-dir D [--name N] [--holdout-fraction 0.2]
                          [--features a,b,c] [--label label] [--min-holdout-positives 10]`;

/**
 * `streamfeatures train`: fits the embedded model on the earlier rows of a training set, scores it on the later
 * ones, and adds it to the registry folder under its content-hash version. Prints a report on stdout.
 */
export async function trainCommand(options: TrainOptions, io: CliIO): Promise<number> {
  const set = await readTrainingSet(options.trainingSet, options.label ?? 'label');
  const started = performance.now();
  let trained: TrainedModel;
  try {
    trained = trainModel(set, {
      name: options.name ?? DEFAULT_MODEL_NAME,
      holdoutFraction: options.holdoutFraction ?? 0.2,
      features: options.features,
      trainingSet: basename(options.trainingSet),
    });
  } catch (error) {
    if (error instanceof TrainingError) {
      throw new CliError(`${options.trainingSet}: ${error.message}`);
    }
    throw error;
  }
  const seconds = (performance.now() - started) / 1000;

  const minimum = options.minHoldoutPositives ?? DEFAULT_MIN_HOLDOUT_POSITIVES;
  const { positives } = trained.holdout;
  if (positives < minimum) {
    throw new CliError(
      `${options.trainingSet}: the holdout has ${positives} positive${positives === 1 ? '' : 's'} ` +
        `(of ${trained.holdout.rows} rows), fewer than the minimum of ${minimum}: its ROC AUC and PR AUC would ` +
        'mean little. Use more labelled data or a larger --holdout-fraction, or lower --min-holdout-positives ' +
        'to train anyway; no model was written',
    );
  }
  // The spec version the training set's features were computed under, for the model's features: the scoring path
  // refuses the model under a spec that computes them otherwise. Not part of the content-hash version.
  const recorded = await trainedUnder(options.trainingSet, trained.document.features);
  const trainedDocument = recorded ? { ...trained.document, spec: recorded } : trained.document;
  // The training set's feature distributions ride along, for drift monitoring (they do not change the version).
  const document = { ...trainedDocument, featureDistributions: trainingDistributions(set.numeric) };
  const file = join(options.outDir, `${document.version}.json`);
  await writeFileAtomic(file, `${JSON.stringify(document, null, 2)}\n`);
  io.out(report({ ...trained, document }, options.trainingSet, file, seconds));
  return 0;
}

/** The training set's recorded spec version, narrowed to the model's features; undefined when it records none. */
async function trainedUnder(
  trainingSet: string,
  features: readonly string[],
): Promise<{ hash: string; fingerprints: Record<string, string> } | undefined> {
  let version: Awaited<ReturnType<typeof readSpecVersionMetadata>>;
  try {
    version = await readSpecVersionMetadata(trainingSet);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  if (version === undefined) return undefined;
  const fingerprints: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of features) {
    const fingerprint = version.fingerprints[name];
    if (fingerprint === undefined) missing.push(name);
    else fingerprints[name] = fingerprint;
  }
  if (missing.length > 0) {
    throw new CliError(
      `${trainingSet}: its metadata records the spec version (hash ${version.hash}) but no fingerprint for ` +
        `the feature column(s) ${missing.join(', ')}; no model was written`,
    );
  }
  return { hash: version.hash, fingerprints };
}

function report(trained: TrainedModel, trainingSet: string, file: string, seconds: number): string {
  const { document, split, train, holdout, fit, unused } = trained;
  const rows = train.rows + holdout.rows;
  const positives = train.positives + holdout.positives;
  const cutoff = new Date(split.holdoutFrom).toISOString();
  const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(2)}%`;
  const line = (what: string, m: { rocAuc: number; prAuc: number; positives: number; rows: number }) =>
    `  ${what.padEnd(9)} ${m.rocAuc.toFixed(4).padStart(7)}  ${m.prAuc.toFixed(4).padStart(7)}  ` +
    `${(m.positives / m.rows).toFixed(4).padStart(9)}\n`;
  return (
    `training set ${trainingSet}: ${rows} rows, ${positives} positives (base rate ${pct(positives, rows)})\n` +
    `features (${document.features.length}): ${document.features.join(', ')}\n` +
    (unused.length > 0 ? `not used: ${unused.join(', ')}\n` : '') +
    `split by time at ${cutoff}:\n` +
    `  train    ${String(train.rows).padStart(9)} rows, ${train.positives} positives (t before the cutoff)\n` +
    `  holdout  ${String(holdout.rows).padStart(9)} rows, ${holdout.positives} positives (t from the cutoff)\n` +
    `trained in ${seconds.toFixed(1)} s: ${LIBRARY}, ${fit.steps} gradient steps on ${fit.rows} rows ` +
    `(every training positive, ${pct(fit.negativeRate, 1)} of the training negatives; bias corrected by ` +
    `ln ${fit.negativeRate.toPrecision(3)})\n` +
    `            ROC AUC   PR AUC  base rate (a random model's PR AUC)\n` +
    line('train', train) +
    line('holdout', holdout) +
    `model ${document.version}\n` +
    (document.spec
      ? `trained under spec hash ${document.spec.hash} (feature fingerprints recorded in the model)\n`
      : 'the training set records no spec version: the model records none, and is not checked against the deployed spec\n') +
    `wrote ${file}\n`
  );
}

/**
 * Reads the columns train needs: t (INT64 epoch ms, read as bigint), the label, and every feature column after
 * it (numeric ones as numbers or null; STRING ones only by name, the model cannot use them).
 */
export async function readTrainingSet(path: string, labelColumn: string): Promise<TrainingSetColumns> {
  let file: Awaited<ReturnType<typeof asyncBufferFromFile>>;
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    file = await asyncBufferFromFile(path);
    metadata = await parquetMetadataAsync(file);
  } catch (error) {
    throw new CliError(`cannot read the training set ${path}: ${(error as Error).message}`);
  }
  // A flat schema: the root, then one element per column.
  const columns = metadata.schema.slice(1).map((element) => ({ name: element.name, type: element.type }));
  const names = columns.map((column) => column.name);
  const labelAt = names.indexOf(labelColumn);
  if (!names.includes('t') || labelAt < 0) {
    throw new CliError(
      `${path}: a training set needs columns t and ${labelColumn} (got ${names.join(', ') || 'none'})`,
    );
  }
  const numericTypes = new Set(['DOUBLE', 'FLOAT', 'INT32', 'INT64']);
  for (const name of ['t', labelColumn]) {
    const type = columns.find((column) => column.name === name)?.type ?? 'a group';
    if (!numericTypes.has(type) && type !== 'BOOLEAN') {
      throw new CliError(`${path}: column ${name} must be numeric (INT64 epoch ms for t), got ${type}`);
    }
  }
  const featureColumns = columns.slice(labelAt + 1).filter((column) => column.name !== 't');
  const numericNames = featureColumns
    .filter((column) => numericTypes.has(column.type ?? ''))
    .map((c) => c.name);
  const nonNumeric = featureColumns
    .filter((column) => !numericTypes.has(column.type ?? ''))
    .map((c) => c.name);

  const rows = Number(metadata.num_rows);
  const data = new Map<string, (number | null)[]>();
  for (const name of ['t', labelColumn, ...numericNames]) data.set(name, new Array(rows).fill(null));
  await parquetRead({
    file,
    metadata,
    columns: ['t', labelColumn, ...numericNames],
    onChunk: ({ columnName, columnData, rowStart, rowEnd }) => {
      const target = data.get(columnName) as (number | null)[];
      for (let i = 0; i < rowEnd - rowStart && i < columnData.length; i++) {
        target[rowStart + i] = toNumber(columnData[i]);
      }
    },
  });

  const t = data.get('t') as (number | null)[];
  const label = data.get(labelColumn) as (number | null)[];
  t.forEach((value, i) => {
    if (value === null) throw new CliError(`${path}: t is missing in row ${i + 1}`);
  });
  label.forEach((value, i) => {
    if (value === null) throw new CliError(`${path}: ${labelColumn} is missing in row ${i + 1}`);
  });
  return {
    t: t as number[],
    label: label as number[],
    numeric: new Map(numericNames.map((name) => [name, data.get(name) as (number | null)[]])),
    nonNumeric,
  };
}

/**
 * Parquet INT64 arrives as bigint, a TIMESTAMP column as a Date; booleans count as 1 and 0; anything else that is
 * not a number is missing.
 */
function toNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'boolean') return value ? 1 : 0;
  return null;
}

/** The train command's flags; a bad or missing one is a usage error (exit code 2) that names it. */
export function parseTrainArgs(
  rest: readonly string[],
  usage = `usage: streamfeatures ${TRAIN_USAGE}\n`,
): TrainOptions {
  const { values } = parseFlags(usage, rest, {
    'training-set': { type: 'string' },
    'out-dir': { type: 'string' },
    name: { type: 'string' },
    'holdout-fraction': { type: 'string' },
    features: { type: 'string' },
    label: { type: 'string' },
    'min-holdout-positives': { type: 'string' },
  });
  const trainingSet = values['training-set'];
  const outDir = values['out-dir'];
  if (!trainingSet || !outDir) {
    throw usageError('train needs --training-set and --out-dir', usage);
  }
  const options: TrainOptions = { trainingSet, outDir };
  if (values.name !== undefined) {
    try {
      checkModelName(values.name);
    } catch (error) {
      throw new CliError(`--name: ${(error as Error).message}`, 2);
    }
    options.name = values.name;
  }
  const fraction = values['holdout-fraction'];
  if (fraction !== undefined) {
    const value = Number(fraction);
    if (fraction.trim() === '' || !(value > 0 && value < 1)) {
      throw new CliError(
        `--holdout-fraction must be a number between 0 and 1 (got ${JSON.stringify(fraction)})`,
        2,
      );
    }
    options.holdoutFraction = value;
  }
  if (values.features !== undefined) {
    const features = values.features.split(',').map((name) => name.trim());
    if (features.some((name) => name === '')) {
      throw new CliError(
        `--features must be names separated by commas (got ${JSON.stringify(values.features)})`,
        2,
      );
    }
    options.features = features;
  }
  if (values.label !== undefined) {
    if (values.label === '') throw new CliError('--label must name a column (got "")', 2);
    options.label = values.label;
  }
  const minimum = values['min-holdout-positives'];
  if (minimum !== undefined) {
    const value = Number(minimum);
    if (!/^\d+$/.test(minimum) || !Number.isSafeInteger(value)) {
      throw new CliError(
        `--min-holdout-positives must be a whole number, 0 or more (got ${JSON.stringify(minimum)})`,
        2,
      );
    }
    options.minHoldoutPositives = value;
  }
  return options;
}
