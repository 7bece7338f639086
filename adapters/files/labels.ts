import {
  type CompiledSpec,
  type Lookup,
  labelLookup,
  type PlanOptions,
  planTrainingSet,
  type TrainingLabel,
  type TrainingPlan,
} from '../../core/index.js';
import { readJsonLines } from './json-lines.js';

/** What a first pass over the labels learned: the plan, how many there are, whether they are in time order. */
export interface LabelScan {
  readonly plan: TrainingPlan;
  readonly count: number;
  readonly inTimeOrder: boolean;
}

/**
 * Reads every label once, checking each (so a bad label fails before a long replay, naming its line), to plan
 * the training set and learn whether the labels can be streamed (in time order) or must be sorted in memory.
 */
export async function scanLabels(spec: CompiledSpec, path: string, options: PlanOptions): Promise<LabelScan> {
  return inFile(path, async () => {
    let plan: TrainingPlan | undefined;
    let count = 0;
    let previous = Number.NEGATIVE_INFINITY;
    let inTimeOrder = true;
    for await (const { body, number } of readJsonLines(path)) {
      plan ??= planTrainingSet(spec, body, options);
      const { t } = labelLookup(spec, plan, body, number);
      if (t < previous) inTimeOrder = false;
      previous = t;
      count++;
    }
    if (!plan) throw new Error('no labels');
    return { plan, count, inTimeOrder };
  });
}

/** The labels as lookups, in file order. */
export async function* readLabelLookups(
  spec: CompiledSpec,
  plan: TrainingPlan,
  path: string,
): AsyncGenerator<Lookup<TrainingLabel>> {
  for await (const { body, number } of readJsonLines(path)) yield labelLookup(spec, plan, body, number);
}

/** The labels as lookups sorted by time (stable): for label files not in time order; holds them all. */
export async function sortedLabelLookups(
  spec: CompiledSpec,
  plan: TrainingPlan,
  path: string,
): Promise<Lookup<TrainingLabel>[]> {
  const lookups: Lookup<TrainingLabel>[] = [];
  for await (const lookup of readLabelLookups(spec, plan, path)) lookups.push(lookup);
  return lookups.sort((a, b) => a.t - b.t); // stable: labels at one time keep their file order
}

/** Runs `read` with errors located in the labels file: `path:line: problem`. */
async function inFile<T>(path: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    const message = (error as Error).message;
    if (message.startsWith(path)) throw error;
    const line = /^line (\d+): /.exec(message);
    throw new Error(line ? `${path}:${line[1]}: ${message.slice(line[0].length)}` : `${path}: ${message}`);
  }
}
