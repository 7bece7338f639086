/**
 * Runs the DuckDB point-in-time join (duckdb-point-in-time.ts) and checks its training set against ours, value by
 * value: count, sum, min, max, avg and last exactly; stddev within 1e-9 relative; distinct exactly while DuckDB's
 * exact count is at most the sketch's exact range (96), within 10% (3 standard errors of the sketch) above it.
 */
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { ParquetTableWriter } from '../adapters/archive/parquet-table-writer.js';
import { SPARSE_LIMIT } from '../core/engine/hll.js';
import type { CompiledSpec, Lookup, TrainingLabel, TrainingPlan } from '../core/index.js';
import { pointInTimeSql } from './duckdb-point-in-time.js';
import { median, type Timing, timeOnceAsync } from './stats.js';

/** One core, as our build and a Lambda have: DuckDB would otherwise use every core (CPU time is measured anyway). */
const DUCKDB_THREADS = 1;
const STDDEV_RELATIVE = 1e-9;
const DISTINCT_RELATIVE = 0.1;

/** Writes the labels as the Parquet file the SQL reads: the plan's key fields, t, the id field when kept, label. */
export function writeLabelsParquet(
  path: string,
  plan: TrainingPlan,
  lookups: readonly Lookup<TrainingLabel>[],
): void {
  const columns = plan.columns.slice(0, plan.keyFields.length + (plan.idField !== undefined ? 3 : 2));
  const writer = new ParquetTableWriter(path, columns);
  for (const lookup of lookups) {
    const { keys, id, label } = lookup.payload;
    writer.append([...keys.map(String), lookup.t, ...(plan.idField !== undefined ? [id] : []), label]);
  }
  writer.close();
}

