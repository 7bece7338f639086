import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeRawArchive } from '../../adapters/archive/archive-writer.js';
import {
  compareTrainingSets,
  duckdbTrainingSet,
  readRows,
  writeLabelsParquet,
} from '../../bench/duckdb-training-set.js';
import { loadFixture } from '../../bench/fixture.js';
import { buildFromArchive } from '../../bench/training-set.js';
import { labelLookup, planTrainingSet } from '../../core/index.js';

// A second, independent reading of the Semantics: DuckDB SQL over the raw archive (bench/duckdb-point-in-time.ts)
// against the engine's training set, on fraud traffic with its late, future, duplicate and invalid records.
describe('the DuckDB point-in-time join', () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamfeatures-duckdb-pit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const records = 4_000;
  const fixture = loadFixture(records, 2, 11);
  const spec = fixture.spec;
  const archive = join(dir, 'archive');
  const files = writeRawArchive(archive, spec.spec, fixture.records).map((file) => join(archive, file));
  const labels = fixture.labels.slice(0, Math.ceil(records / 1.02));
  const plan = planTrainingSet(spec, labels[0]);
  const lookups = labels.map((label, i) => labelLookup(spec, plan, label, i + 1));

  async function bothBuilds(exactSums: boolean) {
    writeLabelsParquet(join(dir, 'labels.parquet'), plan, lookups);
    await buildFromArchive(spec, plan, archive, lookups, join(dir, 'ours.parquet'));
    const theirsPath = join(dir, `duckdb-${exactSums}.parquet`);
    await duckdbTrainingSet(spec, plan, files, join(dir, 'labels.parquet'), theirsPath, exactSums);
    return {
      ours: await readRows(join(dir, 'ours.parquet'), plan),
      theirs: await readRows(theirsPath, plan),
    };
  }

  it('answers every label with the values the engine gives: counts, sums, extremes, averages and last to the bit', async () => {
    const { ours, theirs } = await bothBuilds(true);
    const agreement = compareTrainingSets(plan, ours, theirs);
    expect(agreement.examples).toEqual([]);
    expect(agreement.mismatches).toEqual({});
    expect(agreement.rows).toBe(lookups.length);
    expect(agreement.maxStddevRelative).toBeLessThanOrEqual(1e-9);
    // Not a comparison of empty rows: the features hold real windows, and some distinct counts pass the sketch's
    // exact range (compared within 10% there).
    const firstFeature = plan.columns.length - plan.entities.flatMap((e) => e.features).length;
    const merchantCounts = ours.map((row) =>
      Number(row[plan.columns.findIndex((c) => c.name === 'merchant_txn_count_10m')]),
    );
    expect(Math.max(...merchantCounts)).toBeGreaterThan(10);
    expect(ours.some((row) => row.slice(firstFeature).every((value) => value !== null))).toBe(true);
    expect(agreement.approximateDistinct).toBeGreaterThan(0);
  }, 120_000);

  it('fails the comparison on a single value that differs, naming the feature and the row', async () => {
    const { ours, theirs } = await bothBuilds(true);
    const column = plan.columns.findIndex((c) => c.name === 'card_amount_sum_1h');
    const changed = theirs.map((row) => [...row]);
    const row = changed.findIndex((values) => typeof values[column] === 'number' && values[column] !== 0);
    (changed[row] as unknown[])[column] = ((changed[row] as unknown[])[column] as number) * (1 + 2 ** -50);
    const agreement = compareTrainingSets(plan, ours, changed);
    expect(agreement.mismatches).toEqual({ card_amount_sum_1h: 1 });
    expect(agreement.examples[0]).toContain(`row ${row + 1} card_amount_sum_1h`);
  }, 120_000);
});
