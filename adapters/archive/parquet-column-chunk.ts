import type { ColumnChunk, Statistics } from 'hyparquet';
import { serializeTCompactProtocol } from 'hyparquet-writer/src/thrift.js';
import type { Writer } from 'hyparquet-writer/src/types.js';

/**
 * One column chunk of a flat, optional Parquet column, encoded straight from the table writer's typed buffers: a
 * single DATA_PAGE_V2 (definition levels, then PLAIN values compressed), with the chunk's statistics (null count;
 * min and max as hyparquet-writer keeps them: NaN left out, -0 for a zero min and +0 for a zero max, strings in
 * UTF-8 byte order). hyparquet-writer took the values as one boxed array per column, copied them for nulls, pages
 * and statistics, and sampled each for a dictionary: a 29,000-row training set spent more time there than in its
 * 87,000 point-in-time reads. The file's footer is still hyparquet-writer's (ParquetTableWriter).
 */

/** A column's values for one row group: numbers (INT64 and DOUBLE) or strings, and which rows hold one. */
export interface ChunkValues {
  readonly type: 'INT64' | 'DOUBLE' | 'STRING';
  readonly rows: number;
  /** 1 where the row holds a value, 0 where it is null. */
  readonly present: Uint8Array;
  readonly numbers: Float64Array;
  readonly strings: readonly (string | undefined)[];
}

/** Page types, encodings and codecs as Parquet's Thrift enums number them. */
const DATA_PAGE_V2 = 3;
const PLAIN = 0;
/** Bit-packed runs of at most 63 groups of 8 levels: one header byte each, as parquet-mr writes them. */
const GROUPS_PER_RUN = 63;

/** Writes the chunk at the writer's offset; returns its metadata for the footer. */
export function writeColumnChunk(
  writer: Writer,
  name: string,
  values: ChunkValues,
  compress: (input: Uint8Array) => Uint8Array,
): ColumnChunk {
  const start = writer.offset;
  const { rows, present } = values;
  let nulls = 0;
  for (let i = 0; i < rows; i++) nulls += 1 - (present[i] as number);
  const levels = definitionLevels(present, rows, nulls);
  const plain =
    values.type === 'STRING' ? plainStrings(values) : plainNumbers(values, values.type === 'INT64');
  const compressed = compress(plain);
  serializeTCompactProtocol(writer, {
    field_1: DATA_PAGE_V2,
    field_2: levels.length + plain.length,
    field_3: levels.length + compressed.length,
    field_8: {
      field_1: rows,
      field_2: nulls,
      field_3: rows,
      field_4: PLAIN,
      field_5: levels.length,
      field_6: 0,
    },
  });
  const headerBytes = writer.offset - start;
  writer.appendBytes(levels);
  writer.appendBytes(compressed);
  return {
    file_offset: BigInt(start),
    meta_data: {
      type: values.type === 'STRING' ? 'BYTE_ARRAY' : values.type,
      encodings: ['PLAIN', 'RLE'],
      path_in_schema: [name],
      codec: 'SNAPPY',
      num_values: BigInt(rows),
      total_uncompressed_size: BigInt(headerBytes + levels.length + plain.length),
      total_compressed_size: BigInt(writer.offset - start),
      data_page_offset: BigInt(start),
      statistics: statisticsOf(values, nulls),
      encoding_stats: [{ page_type: 'DATA_PAGE_V2', encoding: 'PLAIN', count: 1 }],
    },
  };
}

/**
 * Definition levels (bit width 1) in the RLE/bit-packed hybrid: one run when every row is null or none is, else
 * bit-packed runs, eight levels a byte, the first row in the lowest bit.
 */
function definitionLevels(present: Uint8Array, rows: number, nulls: number): Uint8Array {
  if (rows === 0) return new Uint8Array(0);
  if (nulls === 0 || nulls === rows) {
    const out = scratch(10);
    const n = writeVarInt(out, 0, rows * 2);
    out[n] = nulls === 0 ? 1 : 0;
    return copied(out, n + 1);
  }
  const groups = Math.ceil(rows / 8);
  const out = scratch(groups + Math.ceil(groups / GROUPS_PER_RUN) * 2);
  let at = 0;
  for (let group = 0; group < groups; group += GROUPS_PER_RUN) {
    const inRun = Math.min(GROUPS_PER_RUN, groups - group);
    out[at++] = (inRun << 1) | 1;
    for (let g = group; g < group + inRun; g++) {
      let byte = 0;
      const first = g * 8;
      const last = Math.min(first + 8, rows);
      for (let i = first; i < last; i++) byte |= (present[i] as number) << (i - first);
      out[at++] = byte;
    }
  }
  return copied(out, at);
}

/** PLAIN numbers, little-endian: 8-byte IEEE doubles, or 8-byte two's-complement integers from safe integers. */
function plainNumbers(values: ChunkValues, integer: boolean): Uint8Array {
  const { rows, present, numbers } = values;
  const out = scratch(rows * 8);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let at = 0;
  for (let i = 0; i < rows; i++) {
    if (present[i] === 0) continue;
    const value = numbers[i] as number;
    if (integer) {
      // Both halves of a safe integer without a BigInt: the low 32 bits, then the rest (negative stays negative).
      view.setUint32(at, value >>> 0, true);
      view.setInt32(at + 4, Math.floor(value / 4294967296), true);
    } else view.setFloat64(at, value, true);
    at += 8;
  }
  return out.subarray(0, at);
}