/** Builds the training set with DuckDB into `out`. */
export async function duckdbTrainingSet(
  spec: CompiledSpec,
  plan: TrainingPlan,
  archive: readonly string[],
  labels: string,
  out: string,
  exactSums = true,
): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:', { threads: String(DUCKDB_THREADS) });
  const connection = await instance.connect();
  try {
    await connection.run(pointInTimeSql(spec, plan, archive, labels, out, exactSums));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** A Parquet file's rows, in file order, as arrays in the plan's column order (read by DuckDB). */
export async function readRows(path: string, plan: TrainingPlan): Promise<unknown[][]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const names = plan.columns.map((c) => `"${c.name.replaceAll('"', '""')}"`).join(', ');
    const reader = await connection.runAndReadAll(
      `SELECT ${names} FROM read_parquet('${path.replaceAll("'", "''")}', file_row_number = true) ORDER BY file_row_number`,
    );
    return reader.getRowsJS() as unknown[][];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

export interface Agreement {
  rows: number;
  /** Values compared (rows × feature columns). */
  values: number;
  /** Values outside their rule, per feature column (columns agreeing everywhere are left out). */
  mismatches: Record<string, number>;
  /** The first few disagreements, to say what they are. */
  examples: string[];
  /** Distinct values past the sketch's exact range: compared within 10%. */
  approximateDistinct: number;
  /** Largest relative difference of a stddev. */
  maxStddevRelative: number;
}

const asNumber = (v: unknown) => (typeof v === 'bigint' ? Number(v) : (v as number | null));

/** Compares two training sets row by row (same label order), each feature by its aggregation's rule. */
export function compareTrainingSets(
  plan: TrainingPlan,
  ours: readonly unknown[][],
  theirs: readonly unknown[][],
): Agreement {
  const features = plan.entities.flatMap((e) => e.features.map(({ feature }) => feature));
  const first = plan.columns.length - features.length;
  const result: Agreement = {
    rows: ours.length,
    values: 0,
    mismatches: {},
    examples: [],
    approximateDistinct: 0,
    maxStddevRelative: 0,
  };
  const miss = (name: string, row: number, a: unknown, b: unknown) => {
    result.mismatches[name] = (result.mismatches[name] ?? 0) + 1;
    if (result.examples.length < 5) result.examples.push(`row ${row + 1} ${name}: ours ${a}, DuckDB ${b}`);
  };
  if (ours.length !== theirs.length) {
    result.examples.push(`ours has ${ours.length} rows, DuckDB ${theirs.length}`);
    result.mismatches.rows = Math.abs(ours.length - theirs.length);
  }
  for (let r = 0; r < Math.min(ours.length, theirs.length); r++) {
    const a = ours[r] as unknown[];
    const b = theirs[r] as unknown[];
    for (let c = 0; c < first; c++) {
      if (String(a[c]) !== String(b[c])) miss(plan.columns[c]?.name ?? String(c), r, a[c], b[c]);
    }
    features.forEach((feature, i) => {
      const x = asNumber(a[first + i]);
      const y = asNumber(b[first + i]);
      result.values++;
      if (feature.agg === 'last') {
        if ((a[first + i] ?? null) !== (b[first + i] ?? null))
          miss(feature.name, r, a[first + i], b[first + i]);
      } else if (x === null || y === null) {
        if (x !== y) miss(feature.name, r, x, y);
      } else if (feature.agg === 'stddev') {
        const relative = Math.abs(x - y) / Math.max(Math.abs(y), Number.MIN_VALUE);
        result.maxStddevRelative = Math.max(result.maxStddevRelative, x === y ? 0 : relative);
        if (x !== y && relative > STDDEV_RELATIVE) miss(feature.name, r, x, y);
      } else if (feature.agg === 'distinct' && y > SPARSE_LIMIT) {
        result.approximateDistinct++;
        if (Math.abs(x - y) > DISTINCT_RELATIVE * y) miss(feature.name, r, x, y);
      } else if (x !== y) miss(feature.name, r, x, y);
    });
  }
  return result;
}

export interface DuckDbSideBySide {
  records: number;
  labels: number;
  /** Events per CPU-second of each build, over the same archive and labels, the same run. */
  oursEventsPerSec: number;
  /** The SQL with plain sum() and avg(), as one would write it: the timed comparison. */
  duckdbEventsPerSec: number;
  /** The SQL adding sums in the engine's order (ordered lists reduced per tile): slower, and agrees to the bit. */
  duckdbExactEventsPerSec: number;
  /** Ours over DuckDB's plain SQL, events per CPU-second: the figure held to the target (>= 1). */
  ratio: number;
  /** The exact SQL's training set against ours. */
  agreement: Agreement;
  /** The plain SQL's against ours: sums and averages differ in their last bits (another order of additions). */
  plainAgreement: Agreement;
  /** Wall seconds, for information. */
  wallSeconds: { ours: number; duckdb: number; duckdbExact: number };
}

/**
 * Ours and DuckDB's training set over one raw archive and one labels file: ours timed (median of `rounds`) beside
 * the plain SQL (run once; it is the slow one), then the exact SQL once, each checked against ours value by value.
 */
export async function measureDuckDbSideBySide(
  spec: CompiledSpec,
  plan: TrainingPlan,
  dir: string,
  archiveFiles: readonly string[],
  lookups: readonly Lookup<TrainingLabel>[],
  records: number,
  buildOurs: (out: string) => Promise<unknown>,
  rounds: number,
  progress: (message: string) => void,
): Promise<DuckDbSideBySide> {
  const labels = join(dir, 'duckdb-labels.parquet');
  writeLabelsParquet(labels, plan, lookups);
  const oursOut = join(dir, 'ours.parquet');
  const ours: Timing[] = [];
  await buildOurs(oursOut); // warm-up
  for (let round = 0; round < rounds; round++) ours.push(await timeOnceAsync(() => buildOurs(oursOut)));
  progress(`DuckDB: plain SQL point-in-time join, ${records} records, ${lookups.length} labels`);
  const plainOut = join(dir, 'duckdb-plain.parquet');
  const plain = await timeOnceAsync(() =>
    duckdbTrainingSet(spec, plan, archiveFiles, labels, plainOut, false),
  );
  progress('DuckDB: the same with sums in the engine order');
  const exactOut = join(dir, 'duckdb-exact.parquet');
  const exact = await timeOnceAsync(() =>
    duckdbTrainingSet(spec, plan, archiveFiles, labels, exactOut, true),
  );
  const oursRows = await readRows(oursOut, plan);
  const oursCpuMs = median(ours.map((t) => t.cpuMs));
  const rate = (cpuMs: number) => records / (cpuMs / 1000);
  return {
    records,
    labels: lookups.length,
    oursEventsPerSec: rate(oursCpuMs),
    duckdbEventsPerSec: rate(plain.cpuMs),
    duckdbExactEventsPerSec: rate(exact.cpuMs),
    ratio: plain.cpuMs / oursCpuMs,
    agreement: compareTrainingSets(plan, oursRows, await readRows(exactOut, plan)),
    plainAgreement: compareTrainingSets(plan, oursRows, await readRows(plainOut, plan)),
    wallSeconds: {
      ours: median(ours.map((t) => t.wallMs)) / 1000,
      duckdb: plain.wallMs / 1000,
      duckdbExact: exact.wallMs / 1000,
    },
  };
}
