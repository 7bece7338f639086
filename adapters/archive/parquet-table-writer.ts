import type { ColumnChunk, FileMetaData, RowGroup, SchemaElement } from 'hyparquet';
import { fileWriter, schemaFromColumnData } from 'hyparquet-writer';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import type { Writer } from 'hyparquet-writer/src/types.js';
import { snappyCompressor } from 'hysnappy';
import { AtomicFile } from '../files/atomic-file.js';
import { writeColumnChunk } from './parquet-column-chunk.js';

/**
 * A flat Parquet column, every one optional (null and undefined are written as null): INT64 takes a safe integer,
 * DOUBLE any number, STRING a string. Any other value is refused (`append`).
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
/** Rows a new writer makes room for: a small file (an hour of a test archive) holds no row group's worth. */
const FIRST_CAPACITY = 1_024;

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

const KIND = { INT64: 0, DOUBLE: 1, STRING: 2 } as const;

/**
 * Writes a flat Parquet file a row at a time: rows gather column by column, numbers in typed arrays (no value is
 * boxed or kept as an object), and go out one row group at a time (parquet-column-chunk.ts), so memory holds one
 * row group however many rows are written. The file appears at its path only when `close` finishes it; until then
 * (and after `abort`) an existing file there is left as it was.
 */
export class ParquetTableWriter {
  private readonly writer: Writer;
  private readonly file: AtomicFile;
  private readonly path: string;
  private readonly schema: SchemaElement[];
  private readonly kinds: number[];
  /** Per column, REFUSAL for its type. */
  private readonly refusals: ((value: unknown) => string | undefined)[];
  private readonly rowGroups: RowGroup[] = [];
  private readonly metadata: readonly { key: string; value: string }[];
  private capacity = FIRST_CAPACITY;
  private present: Uint8Array[];
  private numbers: (Float64Array | undefined)[];
  private readonly strings: ((string | undefined)[] | undefined)[];
  /** Rows in the row group being gathered. */
  private buffered = 0;
  rows = 0;

  /** `metadata`: key-value pairs for the file's footer (the spec version its features were computed under). */
  constructor(
    path: string,
    private readonly columns: readonly TableColumn[],
    metadata: readonly { key: string; value: string }[] = [],
  ) {
    this.path = path;
    this.metadata = metadata;
    this.file = new AtomicFile(path);
    this.schema = schemaFromColumnData({
      columnData: columns.map((column) => ({
        name: column.name,
        data: [],
        type: column.type,
        nullable: true,
      })),
    });
    this.writer = fileWriter(this.file.temporary);
    this.writer.appendUint32(PARQUET_MAGIC);
    this.kinds = columns.map((column) => KIND[column.type]);
    this.refusals = columns.map((column) => REFUSAL[column.type]);
    this.present = columns.map(() => new Uint8Array(this.capacity));
    this.numbers = this.kinds.map((kind) =>
      kind === KIND.STRING ? undefined : new Float64Array(this.capacity),
    );
    this.strings = this.kinds.map((kind) => (kind === KIND.STRING ? [] : undefined));
  }

  /**
   * One row, its values in column order. A value its column cannot hold throws, naming the file, the column, the
   * row's index (from 0) and the value, and the row is not added: nothing is written but what was given.
   */
  append(values: readonly Cell[]): void {
    const row = this.buffered;
    if (row === this.capacity) this.grow();
    // Each value goes to its slot as it is checked: a refused row's slots are simply taken by the next row.
    for (let c = 0; c < this.kinds.length; c++) {
      const value = values[c];
      const present = this.present[c] as Uint8Array;
      if (value === null || value === undefined) {
        present[row] = 0;
        continue;
      }
      const refusal = (this.refusals[c] as (value: unknown) => string | undefined)(value);
      if (refusal !== undefined) this.refuse(c, refusal, value);
      if (this.kinds[c] === KIND.STRING) (this.strings[c] as (string | undefined)[])[row] = value as string;
      else (this.numbers[c] as Float64Array)[row] = value as number;
      present[row] = 1;
    }
    this.buffered++;
    this.rows++;
    if (this.buffered >= ROW_GROUP) this.flush();
  }

  /** Writes the last row group and the footer, and puts the file in place. */
  close(): void {
    this.flush();
    writeMetadata(this.writer, {
      version: 2,
      created_by: 'hyparquet',
      schema: this.schema,
      num_rows: BigInt(this.rows),
      row_groups: this.rowGroups,
      metadata_length: 0,
      ...(this.metadata.length > 0 ? { key_value_metadata: [...this.metadata] } : {}),
    } as FileMetaData);
    this.writer.appendUint32(PARQUET_MAGIC);
    this.writer.finish();
    this.file.commit();
  }

  /** Gives up: the unfinished file is removed, and nothing changes at the path. */
  abort(): void {
    this.file.discard();
  }

  private refuse(c: number, refusal: string, value: unknown): never {
    const column = this.columns[c] as TableColumn;
    throw new Error(
      `${this.path}: row ${this.rows}, column "${column.name}": ${refusal}, got ${shown(value)}`,
    );
  }

  private grow(): void {
    const capacity = Math.min(ROW_GROUP, this.capacity * 2);
    this.present = this.present.map((old) => {
      const grown = new Uint8Array(capacity);
      grown.set(old);
      return grown;
    });
    this.numbers = this.numbers.map((old) => {
      if (!old) return undefined;
      const grown = new Float64Array(capacity);
      grown.set(old);
      return grown;
    });
    this.capacity = capacity;
  }

  private flush(): void {
    const rows = this.buffered;
    if (rows === 0) return;
    const start = this.writer.offset;
    const columns: ColumnChunk[] = [];
    let uncompressed = 0n;
    for (let c = 0; c < this.columns.length; c++) {
      const chunk = writeColumnChunk(
        this.writer,
        (this.columns[c] as TableColumn).name,
        {
          type: (this.columns[c] as TableColumn).type,
          rows,
          present: this.present[c] as Uint8Array,
          numbers: this.numbers[c] ?? NO_NUMBERS,
          strings: this.strings[c] ?? [],
        },
        snappyCompress,
      );
      uncompressed += chunk.meta_data?.total_uncompressed_size ?? 0n;
      columns.push(chunk);
    }
    this.rowGroups.push({
      columns,
      total_byte_size: uncompressed,
      num_rows: BigInt(rows),
      total_compressed_size: BigInt(this.writer.offset - start),
    });
    this.writer.flush?.();
    this.buffered = 0;
  }
}

const PARQUET_MAGIC = 0x31524150;
const NO_NUMBERS = new Float64Array(0);
