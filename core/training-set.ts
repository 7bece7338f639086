import type { ArrivalSweep } from './arrival-sweep.js';
import type { FeatureValue } from './engine/aggregates.js';
import { itemKey } from './engine/classify.js';
import { parseEventTime } from './engine/event-time.js';
import { readWindowsInto } from './engine/window-reader.js';
import { compileFieldPath } from './field-path.js';
import { type Lookup, pointInTimeBatches, pointInTimeWith } from './point-in-time.js';
import type { InputRecord } from './record.js';
import type { CompiledEntity, CompiledSpec } from './spec/compile.js';

/**
 * Labels → training rows: a label names entity keys, a time and a label value; its row carries them and every
 * feature of those entities as of the label's time (core/point-in-time.ts). Pure: files are the caller's.
 */

/** What a training set holds, decided once from the spec, the options and the first label. */
export interface TrainingPlan {
  readonly entities: readonly CompiledEntity[];
  /** Key fields of the entities, each once, in entity order. */
  readonly keyFields: readonly string[];
  /** The spec's id field, when the labels carry it: kept so a row can be traced to its event. */
  readonly idField: string | undefined;
  readonly labelField: string;
  readonly columns: readonly TrainingColumn[];
}

export interface TrainingColumn {
  readonly name: string;
  readonly type: 'INT64' | 'DOUBLE' | 'STRING';
}

/** A label, checked: its lookup's payload. */
export interface TrainingLabel {
  readonly keys: readonly (string | number)[];
  readonly id: string | null;
  readonly label: number;
}

export interface PlanOptions {
  /** The label's field. @default 'label' */
  readonly labelField?: string;
  /** Entities to join; default: every entity whose key fields the first label carries. */
  readonly entities?: readonly string[];
}

/** Decides the entities and columns from the first label; the error names what is missing. */
export function planTrainingSet(spec: CompiledSpec, first: unknown, options: PlanOptions = {}): TrainingPlan {
  const labelField = options.labelField ?? 'label';
  const body = asObject(first, 1);
  let entities: CompiledEntity[];
  if (options.entities) {
    entities = options.entities.map((name) => {
      const entity = spec.entityByName.get(name);
      if (!entity) {
        throw new Error(
          `unknown entity "${name}" (the spec has: ${[...spec.entityByName.keys()].join(', ')})`,
        );
      }
      return entity;
    });
  } else {
    entities = spec.entities.filter((entity) => entity.keyGetters.every((get) => isKey(get(body))));
    if (entities.length === 0) {
      const wanted = spec.entities.map((e) => `${e.name} (${e.keyFields.join(', ')})`).join('; ');
      throw new Error(
        `the first label carries the key fields of no entity: it needs those of at least one of ${wanted} (got ${preview(body)})`,
      );
    }
  }
  const keyFields = [...new Set(entities.flatMap((entity) => entity.keyFields))];
  const idField = spec.idField !== undefined && spec.getId?.(body) !== undefined ? spec.idField : undefined;
  const featureNames = new Set(entities.flatMap((entity) => entity.features.map((f) => f.feature.name)));
  const features = spec.spec.features.filter((feature) => featureNames.has(feature.name));
  const columns: TrainingColumn[] = [
    ...keyFields.map((name) => ({ name, type: 'STRING' as const })),
    { name: 't', type: 'INT64' },
    ...(idField !== undefined ? [{ name: idField, type: 'STRING' as const }] : []),
    { name: 'label', type: 'DOUBLE' },
    ...features.map((feature) => ({
      name: feature.name,
      type: feature.agg === 'last' ? ('STRING' as const) : ('DOUBLE' as const),
    })),
  ];
  const names = new Set<string>();
  for (const column of columns) {
    if (names.has(column.name)) {
      throw new Error(
        `training-set column "${column.name}" appears twice: a key or feature has a reserved name`,
      );
    }
    names.add(column.name);
  }
  return { entities, keyFields, idField, labelField, columns };
}

