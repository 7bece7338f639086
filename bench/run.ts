/**
 * `npm run bench` (add `-- --quick` for a ~1 minute version): measures the engine and the online store side by
 * side in one run, against their targets, prints a table and writes bench/results.json. A report, not a test:
 * it exits 0 whether targets are met or not, and 1 only when a measurement could not run.
 *
 *   1. engine throughput vs the decode+parse floor   (engine-throughput.ts)
 *   2. online-store capacity units vs a naive writer  (store-cost.ts, naive-writer.ts, ddb-calls.ts)
 *   3. feature-vector reads vs a single GetItem        (read-latency.ts)
 *   4. heap held per 1000-record batch                 (heap.ts)
 *   5. training-set build vs the engine alone          (training-set.ts)
 *   6. steady-state online-store cost, a week in        (steady-state.ts; also writes bench/results/steady-state.json)
 *   7. training set: ours beside a DuckDB SQL join       (training-set.ts, duckdb-training-set.ts, duckdb-point-in-time.ts)
 *
 * `-- --steady-state` runs section 6 alone; `-- --no-dynamodb` leaves out sections 2, 3 and 6 (DynamoDB Local);
 * `-- --training-set` runs section 5 alone (with `--duckdb`, section 7 too), to profile or time the build.
 * `-- --engine` runs section 1 alone (to profile the engine pass: `node --cpu-prof --import tsx bench/run.ts --engine`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient } from '../adapters/dynamodb-client.js';
import { createOnlineStoreTable } from '../adapters/online-store/table.js';
import { startDynamoDbLocal } from '../packages/local-cloud/src/dynamodb-local.js';
import { timeCalls } from './call-latency.js';
import { tallyCalls } from './ddb-calls.js';
import { engineBreakdown, foldsPerTile, measureEngineThroughput } from './engine-throughput.js';
import { batchSequence, loadFixture, toKinesis } from './fixture.js';
import { measureHeap } from './heap.js';
import { naiveWrite } from './naive-writer.js';
import { measureReads } from './read-latency.js';
import {
  engineSection,
  printReport,
  steadySection,
  steadyTarget,
  storeSection,
  type Target,
} from './report.js';
import {
  measureSteadyState,
  type SteadyStateOptions,
  type SteadyStateResult,
  writeSteadyStateFile,
} from './steady-state.js';
import { measureStoreCost, type StoreCostRun } from './store-cost.js';
import { int, num, renderTable, verdict } from './table.js';
import {
  measureDuckDbComparison,
  measureTrainingSet,
  renderDuckDb,
  renderTrainingSet,
} from './training-set.js';

// The bench runs on whatever Node the machine has (20 and up), as the CLI and the tests do; the SDK's notice that
// its 2027 releases need Node 22 says nothing about the figures. The SDK reads this when a client is made (no
// module makes one on import), so setting it here is in time. A caller's own setting wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const quick = process.argv.includes('--quick');
const steadyOnly = process.argv.includes('--steady-state');
const noDynamoDb = process.argv.includes('--no-dynamodb');
const trainingOnly = process.argv.includes('--training-set');
const withDuckDb = process.argv.includes('--duckdb');
const engineOnly = process.argv.includes('--engine');
const config = quick
  ? {
      engineRecords: 50_000,
      rounds: 3,
      heapSamples: 5,
      storeRecords: 1000,
      naiveRecords: 300,
      reads: 200,
      trainingRecords: 30_000,
      duckdbRecords: 10_000,
    }
  : {
      engineRecords: 200_000,
      rounds: 5,
      heapSamples: 9,
      storeRecords: 3000,
      naiveRecords: 1000,
      reads: 500,
      trainingRecords: 100_000,
      /** DuckDB's range join grows with the square of a busy merchant's events: a smaller archive than section 5's. */
      duckdbRecords: 30_000,
    };
/**
 * Section 6's world: a week compressed to 12,000 events a day (a card makes about 1.5 transactions a day, as real
 * cards do); 500 is the FeatureComputer's default batchSize. About 5 minutes on a 2-core machine (the quick one,
 * 6,000 a day, under 3), most of it DynamoDB Local's write rate.
 */
const STEADY: SteadyStateOptions = {
  days: 7,
  shards: 4,
  batchSize: 500,
  warmHours: 2,
  loadBatchSize: 100_000,
  ...(quick
    ? { eventsPerDay: 6_000, cards: 4_000, merchants: 400 }
    : { eventsPerDay: 12_000, cards: 8_000, merchants: 800 }),
};
const SHARDS = 2;
const ENGINE_BATCH = 1000;
const STORE_BATCHES = [100, 500] as const;
const NAIVE_CONCURRENCY = 32;

const started = performance.now();
const progress = (message: string) =>
  process.stderr.write(
    `[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(3)}s] ${message}\n`,
  );

/**
 * The product's client (its options as the functions set them) on a fresh DynamoDB Local, its counting and timing
 * middleware installed before its first call (it resolves its middleware once).
 */
