import type { DecodedArray } from 'hyparquet';

/** A cell as a row gives it: INT64 and DOUBLE columns take numbers, STRING columns text; null or undefined is null. */
export type Cell = string | number | null | undefined;

/** One column's values of the row group being gathered, handed to hyparquet-writer as its `data`. */
export interface ColumnBuffer {
  readonly length: number;
  push(value: Cell): void;
  /** The values gathered, as hyparquet-writer takes them; the buffer starts empty again. */
  take(): DecodedArray;
}

/** The buffer for a column of this Parquet type: numbers in typed arrays, text in an array. */
export function columnBuffer(name: string, type: 'INT64' | 'DOUBLE' | 'STRING'): ColumnBuffer {
  return type === 'STRING' ? new TextBuffer() : new NumberBuffer(name, type);
}

/** Rows a typed buffer holds at first; it doubles as rows come, up to a row group. */
const INITIAL_ROWS = 1_024;

/**
 * Numbers unboxed in a Float64Array, with a flag per null. A row group without nulls goes out as a typed array
 * (Float64Array for DOUBLE, BigInt64Array for INT64), which hyparquet-writer reads as it reads an array; one with
 * nulls as an array holding them, made only then. An INT64 is the number's integer part: `BigInt(Math.trunc(v))`.
 */
class NumberBuffer implements ColumnBuffer {
  private values = new Float64Array(INITIAL_ROWS);
  private nulls = new Uint8Array(INITIAL_ROWS);
  private nullCount = 0;
  length = 0;

  constructor(
    private readonly name: string,
    private readonly type: 'INT64' | 'DOUBLE',
  ) {}

  push(value: Cell): void {
    if (this.length === this.values.length) this.grow();
    if (typeof value === 'number') {
      this.values[this.length] = value;
      this.nulls[this.length] = 0;
    } else if (value === null || value === undefined || this.type === 'INT64') {
      // An INT64 cell that is not a number is null, as it always was here.
      this.nulls[this.length] = 1;
      this.nullCount++;
    } else {
      throw new Error(
        `column "${this.name}" (DOUBLE) takes numbers or null, got ${JSON.stringify(value)} at row ${this.length + 1} of its row group`,
      );
    }
    this.length++;
  }

  take(): DecodedArray {
    const n = this.length;
    const values = this.values;
    let data: DecodedArray;
    if (this.nullCount === 0) {
      if (this.type === 'DOUBLE') data = values.slice(0, n);
      else {
        const ints = new BigInt64Array(n);
        for (let i = 0; i < n; i++) ints[i] = BigInt(Math.trunc(values[i] as number));
        data = ints;
      }
    } else {
      const cells: (number | bigint | null)[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i] as number;
        cells[i] = this.nulls[i] === 1 ? null : this.type === 'DOUBLE' ? v : BigInt(Math.trunc(v));
      }
      data = cells as DecodedArray;
    }
    this.length = 0;
    this.nullCount = 0;
    return data;
  }

  private grow(): void {
    const values = new Float64Array(this.values.length * 2);
    values.set(this.values);
    this.values = values;
    const nulls = new Uint8Array(this.nulls.length * 2);
    nulls.set(this.nulls);
    this.nulls = nulls;
  }
}

/** Text as it comes (hyparquet-writer encodes it, once per distinct value where a dictionary pays). */
class TextBuffer implements ColumnBuffer {
  private values: (string | null)[] = [];

  get length(): number {
    return this.values.length;
  }

  push(value: Cell): void {
    this.values.push(value === undefined ? null : (value as string | null));
  }

  take(): DecodedArray {
    const values = this.values;
    this.values = [];
    return values as DecodedArray;
  }
}
