import { fileWriter, ParquetWriter, schemaFromColumnData } from 'hyparquet-writer';
import { snappyCompressor } from 'hysnappy';
import { AtomicFile } from '../files/atomic-file.js';

/**
 * A flat Parquet column, every one optional (null and undefined are written as null): INT64 takes a safe integer
 * (written as BigInt), DOUBLE any number, STRING a string. Any other value is refused (`append`).
 */
export interface TableColumn {
  readonly name: string;
  readonly type: 'INT64' | 'DOUBLE' | 'STRING';
}

type Cell = string | number | null | undefined;

/** What each column type holds besides null: the reason a value is refused, or undefined when it fits. */
const REFUSAL: Record<TableColumn['type'], (value: unknown) => string | undefined> = {
  INT64: (value) =>
    typeof value === 'number' && Number.isSafeInteger(value)
      ? undefined
      : 'an INT64 column takes a safe integer',
  DOUBLE: (value) => (typeof value === 'number' ? undefined : 'a DOUBLE column takes a number'),
  STRING: (value) => (typeof value === 'string' ? undefined : 'a STRING column takes a string'),
};

/** A value as an error message shows it: JSON where it has a spelling, else its String (NaN, a bigint). */
function shown(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Rows per row group: big enough for good compression, small enough that a reader's slice stays small. */
const ROW_GROUP = 50_000;

/**
 * Snappy in WebAssembly (hysnappy, from hyparquet's authors) instead of hyparquet-writer's JavaScript Snappy: the
 * same format, which every Snappy reader reads; writing a 98,000-row training set took about three quarters of the
 * time with it (measured alone, one core). Made on first use, one for the process.
 */
let snappy: ((input: Uint8Array) => Uint8Array) | undefined;
function snappyCompress(input: Uint8Array): Uint8Array {
  snappy ??= snappyCompressor();
  return snappy(input);
}

/**
 * Writes a flat Parquet file a row at a time: rows gather column by column and go out one row group at a time, so
 * memory holds one row group however many rows are written. The file appears at its path only when `close`
 * finishes it; until then (and after `abort`) an existing file there is left as it was.
 */
export class ParquetTableWriter {
  private readonly writer: ParquetWriter;
  private readonly file: AtomicFile;
  private readonly path: string;
  private buffers: Cell[][];
  rows = 0;

  /** `metadata`: key-value pairs for the file's footer (the spec version its features were computed under). */
  constructor(
    path: string,
    private readonly columns: readonly TableColumn[],
    metadata: readonly { key: string; value: string }[] = [],
  ) {
    this.path = path;
    this.file = new AtomicFile(path);
    const schema = schemaFromColumnData({
      columnData: columns.map((column) => ({
        name: column.name,
        data: [],
        type: column.type,
        nullable: true,
      })),
    });
    this.writer = new ParquetWriter({
      writer: fileWriter(this.file.temporary),
      schema,
      compressors: { SNAPPY: snappyCompress },
      ...(metadata.length > 0 ? { kvMetadata: [...metadata] } : {}),
    });
    this.buffers = columns.map(() => []);
  }

  /**
   * One row, its values in column order. A value its column cannot hold throws, naming the file, the column, the
   * row's index (from 0) and the value, and the row is not added: nothing is written but what was given.
   */
  append(values: readonly Cell[]): void {
    for (let c = 0; c < this.columns.length; c++) {
      const value = values[c];
      if (value === null || value === undefined) continue;
      const column = this.columns[c] as TableColumn;
      const refusal = REFUSAL[column.type](value);
      if (refusal !== undefined) {
        throw new Error(
          `${this.path}: row ${this.rows}, column "${column.name}": ${refusal}, got ${shown(value)}`,
        );
      }
    }
    for (let c = 0; c < this.columns.length; c++) (this.buffers[c] as Cell[]).push(values[c]);
    this.rows++;
    if ((this.buffers[0] as Cell[]).length >= ROW_GROUP) this.flush();
  }

  /** Writes the last row group and the footer, and puts the file in place. */
  close(): void {
    this.flush();
    this.writer.finish();
    this.file.commit();
  }

  /** Gives up: the unfinished file is removed, and nothing changes at the path. */
  abort(): void {
    this.file.discard();
  }

  private flush(): void {
    if ((this.buffers[0] as Cell[]).length === 0) return;
    const columnData = this.columns.map((column, c) => {
      const values = this.buffers[c] as Cell[];
      const data =
        column.type === 'INT64'
          ? values.map((v) => (typeof v === 'number' ? BigInt(v) : null))
          : values.map((v) => (v === undefined ? null : v));
      return { name: column.name, data, type: column.type, nullable: true };
    });
    this.writer.write({ columnData, rowGroupSize: ROW_GROUP });
    this.buffers = this.columns.map(() => []);
  }
}
