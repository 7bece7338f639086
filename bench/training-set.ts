/**
 * Training-set build throughput vs the engine's own: events replayed per CPU-second by the whole
 * `training-set` path (read the Parquet raw archive, put it in arrival order, the engine, a point-in-time read per
 * label, write the Parquet training set) over MemoryEngine.ingest alone on the same records already in memory.
 * Two label densities: one label per transaction (the fraud example: every transaction is labelled) and one per
 * ten. The variants run interleaved and the ratio is taken per round. A third build with no labels at all (read the
 * archive, arrival order, the engine, an empty output) is the floor the labelled builds stand on. Two more split a
 * build with every label into its parts: the archive read and arrival order alone (no engine), and the build with
 * every label whose rows are read but not written; their differences, round by round, are where its CPU time goes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeRawArchive } from '../adapters/archive/archive-writer.js';
import { openEventSource } from '../adapters/archive/event-source.js';
import { ParquetTableWriter } from '../adapters/archive/parquet-table-writer.js';
import {
  ArrivalSweep,
  type CompiledSpec,
  type InputRecord,
  type Lookup,
  labelLookup,
  MemoryEngine,
  planTrainingSet,
  sortedByArrival,
  type TrainingLabel,
  type TrainingPlan,
  trainingRowsInto,
} from '../core/index.js';
import type { FraudLabel } from '../examples/fraud/generate.js';
import { type Agreement, type DuckDbSideBySide, measureDuckDbSideBySide } from './duckdb-training-set.js';
import { collectGarbage, median, type Timing, timeOnceAsync } from './stats.js';
import { int, num, renderTable } from './table.js';

export interface TrainingSetResult {
  records: number;
  labels: { all: number; tenth: number };
  archiveFiles: number;
  repetitions: number;
  /** Events per CPU-second, median over rounds. */
  engineEventsPerSec: number;
  allLabelsEventsPerSec: number;
  tenthLabelsEventsPerSec: number;
  /** Median per-round ratios to the engine (CPU time): the figure held to the target. */
  ratioAllLabels: number;
  ratioTenthLabels: number;
  /** The same build with no labels: the archive read, arrival order and the engine alone. */
  noLabelsEventsPerSec: number;
  ratioNoLabels: number;
  ratioPerRound: { all: number[]; tenth: number[]; none: number[] };
  /**
   * Where a build with every label spends its CPU time, ms (medians of per-round differences): the archive read and
   * arrival order; the engine as the build drives it; the point-in-time reads into rows; the Parquet writer.
   */
  split: { archive: number; engine: number; reads: number; write: number; engineAlone: number };
  /** Peak heap during a build with every label, beyond what the process held before it (MiB): sampled. */
  heapMiB: number;
}

