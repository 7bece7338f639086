import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { afterAll, describe, expect, it } from 'vitest';
import { ParquetTableWriter, type TableColumn } from '../../adapters/archive/parquet-table-writer.js';
import { duckdb } from '../support/duckdb.js';

const dir = mkdtempSync(join(tmpdir(), 'parquet-table-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const columns: TableColumn[] = [
  { name: 'key', type: 'STRING' },
  { name: 't', type: 'INT64' },
  { name: 'dense', type: 'DOUBLE' },
  { name: 'sparse', type: 'DOUBLE' },
];

/** Rows past one row group (50,000): the first group's `sparse` has nulls, the second's none; `dense` never has. */
function rowsAt(i: number): (string | number | null)[] {
  const sparse = i < 50_000 ? (i % 7 === 0 ? null : i / 3) : -0.5 * i;
  return [
    i % 11 === 0 ? null : `k${i % 97}`,
    1_700_000_000_000 + i * 1000.75,
    i === 3 ? -0 : i * 0.1,
    sparse,
  ];
}
const ROWS = 60_123;

describe('ParquetTableWriter', () => {
  it('writes every value back as given, nulls and -0 included, across row groups with and without nulls', async () => {
    const path = join(dir, 'values.parquet');
    const writer = new ParquetTableWriter(path, columns);
    for (let i = 0; i < ROWS; i++) writer.append(rowsAt(i));
    writer.close();

    const file = await asyncBufferFromFile(path);
    const metadata = await parquetMetadataAsync(file);
    expect(metadata.row_groups.map((group) => Number(group.num_rows))).toEqual([50_000, ROWS - 50_000]);
    expect(
      metadata.schema.slice(1).map((element) => [element.name, element.type, element.repetition_type]),
    ).toEqual([
      ['key', 'BYTE_ARRAY', 'OPTIONAL'],
      ['t', 'INT64', 'OPTIONAL'],
      ['dense', 'DOUBLE', 'OPTIONAL'],
      ['sparse', 'DOUBLE', 'OPTIONAL'],
    ]);
    const rows = await parquetReadObjects({ file });
    expect(rows).toHaveLength(ROWS);
    for (const i of [0, 3, 7, 11, 49_999, 50_000, 50_001, ROWS - 1]) {
      const [key, t, dense, sparse] = rowsAt(i);
      expect(rows[i]).toEqual({ key, t: BigInt(Math.trunc(t as number)), dense, sparse });
    }
    expect(Object.is(rows[3]?.dense, -0)).toBe(true);
    const mismatched = rows.findIndex((row, i) => {
      const [key, t, dense, sparse] = rowsAt(i);
      return (
        row.key !== key ||
        row.t !== BigInt(Math.trunc(t as number)) ||
        row.dense !== dense ||
        row.sparse !== sparse
      );
    });
    expect(mismatched).toBe(-1);
  });

  it('is read by DuckDB with the same values', async () => {
    const path = join(dir, 'duckdb.parquet');
    const writer = new ParquetTableWriter(path, columns);
    for (let i = 0; i < ROWS; i++) writer.append(rowsAt(i));
    writer.close();
    const [counts] = await duckdb(
      `SELECT count(*) AS n, count(key) AS keys, count(sparse) AS sparse, sum(dense) AS dense, max(t) AS t FROM read_parquet('${path}')`,
    );
    let dense = 0;
    let sparse = 0;
    let keys = 0;
    for (let i = 0; i < ROWS; i++) {
      const row = rowsAt(i);
      if (row[0] !== null) keys++;
      if (row[3] !== null) sparse++;
      dense += row[2] as number;
    }
    expect(counts).toMatchObject({ n: String(ROWS), keys: String(keys), sparse: String(sparse) });
    expect(Number(counts?.dense)).toBeCloseTo(dense, 3);
    expect(String(counts?.t)).toBe(String(BigInt(Math.trunc(rowsAt(ROWS - 1)[1] as number))));
  });
});
