import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { loadSpecFile } from '../adapters/files/spec-file.js';
import { type LogisticModelDocument, parseModelDocument } from '../adapters/model/embedded-model.js';
import { DEFAULT_SERVING_THRESHOLD } from '../adapters/model/live-quality.js';
import { modelSpecProblem } from '../adapters/model/model-spec-check.js';
import { DEFAULT_MODEL_NAME } from '../adapters/model/model-version.js';
import { evaluateOnHoldout, type HoldoutEvaluation } from '../adapters/model/retrain-evaluation.js';
import { placeByRequestId, RetrainLabelError, retrainLabels } from '../adapters/model/retrain-labels.js';
import {
  type ModelRegistryStore,
  openModelRegistry,
  type RegisteredVersion,
} from '../adapters/model/retrain-registry.js';
import { type TrainedModel, TrainingError, trainModel } from '../adapters/model/training.js';
import { trainingDistributions } from '../adapters/model/training-distributions.js';
import { LABEL_CLOCK_SLACK_MS, labelFilesFor } from '../adapters/monitoring/label-files.js';
import { readDelayedLabels, readScoredRequests } from '../adapters/monitoring/sources.js';
import { compileSpec, specVersionOf } from '../core/index.js';
import { CliError, type CliIO } from './io.js';
import { chooseChampion } from './retrain-champion.js';
import { deployCommands } from './retrain-deploy.js';
import { type RetrainReport, renderRetrainReport } from './retrain-report.js';
import { DEFAULT_MIN_HOLDOUT_POSITIVES, readTrainingSet } from './train-command.js';
import { buildTrainingSet } from './training-set-command.js';

// The report and the deploy commands live in files of their own; these are re-exported for existing callers.
export { deployCommands } from './retrain-deploy.js';
export type { RetrainReport } from './retrain-report.js';

export interface RetrainOptions {
  readonly spec: string;
  /** The raw archive: Parquet file, folder, s3://bucket/prefix (or JSON Lines events). */
  readonly archive: string;
  /** Delayed labels in the monitor's format: a JSON Lines file, a folder of them, or an S3 prefix. */
  readonly labels: string;
  /** The model registry: a folder or s3://bucket/prefix. */
  readonly models: string;
  /** The feature log, to find the keys and time of labels that name their request by request_id only. */
  readonly featureLog?: string | undefined;
  /** Labels whose event time is in [fromMs, toMs); either end open when absent. */
  readonly fromMs?: number | undefined;
  readonly toMs?: number | undefined;
  /** The share of labels, the last known, held out. Default 0.2. */
  readonly holdoutShare?: number | undefined;
  /** The version to compare with. Default: the one the registry's records single out (retrain-champion.ts). */
  readonly champion?: string | undefined;
  /** Default: the champion's features. */
  readonly features?: readonly string[] | undefined;
  /** The new version's name. Default: the champion's. */
  readonly name?: string | undefined;
  /** Default DEFAULT_SERVING_THRESHOLD. */
  readonly threshold?: number | undefined;
  /** Default DEFAULT_MIN_HOLDOUT_POSITIVES. */
  readonly minHoldoutPositives?: number | undefined;
  /** Read every label file, not only those last modified since --from less the clock slack. @default false */
  readonly allLabels?: boolean | undefined;
  readonly json?: boolean | undefined;
  readonly s3?: (() => S3Client) | undefined;
}

/** The share of labels held out when none is given. */
export const DEFAULT_HOLDOUT_SHARE = 0.2;

/**
 * `streamfeatures retrain`: a training set from the archive and the delayed labels, a new model trained like
 * `train` does, the champion and the new model scored on the same holdout (the labels known last), the new model
 * added to the registry, and the commands that deploy it as a shadow challenger, promote it, and roll back.
 */
export async function retrainCommand(options: RetrainOptions, io: CliIO): Promise<number> {
  const report = await retrain(options, io);
  io.out(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderRetrainReport(report));
  return 0;
}