export async function measureTrainingSet(
  spec: CompiledSpec,
  records: readonly InputRecord[],
  labels: readonly FraudLabel[],
  repetitions: number,
  progress: (message: string) => void,
): Promise<TrainingSetResult> {
  const dir = mkdtempSync(join(tmpdir(), 'streamfeatures-bench-'));
  try {
    const archive = join(dir, 'archive');
    const files = writeRawArchive(archive, spec.spec, records);
    const plan = planTrainingSet(spec, labels[0]);
    const lookups = labels.map((label, i) => labelLookup(spec, plan, label, i + 1));
    const tenth = lookups.filter((_, i) => i % 10 === 0);
    const byArrival = sortedByArrival(records);

    const engine = async () => {
      const memory = new MemoryEngine(spec);
      for (let i = 0; i < byArrival.length; i += 1000) memory.ingest(byArrival.slice(i, i + 1000));
      return memory.totals.counted;
    };
    let peakHeap = 0;
    const build =
      (chosen: typeof lookups, sampleHeap = false) =>
      () =>
        buildFromArchive(spec, plan, archive, chosen, join(dir, 'train.parquet'), (rows) => {
          if (sampleHeap && rows % 2_000 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
        });
    const archiveOnly = async () => {
      let n = 0;
      for await (const chunk of (await openEventSource(spec, archive)).chunks) n += chunk.length;
      return n;
    };
    const unwritten = () => readRowsOnly(spec, plan, archive, lookups);
    const variants = {
      engine,
      all: build(lookups),
      tenth: build(tenth),
      none: build([]),
      archiveOnly,
      unwritten,
    };
    const timings = Object.fromEntries(Object.keys(variants).map((name) => [name, [] as Timing[]])) as Record<
      keyof typeof variants,
      Timing[]
    >;
    const names = Object.keys(variants) as (keyof typeof variants)[];
    for (const name of names) await timeOnceAsync(variants[name]); // warm-up
    for (let round = 0; round < repetitions; round++) {
      for (const name of round % 2 === 0 ? names : [...names].reverse()) {
        timings[name].push(await timeOnceAsync(variants[name]));
      }
      progress(`training set: round ${round + 1}/${repetitions}`);
    }
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    await build(lookups, true)();
    const heapMiB = Math.max(0, (peakHeap - before) / 1048576);

    const cpu = (list: Timing[]) => median(list.map((t) => t.cpuMs));
    const rate = (list: Timing[]) => records.length / (cpu(list) / 1000);
    /** What `more` takes beyond `less`: the median of the per-round differences (variants of a round ran together). */
    const apart = (more: Timing[], less: Timing[]) =>
      median(more.map((t, i) => t.cpuMs - (less[i] as Timing).cpuMs));
    const ratios = (list: Timing[]) => list.map((t, i) => (timings.engine[i] as Timing).cpuMs / t.cpuMs);
    return {
      records: records.length,
      labels: { all: lookups.length, tenth: tenth.length },
      archiveFiles: files.length,
      repetitions,
      engineEventsPerSec: rate(timings.engine),
      allLabelsEventsPerSec: rate(timings.all),
      tenthLabelsEventsPerSec: rate(timings.tenth),
      ratioAllLabels: median(ratios(timings.all)),
      ratioTenthLabels: median(ratios(timings.tenth)),
      noLabelsEventsPerSec: rate(timings.none),
      ratioNoLabels: median(ratios(timings.none)),
      ratioPerRound: { all: ratios(timings.all), tenth: ratios(timings.tenth), none: ratios(timings.none) },
      split: {
        archive: cpu(timings.archiveOnly),
        engine: apart(timings.none, timings.archiveOnly),
        reads: apart(timings.unwritten, timings.none),
        write: apart(timings.all, timings.unwritten),
        engineAlone: cpu(timings.engine),
      },
      heapMiB,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The `training-set` command's path over a local archive: returns the events replayed. */
export async function buildFromArchive(
  spec: CompiledSpec,
  plan: TrainingPlan,
  archive: string,
  lookups: readonly Lookup<TrainingLabel>[],
  out: string,
  onRow?: (rows: number) => void,
): Promise<number> {
  const sweep = new ArrivalSweep(spec);
  const writer = new ParquetTableWriter(out, plan.columns);
  const source = await openEventSource(spec, archive);
  const take = (row: readonly (string | number | null)[]) => {
    writer.append(row);
    onRow?.(writer.rows);
  };
  for await (const _ of trainingRowsInto(sweep, plan, source.chunks, lookups, take));
  writer.close();
  return sweep.ingested;
}

/** `buildFromArchive` with every row read and none written: the build less its Parquet writer. */
async function readRowsOnly(
  spec: CompiledSpec,
  plan: TrainingPlan,
  archive: string,
  lookups: readonly Lookup<TrainingLabel>[],
): Promise<number> {
  const sweep = new ArrivalSweep(spec);
  const source = await openEventSource(spec, archive);
  let rows = 0;
  for await (const handedOn of trainingRowsInto(sweep, plan, source.chunks, lookups, () => {}))
    rows += handedOn;
  return rows;
}

/**
 * Section 7: our build beside a DuckDB SQL point-in-time join over the same archive and labels (every transaction
 * labelled, as the fraud example is), with every value checked (duckdb-training-set.ts).
 */
export async function measureDuckDbComparison(
  spec: CompiledSpec,
  records: readonly InputRecord[],
  labels: readonly FraudLabel[],
  rounds: number,
  progress: (message: string) => void,
): Promise<DuckDbSideBySide> {
  const dir = mkdtempSync(join(tmpdir(), 'streamfeatures-bench-duckdb-'));
  try {
    const archive = join(dir, 'archive');
    const files = writeRawArchive(archive, spec.spec, records).map((file) => join(archive, file));
    const plan = planTrainingSet(spec, labels[0]);
    const lookups = labels.map((label, i) => labelLookup(spec, plan, label, i + 1));
    progress(`DuckDB side by side: our build, ${records.length} records, ${lookups.length} labels`);
    return await measureDuckDbSideBySide(
      spec,
      plan,
      dir,
      files,
      lookups,
      records.length,
      (out) => buildFromArchive(spec, plan, archive, lookups, out),
      rounds,
      progress,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The report's section 7. */
export function renderDuckDb(result: DuckDbSideBySide): string[] {
  const agreement = (a: Agreement) => {
    const bad = Object.entries(a.mismatches);
    return bad.length === 0
      ? `all ${int(a.values)} values of ${int(a.rows)} rows agree`
      : `${bad.map(([name, n]) => `${name} ${int(n)}`).join(', ')} of ${int(a.rows)} rows differ (${a.examples.slice(0, 2).join('; ')})`;
  };
  return [
    `7. Training set: ours beside a DuckDB SQL point-in-time join, ${int(result.records)} records in one Parquet ` +
      `archive, ${int(result.labels)} labels (every transaction), one core (DuckDB threads=1), CPU time`,
    renderTable(
      ['build', 'events/CPU-s', 'ours vs it', 'wall s'],
      [
        [
          'ours: training-set (median of rounds)',
          int(result.oursEventsPerSec),
          '1.00',
          num(result.wallSeconds.ours, 1),
        ],
        [
          'DuckDB: range join, sum()/avg()',
          int(result.duckdbEventsPerSec),
          num(result.ratio),
          num(result.wallSeconds.duckdb, 1),
        ],
        [
          'DuckDB: the same, sums in the engine order',
          int(result.duckdbExactEventsPerSec),
          num(result.oursEventsPerSec / result.duckdbExactEventsPerSec),
          num(result.wallSeconds.duckdbExact, 1),
        ],
      ],
    ),
    `  values, exact SQL vs ours: ${agreement(result.agreement)}; stddev within ${result.agreement.maxStddevRelative.toExponential(1)} ` +
      `relative; ${int(result.agreement.approximateDistinct)} distinct values past the sketch's exact range compared within 10%`,
    `  values, plain SQL vs ours: ${agreement(result.plainAgreement)} (sums added in another order: last bits)`,
  ];
}

/** The report's section 5. */
export function renderTrainingSet(training: TrainingSetResult): string[] {
  return [
    `5. Training-set build vs the engine alone, one core: ${int(training.records)} records in ${training.archiveFiles} ` +
      `Parquet archive file(s), median of ${training.repetitions} interleaved rounds`,
    renderTable(
      ['variant', 'events/CPU-s', 'vs engine'],
      [
        ['engine: MemoryEngine.ingest, records in memory', int(training.engineEventsPerSec), '1.00'],
        [
          `training-set, ${int(training.labels.all)} labels (one per transaction)`,
          int(training.allLabelsEventsPerSec),
          num(training.ratioAllLabels),
        ],
        [
          `training-set, ${int(training.labels.tenth)} labels (one per ten)`,
          int(training.tenthLabelsEventsPerSec),
          num(training.ratioTenthLabels),
        ],
        [
          'training-set, no labels (archive read + arrival order + engine)',
          int(training.noLabelsEventsPerSec),
          num(training.ratioNoLabels),
        ],
      ],
    ),
    `  training-set = read the archive + arrival order + engine + a point-in-time read of 3 entities per label + ` +
      `write Parquet; peak heap of a build with every label ${int(training.heapMiB)} MiB above the process's own`,
    splitLine(training),
  ];
}

/** Where a build with every label spends its CPU time, beside the engine alone on records in memory. */
function splitLine(training: TrainingSetResult): string {
  const { archive, engine, reads, write, engineAlone } = training.split;
  const part = (ms: number) => `${int(ms)} ms (${num(ms / engineAlone)})`;
  return (
    `  a build with every label, CPU ms (vs the engine alone, ${int(engineAlone)} ms): archive read + arrival order ` +
    `${part(archive)}, engine in the build ${part(engine)}, ${int(training.labels.all)} point-in-time reads into rows ` +
    `${part(reads)}, Parquet writer ${part(write)} (medians of per-round differences)`
  );
}