/** A label line as a lookup at its event time: features as of t = τ, so the row never sees its own event. */
export function labelLookup(
  spec: CompiledSpec,
  plan: TrainingPlan,
  input: unknown,
  line: number,
): Lookup<TrainingLabel> {
  const body = asObject(input, line);
  const rawTime = spec.getTime(body);
  const t = parseEventTime(rawTime);
  if (t === undefined) {
    throw new Error(
      `line ${line}: time field "${spec.timeField}" must be epoch ms or ISO-8601 with a zone (got ${JSON.stringify(rawTime) ?? 'nothing'})`,
    );
  }
  const rawLabel = getterOf(plan.labelField)(body);
  const label = typeof rawLabel === 'boolean' ? Number(rawLabel) : rawLabel;
  if (typeof label !== 'number' || !Number.isFinite(label)) {
    throw new Error(
      `line ${line}: field "${plan.labelField}" must be a number or boolean (got ${JSON.stringify(rawLabel) ?? 'nothing'})`,
    );
  }
  const keys = plan.keyFields.map((field) => {
    const value = getterOf(field)(body);
    if (!isKey(value)) {
      throw new Error(
        `line ${line}: key field "${field}" must be a non-empty string or a number (got ${JSON.stringify(value) ?? 'nothing'})`,
      );
    }
    return value;
  });
  const byField = new Map(plan.keyFields.map((field, i) => [field, keys[i]]));
  const rawId = plan.idField !== undefined ? spec.getId?.(body) : undefined;
  return {
    t,
    entities: plan.entities.map((entity) => ({
      entity: entity.name,
      key: Object.fromEntries(entity.keyFields.map((field) => [field, byField.get(field)])),
    })),
    payload: { keys, id: rawId === undefined || rawId === null ? null : String(rawId), label },
  };
}

/** A training row's values, in the plan's column order. */
export function trainingRow(
  plan: TrainingPlan,
  lookup: Lookup<TrainingLabel>,
  features: Readonly<Record<string, FeatureValue>>,
): (string | number | null)[] {
  const { keys, id, label } = lookup.payload;
  const row: (string | number | null)[] = keys.map(String);
  row.push(lookup.t);
  if (plan.idField !== undefined) row.push(id);
  row.push(label);
  for (let c = row.length; c < plan.columns.length; c++) {
    const column = plan.columns[c] as TrainingColumn;
    const value = features[column.name];
    if (value === null || value === undefined) row.push(null);
    else if (column.type === 'STRING') row.push(typeof value === 'string' ? value : JSON.stringify(value));
    else row.push(typeof value === 'number' ? value : null);
  }
  return row;
}

/**
 * Training rows straight from the point-in-time join, one per label in label order: each label's features are read
 * into its row by column position (core/engine/window-reader.ts), the values `trainingRow` makes of
 * `pointInTime`'s answers, without a record of features per label.
 */
export function trainingRows(
  sweep: ArrivalSweep,
  plan: TrainingPlan,
  records: AsyncIterable<readonly InputRecord[]>,
  lookups: AsyncIterable<Lookup<TrainingLabel>> | Iterable<Lookup<TrainingLabel>>,
): AsyncGenerator<(string | number | null)[]> {
  return pointInTimeWith(sweep, records, lookups, rowReader(sweep, plan));
}

/**
 * Training rows handed to `take` one at a time, as each label is read, in label order: `take` must use the row
 * before it returns (a writer copies it into its columns), as the next label is read into the same array. No row
 * outlives its label: a build makes no array per label and holds no batch of rows. Yields, after each batch of
 * labels (core/point-in-time.ts, ANSWER_BATCH) and before the sweep waits for records, how many rows it handed on.
 */
