import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findIcebergTable } from '../../adapters/archive/archive-files.js';
import { filesInHours } from '../../adapters/archive/iceberg-window.js';
import { TestTable } from '../support/iceberg-test-table.js';

const HOUR_MS = 3_600_000;
const T = Date.parse('2026-12-01T10:00:00Z');

async function tableOf(partitions: ({ dt: string; hour: string } | undefined)[]): Promise<string> {
  const table = new TestTable(mkdtempSync(join(tmpdir(), 'streamfeatures-iceberg-window-')));
  for (const [i, partition] of partitions.entries()) {
    const path = `data/f${i}.parquet`;
    table.write(path, new Uint8Array(10));
    await table.commit([{ entries: [{ path, bytes: 10, ...(partition ? { partition } : {}) }] }]);
  }
  return table.dir;
}

describe("the monitoring job's window of an Iceberg table", () => {
  it('picks the data files whose dt/hour partition overlaps the window, hour by hour', async () => {
    const dir = await tableOf([
      { dt: '2026-12-01', hour: '11' },
      { dt: '2026-12-01', hour: '09' },
      { dt: '2026-12-01', hour: '10' },
      { dt: '2026-12-01', hour: '12' },
    ]);
    const listing = await findIcebergTable(dir);
    if (!listing) throw new Error('no table found');
    expect(filesInHours(dir, listing, T + 1, T + HOUR_MS + 5).map((file) => file.name)).toEqual([
      'data/f2.parquet',
      'data/f0.parquet',
    ]);
  });

  it('reads an empty window of a table Glue created and nothing was committed to yet', async () => {
    // A freshly deployed pipeline's table before Firehose's first commit: its metadata file has no snapshot.
    const dir = mkdtempSync(join(tmpdir(), 'streamfeatures-iceberg-window-'));
    const created = '00000-eedf51e6-8c09-463b-8850-844ee6ec1de0.metadata.json';
    mkdirSync(join(dir, 'metadata'));
    copyFileSync(
      resolve('test/fixtures/iceberg/athena-example/metadata', created),
      join(dir, 'metadata', created),
    );
    const listing = await findIcebergTable(dir);
    if (!listing) throw new Error('no table found');
    expect(listing.committed).toBe(false);
    expect(filesInHours(dir, listing, T, T + HOUR_MS)).toEqual([]);
  });

  it('finds no table in a folder without Iceberg metadata', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamfeatures-iceberg-window-'));
    writeFileSync(join(dir, 'a.parquet'), '');
    expect(await findIcebergTable(dir)).toBeUndefined();
  });

  it('fails on a data file without dt/hour partition values, naming it, rather than skip its rows', async () => {
    const dir = await tableOf([{ dt: '2026-12-01', hour: '10' }, undefined]);
    const listing = await findIcebergTable(dir);
    if (!listing) throw new Error('no table found');
    expect(() => filesInHours(dir, listing, T, T + HOUR_MS)).toThrow(
      `the Iceberg table ${dir} has a data file without dt/hour partition values (data/f1.parquet)`,
    );
  });
});