export async function retrain(options: RetrainOptions, io: CliIO): Promise<RetrainReport> {
  const spec = compileSpec(await loadSpecFile(options.spec));
  const registry = openModelRegistry(options.models, options.s3);
  const versions = await located('--models', () => registry.versions());
  const champion = await readChampion(registry, versions, options, io);

  // The labels of events from --from on: a label is written after the event it labels, so a file last modified
  // before --from (less the clock slack) holds none of them.
  const read = await located('--labels', () =>
    readDelayedLabels(spec, options.labels, options.s3, labelFilesFor(options.fromMs, options.allLabels)),
  );
  if (read.files === 0) {
    throw new CliError(
      read.filesOlder === 0
        ? `--labels: no .jsonl files in ${options.labels}`
        : `--labels: the ${read.filesOlder} label files in ${options.labels} were all last modified before --from ` +
            `less ${LABEL_CLOCK_SLACK_MS / 60_000} min: none can hold a label of the window (--all-labels reads them)`,
    );
  }
  const window = { fromMs: options.fromMs, toMs: options.toMs };
  let labels: ReturnType<typeof retrainLabels>;
  let placed = 0;
  let delayed = read.labels;
  if (options.featureLog !== undefined) {
    const log = options.featureLog;
    const requests = await located('--feature-log', () => readScoredRequests(log, options.s3));
    ({ labels: delayed, placed } = placeByRequestId(read.labels, requests));
  }
  try {
    labels = retrainLabels(
      spec,
      { labels: delayed, problems: read.problems, featureLogRead: options.featureLog !== undefined },
      window,
    );
  } catch (error) {
    if (error instanceof RetrainLabelError)
      throw new CliError(`--labels: ${error.message}; nothing was registered`);
    throw error;
  }

  // The training set is built in a folder of its own and removed after: nothing of it outlives the command.
  const work = await mkdtemp(join(tmpdir(), 'streamfeatures-retrain-'));
  try {
    const labelFile = join(work, 'labels.jsonl');
    const setFile = join(work, 'training-set.parquet');
    await writeFile(labelFile, `${labels.lines.join('\n')}\n`);
    io.err(
      `retrain: ${labels.lines.length} labels from ${options.labels} (in event-time order, as a temporary ` +
        `training-set label file); champion ${champion.version}\n`,
    );
    const built = await located('--archive', () =>
      buildTrainingSet(
        {
          spec: options.spec,
          archive: options.archive,
          labels: labelFile,
          out: setFile,
          entities: labels.entities.map((entity) => entity.name),
          s3: options.s3,
        },
        io,
      ),
    );
    const columns = await readTrainingSet(setFile, 'label');
    if (
      columns.label.length !== labels.labels.length ||
      labels.labels.some((y, i) => columns.label[i] !== y)
    ) {
      throw new Error(
        `the training set's ${columns.label.length} rows do not line up with the ${labels.labels.length} labels`,
      );
    }
    // Split by when each label became known: the model learns only from what was known before the cut.
    const set = { ...columns, t: labels.labelTimes };
    const holdoutShare = options.holdoutShare ?? DEFAULT_HOLDOUT_SHARE;
    const features = options.features ?? champion.features;
    let trained: TrainedModel;
    try {
      trained = trainModel(set, {
        name: options.name ?? modelName(champion.version),
        holdoutFraction: holdoutShare,
        features,
        trainingSet: basename(options.labels),
      });
    } catch (error) {
      if (error instanceof TrainingError)
        throw new CliError(`${options.labels}: ${error.message}; nothing was registered`);
      throw error;
    }
    const minimum = options.minHoldoutPositives ?? DEFAULT_MIN_HOLDOUT_POSITIVES;
    if (trained.holdout.positives < minimum) {
      throw new CliError(
        `${options.labels}: the holdout (the last ${holdoutShare} of the labels by label_time) has ` +
          `${trained.holdout.positives} positives of ${trained.holdout.rows}, fewer than the minimum of ${minimum}: ` +
          'its figures would mean little. Use more labels or a larger --holdout-share, or lower ' +
          '--min-holdout-positives; nothing was registered',
      );
    }
    const threshold = options.threshold ?? DEFAULT_SERVING_THRESHOLD;
    const holdout = trained.split.holdout;
    let championFigures: HoldoutEvaluation;
    try {
      championFigures = evaluateOnHoldout(champion, set, holdout, labels.ids, threshold);
    } catch (error) {
      if (error instanceof TrainingError)
        throw new CliError(`--champion: ${error.message}; nothing was registered`);
      throw error;
    }
    const recorded = Object.fromEntries(
      trained.document.features.flatMap((name) => {
        const fingerprint = built.specVersion.fingerprints[name];
        return fingerprint === undefined ? [] : [[name, fingerprint]];
      }),
    );
    const document: LogisticModelDocument = {
      ...trained.document,
      spec: { hash: built.specVersion.hash, fingerprints: recorded },
      featureDistributions: trainingDistributions(set.numeric),
    };
    const retrained = evaluateOnHoldout(document, set, holdout, labels.ids, threshold);
    const championNote = modelSpecProblem(champion, specVersionOf(spec));

    // Last: the registry gains the version only once everything above has worked.
    const alreadyThere = versions.some((entry) => entry.version === document.version);
    if (!alreadyThere) {
      await located('--models', () =>
        registry.add(document.version, `${JSON.stringify(document, null, 2)}\n`),
      );
    }
    const trainPositives = trained.train.positives;
    return {
      labels: {
        location: options.labels,
        used: labels.lines.length,
        placedByRequestId: placed,
        files: read.files,
        filesOlder: read.filesOlder,
        outsideWindow: labels.outsideWindow,
        repeats: labels.repeats,
        window: { from: iso(options.fromMs), to: iso(options.toMs) },
      },
      trainingSet: { rows: columns.label.length, events: built.events, specHash: built.specVersion.hash },
      split: {
        by: 'label_time',
        holdoutFrom: new Date(trained.split.holdoutFrom).toISOString(),
        holdoutShare,
        trainRows: trained.train.rows,
        trainPositives,
        holdoutRows: trained.holdout.rows,
        holdoutPositives: trained.holdout.positives,
      },
      features: document.features,
      threshold,
      champion: { ...championFigures, ...(championNote ? { note: championNote } : {}) },
      retrained,
      registered: { version: document.version, at: registry.where(document.version), alreadyThere },
      commands: deployCommands(options.models, champion.version, document.version),
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The champion's document: `--champion`, or the version the registry's documents single out (the only one, or
 * the one trained on the newest data); when they do not, the error names every file.
 */
async function readChampion(
  registry: ModelRegistryStore,
  versions: readonly RegisteredVersion[],
  options: RetrainOptions,
  io: CliIO,
): Promise<LogisticModelDocument> {
  if (versions.length === 0) {
    throw new CliError(
      `--models: the model registry ${options.models} has no model to compare with; train the first with ` +
        'streamfeatures train',
    );
  }
  const read = (version: string) =>
    located('--models', async () =>
      parseModelDocument(await registry.read(version), registry.where(version)),
    );
  if (options.champion !== undefined) {
    const named = options.champion;
    if (!versions.some((entry) => entry.version === named)) {
      throw new CliError(
        `--champion: version ${named} is not in the model registry ${options.models} (it has: ` +
          `${versions.map((entry) => entry.version).join(', ')})`,
      );
    }
    return read(named);
  }
  const entries = [];
  for (const { version } of versions) {
    entries.push({ version, where: registry.where(version), document: await read(version) });
  }
  const choice = chooseChampion(entries);
  if ('problem' in choice) throw new CliError(choice.problem);
  io.err(`champion ${choice.version}: ${choice.reason} (--champion names another)\n`);
  return entries.find((entry) => entry.version === choice.version)?.document as LogisticModelDocument;
}

/** The name part of `<name>-<hash>`, so the new version reads as the champion's successor. */
function modelName(version: string): string {
  const match = /^(.+)-[0-9a-f]{12}$/.exec(version);
  return match ? (match[1] as string) : DEFAULT_MODEL_NAME;
}

/** Runs a read, its failure naming the flag it came from. */
async function located<T>(flag: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`${flag}: ${(error as Error).message}; nothing was registered`);
  }
}

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}