export async function* trainingRowsInto(
  sweep: ArrivalSweep,
  plan: TrainingPlan,
  records: AsyncIterable<readonly InputRecord[]>,
  lookups: AsyncIterable<Lookup<TrainingLabel>> | Iterable<Lookup<TrainingLabel>>,
  take: (row: readonly (string | number | null)[]) => void,
): AsyncGenerator<number> {
  const read = rowReader(sweep, plan, new Array(plan.columns.length));
  const handOn = (lookup: Lookup<TrainingLabel>) => {
    take(read(lookup));
  };
  for await (const batch of pointInTimeBatches(sweep, records, lookups, handOn)) yield batch.length;
}

/**
 * Reads one label's row from the sweep, as it stands at the label's time: into `reused` when given (the same array
 * for every label), else into an array of its own.
 */
function rowReader(
  sweep: ArrivalSweep,
  plan: TrainingPlan,
  reused?: (string | number | null)[],
): (lookup: Lookup<TrainingLabel>) => (string | number | null)[] {
  const width = plan.columns.length;
  const columnOf = new Map(plan.columns.map((column, c) => [column.name, c]));
  /** Per plan entity, per feature (spec order): its column. */
  const at = plan.entities.map((entity) =>
    entity.features.map(({ feature }) => columnOf.get(feature.name) as number),
  );
  /**
   * Per plan entity, where its key fields are among the label's key values (`TrainingLabel.keys`, in the plan's
   * key-field order): its item key is built from them, into one array, instead of from a key record per read.
   */
  const keyAt = plan.entities.map((entity) => entity.keyFields.map((field) => plan.keyFields.indexOf(field)));
  const keyValues: (string | number)[][] = plan.entities.map((entity) => new Array(entity.keyFields.length));
  const firstFeature = plan.keyFields.length + (plan.idField !== undefined ? 3 : 2);
  const stringColumn = plan.columns.map((column) => column.type === 'STRING');
  return (lookup) => {
    const { keys, id, label } = lookup.payload;
    const row: (string | number | null)[] = reused ?? new Array(width);
    let c = 0;
    for (; c < keys.length; c++) {
      const key = keys[c] as string | number;
      row[c] = typeof key === 'string' ? key : String(key);
    }
    row[c++] = lookup.t;
    if (plan.idField !== undefined) row[c++] = id;
    row[c] = label;
    const entities = lookup.entities;
    for (let e = 0; e < plan.entities.length; e++) {
      const entity = plan.entities[e] as CompiledEntity;
      if (entities[e]?.entity !== entity.name) {
        throw new Error(
          `lookup at t=${lookup.t} names entity ${JSON.stringify(entities[e]?.entity)} where the plan has "${entity.name}": make lookups with labelLookup`,
        );
      }
      const positions = keyAt[e] as number[];
      const values = keyValues[e] as (string | number)[];
      for (let k = 0; k < positions.length; k++) values[k] = keys[positions[k] as number] as string | number;
      readWindowsInto(entity, sweep.stateAt(itemKey(entity.name, values)), lookup.t, row, at[e] as number[]);
    }
    // As trainingRow: null stays null, a STRING column takes text (JSON for anything else), a DOUBLE a number.
    for (c = firstFeature; c < width; c++) {
      const value: unknown = row[c];
      if (value === null || value === undefined) row[c] = null;
      else if (stringColumn[c]) {
        if (typeof value !== 'string') row[c] = JSON.stringify(value);
      } else if (typeof value !== 'number') row[c] = null;
    }
    return row;
  };
}

const getters = new Map<string, ReturnType<typeof compileFieldPath>>();
function getterOf(path: string) {
  let getter = getters.get(path);
  if (!getter) {
    getter = compileFieldPath(path);
    getters.set(path, getter);
  }
  return getter;
}

function asObject(value: unknown, line: number): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`line ${line}: must be a JSON object (got ${preview(value)})`);
  }
  return value as Record<string, unknown>;
}

function isKey(value: unknown): value is string | number {
  return (typeof value === 'string' && value !== '') || (typeof value === 'number' && Number.isFinite(value));
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