async function withDynamoDbLocal<T>(
  measure: (
    client: DynamoDBClient,
    tally: ReturnType<typeof tallyCalls>,
    latencies: ReturnType<typeof timeCalls>,
  ) => Promise<T>,
): Promise<T> {
  progress('starting DynamoDB Local');
  const local = await startDynamoDbLocal();
  const client = createDynamoDbClient({
    endpoint: local.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    return await measure(client, tallyCalls(client), timeCalls(client));
  } finally {
    client.destroy();
    await local.stop();
    progress('DynamoDB Local stopped');
  }
}

async function measureSteady(
  client: DynamoDBClient,
  tally: ReturnType<typeof tallyCalls>,
  latencies: ReturnType<typeof timeCalls>,
): Promise<SteadyStateResult> {
  const result = await measureSteadyState(
    client,
    tally,
    latencies,
    readFileSync('examples/fraud/spec.json', 'utf8'),
    STEADY,
    progress,
  );
  progress(`wrote ${writeSteadyStateFile(result)}`);
  return result;
}

async function measureDynamo(fixture: ReturnType<typeof loadFixture>) {
  const prefix = fixture.records.slice(0, config.storeRecords);
  return withDynamoDbLocal(async (client, tally, latencies) => {
    const runs: Record<string, StoreCostRun> = {};
    let loadedTable = '';
    for (const size of STORE_BATCHES) {
      progress(`online store: ${prefix.length} records in batches of ${size}`);
      const { run, tableName } = await measureStoreCost(client, tally, fixture.spec, prefix, size);
      runs[`batch${size}`] = run;
      if (size === 100) loadedTable = tableName;
    }
    const naivePrefix = prefix.slice(0, config.naiveRecords);
    progress(`naive writer: ${naivePrefix.length} records, ${NAIVE_CONCURRENCY} calls in flight`);
    const naive = await naiveWrite(
      client,
      await createOnlineStoreTable(client, 'bench-naive'),
      fixture.spec,
      naivePrefix,
      NAIVE_CONCURRENCY,
    );
    progress(`reads: ${config.reads} vectors interleaved with ${config.reads} GetItem`);
    const reads = await measureReads(client, loadedTable, fixture.spec, prefix, config.reads);
    const steady = await measureSteady(client, tally, latencies);
    return { runs, naive, reads, steady };
  });
}

/** `--steady-state`: section 6 alone, beside its target. */
async function mainSteadyOnly(): Promise<number> {
  const steady = await withDynamoDbLocal(measureSteady);
  console.log(
    [
      ...steadySection(steady, undefined),
      '',
      renderTable(
        ['figure', 'value', 'target', ''],
        [steadyTarget(steady)].map((t) => [t.figure, num(t.value), t.target, verdict(t.met)]),
      ),
    ].join('\n'),
  );
  return 0;
}

/** Section 5: the training-set build beside the engine, on the first records of the fixture and their labels. */
function trainingSection(fixture: ReturnType<typeof loadFixture>) {
  progress(`training set: ${int(config.trainingRecords)} records`);
  return measureTrainingSet(
    fixture.spec,
    fixture.records.slice(0, config.trainingRecords),
    fixture.labels.slice(0, Math.ceil(config.trainingRecords / 1.02)),
    config.rounds,
    progress,
  );
}

/** Section 7: our build beside a DuckDB SQL point-in-time join, on the first records of the fixture. */
function duckDbSection(fixture: ReturnType<typeof loadFixture>) {
  return measureDuckDbComparison(
    fixture.spec,
    fixture.records.slice(0, config.duckdbRecords),
    fixture.labels.slice(0, Math.ceil(config.duckdbRecords / 1.02)),
    config.rounds,
    progress,
  );
}

/** `--training-set`: section 5 alone (and 7 with `--duckdb`), on the records the full run uses. */
async function mainTrainingOnly(): Promise<number> {
  const fixture = loadFixture(config.engineRecords, SHARDS);
  const training = await trainingSection(fixture);
  const lines = renderTrainingSet(training);
  lines.push(`  per round, every label: ${training.ratioPerRound.all.map((r) => num(r)).join(' ')}`);
  lines.push(`  per round, one per ten: ${training.ratioPerRound.tenth.map((r) => num(r)).join(' ')}`);
  lines.push(`  per round, no labels:    ${training.ratioPerRound.none.map((r) => num(r)).join(' ')}`);
  if (withDuckDb) {
    const duckdb = await duckDbSection(fixture);
    lines.push('', ...renderDuckDb(duckdb));
  }
  console.log(lines.join('\n'));
  return 0;
}

/** `--engine`: section 1 alone, beside its target. */
async function mainEngineOnly(): Promise<number> {
  const fixture = loadFixture(config.engineRecords, SHARDS);
  const batches = batchSequence(toKinesis(fixture.records), ENGINE_BATCH);
  const engine = measureEngineThroughput(fixture.spec, batches, ENGINE_BATCH, config.rounds, progress);
  const breakdown = await engineBreakdown(fixture.spec, batches);
  const folds = foldsPerTile(fixture.spec, batches);
  console.log(
    `${engineSection({ ...engine, breakdown, folds })}\n  load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  return 0;
}

async function main(): Promise<number> {
  if (steadyOnly) return mainSteadyOnly();
  if (trainingOnly) return mainTrainingOnly();
  if (engineOnly) return mainEngineOnly();
  progress(`generating ${int(config.engineRecords)} fraud records on ${SHARDS} shards`);
  const fixture = loadFixture(config.engineRecords, SHARDS);
  const batches = batchSequence(toKinesis(fixture.records), ENGINE_BATCH);

  const engine = {
    ...measureEngineThroughput(fixture.spec, batches, ENGINE_BATCH, config.rounds, progress),
    breakdown: await engineBreakdown(fixture.spec, batches),
    folds: foldsPerTile(fixture.spec, batches),
  };
  progress('heap per batch');
  const heap = measureHeap(fixture.spec, batches, config.heapSamples);
  const training = await trainingSection(fixture);

  const duckdb = await duckDbSection(fixture);

  let dynamo: Awaited<ReturnType<typeof measureDynamo>> | undefined;
  let error: string | undefined;
  if (noDynamoDb) error = 'not run (--no-dynamodb)';
  else {
    try {
      dynamo = await measureDynamo(fixture);
    } catch (e) {
      error = e instanceof Error ? (e.stack ?? e.message) : String(e);
      progress(`DynamoDB measurements failed: ${error}`);
    }
  }
  const store = dynamo && storeSection(dynamo.runs, dynamo.naive);
  const reads = dynamo?.reads;
  const steady = dynamo?.steady;

  const targets: Target[] = [
    { figure: 'engine/floor throughput', value: engine.ratio, target: '>= 0.70', met: engine.ratio >= 0.7 },
    {
      figure: 'training-set/engine, one label per ten',
      value: training.ratioTenthLabels,
      target: '>= 0.80',
      met: training.ratioTenthLabels >= 0.8,
    },
    {
      figure: 'training-set/engine, every transaction labelled',
      value: training.ratioAllLabels,
      target: '>= 0.80',
      met: training.ratioAllLabels >= 0.8,
    },
  ];
  targets.push({
    figure: 'training set ours/DuckDB SQL join (events/CPU-s)',
    value: duckdb.ratio,
    target: '>= 1.00',
    met: duckdb.ratio >= 1,
  });
  if (store) {
    for (const [name, ratio] of Object.entries(store.ratioOursToNaive)) {
      targets.push({
        figure: `store CU ours/naive, ${name.replace('batch', 'batch ')}`,
        value: ratio,
        target: '<= 0.25',
        met: ratio <= 0.25,
      });
    }
  }
  if (reads) {
    targets.push(
      {
        figure: 'read round trips per vector (max)',
        value: reads.roundTripsPerVector.max,
        target: '= 1',
        met: reads.roundTripsPerVector.max === 1,
      },
      {
        figure: 'read p99 vs GetItem p99',
        value: reads.ratio.p99,
        target: '<= 2.00',
        met: reads.ratio.p99 <= 2,
      },
    );
  }

  if (steady) targets.push(steadyTarget(steady));
  printReport(engine, heap, store, reads, training, steady, duckdb, targets, quick);
  const cpu = cpus();
  const results = {
    machine: { node: process.version, cpus: cpu.length, cpuModel: cpu[0]?.model, loadAverage: loadavg() },
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    config: { ...config, shards: SHARDS, engineBatch: ENGINE_BATCH, naiveConcurrency: NAIVE_CONCURRENCY },
    engine: { ...engine, target: '>= 0.70', met: engine.ratio >= 0.7 },
    storeCost: store
      ? {
          ...store,
          target: '<= 0.25',
          met: Object.fromEntries(Object.entries(store.ratioOursToNaive).map(([k, r]) => [k, r <= 0.25])),
        }
      : { error },
    reads: reads
      ? {
          ...reads,
          target: { roundTrips: '= 1', p99Ratio: '<= 2.00' },
          met: { roundTrips: reads.roundTripsPerVector.max === 1, p99Ratio: reads.ratio.p99 <= 2 },
        }
      : { error },
    heap: { ...heap, target: null, met: null, note: 'informational: no target set' },
    trainingSet: { ...training, target: '>= 0.80' },
    duckdb: { ...duckdb, target: '>= 1.00', met: duckdb.ratio >= 1 },
    steadyState: steady ?? { error },
    targets: Object.fromEntries(
      targets.map((t) => [t.figure, { value: t.value, target: t.target, met: t.met }]),
    ),
    wallSeconds: (performance.now() - started) / 1000,
  };
  writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
  progress(`done in ${results.wallSeconds.toFixed(0)} s; wrote bench/results.json`);
  return error && !noDynamoDb ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