/** PLAIN byte arrays: each a 4-byte little-endian length, then its UTF-8 bytes. */
function plainStrings(values: ChunkValues): Uint8Array {
  const { rows, present, strings } = values;
  let bound = 0;
  for (let i = 0; i < rows; i++) if (present[i] === 1) bound += 4 + (strings[i] as string).length * 3;
  const out = scratch(bound);
  let at = 0;
  for (let i = 0; i < rows; i++) {
    if (present[i] === 0) continue;
    const text = strings[i] as string;
    const start = at + 4;
    let end = start;
    // ASCII byte by byte (ids, keys, country codes); anything else through the UTF-8 encoder.
    for (let c = 0; c < text.length; c++) {
      const code = text.charCodeAt(c);
      if (code >= 0x80) {
        end = start + out.write(text, start, 'utf8');
        break;
      }
      out[end++] = code;
    }
    const length = end - start;
    out[at] = length & 0xff;
    out[at + 1] = (length >>> 8) & 0xff;
    out[at + 2] = (length >>> 16) & 0xff;
    out[at + 3] = length >>> 24;
    at = end;
  }
  return out.subarray(0, at);
}

/** The chunk's statistics, as hyparquet-writer computed them. */
function statisticsOf(values: ChunkValues, nulls: number): Statistics {
  const { type, rows, present, numbers, strings } = values;
  const statistics: Statistics & { nan_count?: bigint } = { null_count: BigInt(nulls) };
  if (type === 'STRING') {
    let min: string | undefined;
    let max: string | undefined;
    for (let i = 0; i < rows; i++) {
      if (present[i] === 0) continue;
      const text = strings[i] as string;
      if (min === undefined || compareUtf8(text, min) < 0) min = text;
      if (max === undefined || compareUtf8(text, max) > 0) max = text;
    }
    if (min !== undefined) statistics.min_value = min;
    if (max !== undefined) statistics.max_value = max;
    return statistics;
  }
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let seen = false;
  let nans = 0;
  for (let i = 0; i < rows; i++) {
    if (present[i] === 0) continue;
    const value = numbers[i] as number;
    if (Number.isNaN(value)) {
      nans++;
      continue;
    }
    seen = true;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  if (type === 'DOUBLE') statistics.nan_count = BigInt(nans);
  if (seen) {
    // Parquet's rule for signed zeros: a zero min is written -0, a zero max +0.
    statistics.min_value = type === 'INT64' ? BigInt(min) : min === 0 ? -0 : min;
    statistics.max_value = type === 'INT64' ? BigInt(max) : max === 0 ? 0 : max;
  }
  return statistics;
}

/**
 * Strings in UTF-8 byte order, which is code point order: JavaScript's `<` compares UTF-16 code units, which puts
 * characters past U+FFFF (surrogate pairs) before U+E000..U+FFFF. Lone surrogates compare as U+FFFD, as they encode.
 */
export function compareUtf8(left: string, right: string): number {
  if (left === right) return 0;
  const length = Math.min(left.length, right.length);
  let i = 0;
  while (i < length && left.charCodeAt(i) === right.charCodeAt(i)) i++;
  if (i === length) return left.length - right.length;
  const a = left.charCodeAt(i);
  const b = right.charCodeAt(i);
  if (a < 0xd800 && b < 0xd800) return a - b;
  // Back up to the start of a pair whose high half matched, then compare code points.
  if (i > 0 && isHighSurrogate(left.charCodeAt(i - 1))) i--;
  while (i < left.length && i < right.length) {
    const x = codePoint(left, i);
    const y = codePoint(right, i);
    if (x !== y) return x - y;
    i += x > 0xffff ? 2 : 1;
  }
  return left.length - right.length;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function codePoint(text: string, i: number): number {
  const code = text.codePointAt(i) ?? 0xfffd;
  return code >= 0xd800 && code <= 0xdfff ? 0xfffd : code;
}

function writeVarInt(out: Uint8Array, at: number, value: number): number {
  let n = at;
  let rest = value;
  while (rest > 0x7f) {
    out[n++] = (rest & 0x7f) | 0x80;
    rest = Math.floor(rest / 128);
  }
  out[n++] = rest;
  return n;
}

/**
 * One buffer for every page encoded (a page is copied out before the next is encoded), grown as needed: pages make
 * no garbage of their own but the compressed copy.
 */
let buffer = Buffer.allocUnsafeSlow(1 << 16);
function scratch(bytes: number): Buffer {
  if (buffer.length < bytes) buffer = Buffer.allocUnsafeSlow(Math.max(bytes, buffer.length * 2));
  return buffer;
}

/** The first `bytes` of the scratch buffer as an array of their own (Buffer's `slice` would share them). */
function copied(from: Buffer, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  out.set(from.subarray(0, bytes));
  return out;
}
