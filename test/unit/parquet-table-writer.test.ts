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
    1_700_000_000_000 + i * 1000 + (i % 1000),
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
      expect(rows[i]).toEqual({ key, t: BigInt(t as number), dense, sparse });
    }
    expect(Object.is(rows[3]?.dense, -0)).toBe(true);
    const mismatched = rows.findIndex((row, i) => {
      const [key, t, dense, sparse] = rowsAt(i);
      return row.key !== key || row.t !== BigInt(t as number) || row.dense !== dense || row.sparse !== sparse;
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
    expect(String(counts?.t)).toBe(String(rowsAt(ROWS - 1)[1]));
  });

  describe('refuses a value its column cannot hold, naming the file, column, row and value', () => {
    /** Appends two good rows, then `bad` in the column `name`; the refused row is not added. */
    function refused(name: string, bad: unknown): string {
      const path = join(dir, `refused-${name}.parquet`);
      const writer = new ParquetTableWriter(path, columns);
      writer.append(['a', 1, 0.5, null]);
      writer.append(['b', 2, 1.5, 2.5]);
      const row = ['c', 3, 2.5, 3.5] as unknown[];
      row[columns.findIndex((column) => column.name === name)] = bad;
      let message = '';
      try {
        writer.append(row as (string | number | null)[]);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(writer.rows).toBe(2);
      writer.abort();
      return message;
    }

    it.each([
      [1.5, '1.5'],
      [Number.NaN, 'NaN'],
      [2 ** 53, '9007199254740992'],
      ['7', '"7"'],
      [true, 'true'],
    ])('INT64 refuses %s', (bad, shown) => {
      expect(refused('t', bad)).toBe(
        `${join(dir, 'refused-t.parquet')}: row 2, column "t": an INT64 column takes a safe integer, got ${shown}`,
      );
    });

    it.each([
      ['0.5', '"0.5"'],
      [false, 'false'],
      [{ x: 1 }, '{"x":1}'],
    ])('DOUBLE refuses %s', (bad, shown) => {
      expect(refused('dense', bad)).toBe(
        `${join(dir, 'refused-dense.parquet')}: row 2, column "dense": a DOUBLE column takes a number, got ${shown}`,
      );
    });

    it.each([
      [42, '42'],
      [['k'], '["k"]'],
      [10n, '10'],
    ])('STRING refuses %s', (bad, shown) => {
      expect(refused('key', bad)).toBe(
        `${join(dir, 'refused-key.parquet')}: row 2, column "key": a STRING column takes a string, got ${shown}`,
      );
    });
  });

  it('writes null and undefined as null in every column type, and NaN and infinities in a DOUBLE as given', async () => {
    const path = join(dir, 'nulls.parquet');
    const writer = new ParquetTableWriter(path, columns);
    writer.append([null, null, Number.NaN, undefined]);
    writer.append([undefined, undefined, Number.POSITIVE_INFINITY, null]);
    writer.append(['k', -(2 ** 53 - 1), Number.NEGATIVE_INFINITY, -0.25]);
    writer.close();
    const rows = await parquetReadObjects({ file: await asyncBufferFromFile(path) });
    expect(rows).toEqual([
      { key: null, t: null, dense: Number.NaN, sparse: null },
      { key: null, t: null, dense: Number.POSITIVE_INFINITY, sparse: null },
      { key: 'k', t: -(2n ** 53n - 1n), dense: Number.NEGATIVE_INFINITY, sparse: -0.25 },
    ]);
  });
});

describe('ParquetTableWriter statistics and text', () => {
  it('keeps each row group’s null count, min and max: NaN left out, zeros signed as Parquet says, text in UTF-8 order', async () => {
    const path = join(dir, 'statistics.parquet');
    const writer = new ParquetTableWriter(path, columns);
    // '\u{1F600}' (a surrogate pair) sorts after '\uFFFD' in UTF-8, though before it in UTF-16 code units.
    writer.append(['\u{1F600}', 5, 0, Number.NaN]);
    writer.append(['\uFFFD', -(2 ** 40), 2.5, null]);
    writer.append(['é', null, -1.5, 0]);
    writer.append([null, 7, Number.NaN, null]);
    writer.close();
    const file = await asyncBufferFromFile(path);
    const [group] = (await parquetMetadataAsync(file)).row_groups;
    const statistics = group?.columns.map((chunk) => chunk.meta_data?.statistics);
    expect(statistics?.[0]).toMatchObject({ null_count: 1n, min_value: 'é', max_value: '\u{1F600}' });
    expect(statistics?.[1]).toMatchObject({ null_count: 1n, min_value: -(2n ** 40n), max_value: 7n });
    expect(statistics?.[2]).toMatchObject({ null_count: 0n, min_value: -1.5, max_value: 2.5 });
    expect(Object.is(statistics?.[3]?.min_value, -0)).toBe(true);
    expect(Object.is(statistics?.[3]?.max_value, 0)).toBe(true);
    expect(statistics?.[3]?.null_count).toBe(2n);
    const rows = await parquetReadObjects({ file });
    expect(rows.map((row) => row.key)).toEqual(['\u{1F600}', '\uFFFD', 'é', null]);
  });

  it('writes a column with every row null, and a file with no rows', async () => {
    const empty = join(dir, 'empty.parquet');
    const none = new ParquetTableWriter(empty, columns);
    none.close();
    expect(await parquetReadObjects({ file: await asyncBufferFromFile(empty) })).toEqual([]);
    const path = join(dir, 'all-null.parquet');
    const writer = new ParquetTableWriter(path, columns);
    for (let i = 0; i < 1_500; i++) writer.append([`k${i}`, i, null, null]);
    writer.close();
    const rows = await parquetReadObjects({ file: await asyncBufferFromFile(path) });
    expect(rows).toHaveLength(1_500);
    expect(rows.every((row, i) => row.key === `k${i}` && row.t === BigInt(i) && row.dense === null)).toBe(
      true,
    );
  });
});
