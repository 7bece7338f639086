/** The OpenX JSON SerDe's reading of records into Glue columns, and their Parquet encoding (hyparquet-writer). */

import type { TextDecoder } from 'node:util';
import { gzipSync } from 'node:zlib';
import { ByteWriter, parquetWrite, type SchemaElement } from 'hyparquet-writer';
import type { HiveField, HiveType } from './glue-columns.js';
import { jsonDocumentsOf } from './json-documents.js';
import { describe, isObject } from './values.js';

const PARQUET_ROW_GROUP = 100_000;

// ---------------------------------------------------------------------------------------------------------
// JSON → column values (the OpenX JSON SerDe's reading)

export class ConversionError extends Error {}

export interface SerDeOptions {
  readonly caseInsensitive: boolean;
  readonly dotsToUnderscores: boolean;
  /** Column name → the JSON key it reads. */
  readonly keyMappings: ReadonlyMap<string, string>;
}

const INTEGER = /^\s*[+-]?\d+\s*$/;
const DECIMAL = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;
const INT_BITS = { bigint: 64, int: 32, smallint: 16, tinyint: 8 } as const;

function keysOf(object: Record<string, unknown>, options: SerDeOptions): Map<string, unknown> {
  const keys = new Map<string, unknown>();
  for (const [key, value] of Object.entries(object)) {
    let normalized = options.dotsToUnderscores ? key.replaceAll('.', '_') : key;
    if (options.caseInsensitive) normalized = normalized.toLowerCase();
    keys.set(normalized, value);
  }
  return keys;
}

function lookup(keys: Map<string, unknown>, name: string, options: SerDeOptions): unknown {
  return keys.get(options.caseInsensitive ? name.toLowerCase() : name);
}

function integerOf(value: unknown, kind: keyof typeof INT_BITS, path: string): bigint | number {
  let big: bigint | undefined;
  if (typeof value === 'number' && Number.isInteger(value)) big = BigInt(value);
  else if (typeof value === 'string' && INTEGER.test(value)) big = BigInt(value.trim());
  if (big === undefined) throw new ConversionError(`${path}: ${describe(value)} is not a ${kind}`);
  const bits = BigInt(INT_BITS[kind] - 1);
  if (big < -(1n << bits) || big >= 1n << bits) {
    throw new ConversionError(`${path}: ${describe(value)} is out of range for a ${kind}`);
  }
  return kind === 'bigint' ? big : Number(big);
}

function convert(value: unknown, type: HiveType, path: string, options: SerDeOptions): unknown {
  if (value === null || value === undefined) return null;
  switch (type.kind) {
    case 'string':
      return typeof value === 'string' ? value : JSON.stringify(value);
    case 'bigint':
    case 'int':
    case 'smallint':
    case 'tinyint':
      return integerOf(value, type.kind, path);
    case 'double':
    case 'float':
      if (typeof value === 'number') return value;
      if (typeof value === 'string' && DECIMAL.test(value)) return Number(value);
      throw new ConversionError(`${path}: ${describe(value)} is not a ${type.kind}`);
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
      throw new ConversionError(`${path}: ${describe(value)} is not a boolean`);
    case 'struct': {
      if (!isObject(value))
        throw new ConversionError(`${path}: ${describe(value)} is not a JSON object (struct)`);
      const keys = keysOf(value, options);
      const out: Record<string, unknown> = {};
      for (const field of type.fields) {
        out[field.name] = convert(
          lookup(keys, field.name, options),
          field.type,
          `${path}.${field.name}`,
          options,
        );
      }
      return out;
    }
    case 'map': {
      if (!isObject(value))
        throw new ConversionError(`${path}: ${describe(value)} is not a JSON object (map)`);
      return Object.entries(value).map(([key, entry]) => ({
        key: convert(key, type.key, `${path} key`, options),
        value: convert(entry, type.value, `${path}[${JSON.stringify(key)}]`, options),
      }));
    }
    case 'array':
      if (!Array.isArray(value)) throw new ConversionError(`${path}: ${describe(value)} is not a JSON array`);
      return value.map((element, i) => convert(element, type.element, `${path}[${i}]`, options));
  }
}

/**
 * One record's rows, in column order: one for each JSON document it holds (json-documents.ts). Throws
 * ConversionError when the record is not text or any of its documents fails: the whole record then goes to the
 * error output, as a record is the unit Firehose delivers or fails.
 */
export function rowsOf(
  data: Buffer,
  columns: readonly HiveField[],
  options: SerDeOptions,
  decoder: TextDecoder,
): unknown[][] {
  let text: string;
  try {
    text = decoder.decode(data);
  } catch {
    throw new ConversionError('the record is not UTF-8 text');
  }
  const documents = jsonDocumentsOf(text);
  if (documents.length === 0) throw new ConversionError('the record is not JSON: it is empty');
  if (documents.length === 1) return [rowOf(documents[0] as string, columns, options, 'the record')];
  return documents.map((document, i) => rowOf(document, columns, options, `document ${i + 1} of the record`));
}

/** One JSON document's row, in column order; throws ConversionError naming `what`. */
function rowOf(text: string, columns: readonly HiveField[], options: SerDeOptions, what: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConversionError(`${what} is not JSON: ${(error as Error).message}`);
  }
  if (!isObject(parsed)) throw new ConversionError(`${what} is not a JSON object: ${describe(parsed)}`);
  const keys = keysOf(parsed, options);
  return columns.map((column) => {
    const key = options.keyMappings.get(column.name);
    const value =
      key === undefined
        ? lookup(keys, column.name, options)
        : lookup(keys, options.caseInsensitive ? key.toLowerCase() : key, options);
    return convert(value, column.type, column.name, options);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Parquet

export function parquetSchema(columns: readonly HiveField[]): SchemaElement[] {
  const schema: SchemaElement[] = [{ name: 'root', num_children: columns.length }];
  const add = (name: string, type: HiveType, repetition: 'OPTIONAL' | 'REQUIRED') => {
    const base = { name, repetition_type: repetition } as const;
    switch (type.kind) {
      case 'bigint':
        schema.push({ ...base, type: 'INT64' });
        return;
      case 'int':
        schema.push({ ...base, type: 'INT32' });
        return;
      case 'smallint':
        schema.push({ ...base, type: 'INT32', converted_type: 'INT_16' });
        return;
      case 'tinyint':
        schema.push({ ...base, type: 'INT32', converted_type: 'INT_8' });
        return;
      case 'double':
        schema.push({ ...base, type: 'DOUBLE' });
        return;
      case 'float':
        schema.push({ ...base, type: 'FLOAT' });
        return;
      case 'boolean':
        schema.push({ ...base, type: 'BOOLEAN' });
        return;
      case 'string':
        schema.push({ ...base, type: 'BYTE_ARRAY', converted_type: 'UTF8' });
        return;
      case 'struct':
        schema.push({ ...base, num_children: type.fields.length });
        for (const field of type.fields) add(field.name, field.type, 'OPTIONAL');
        return;
      case 'map':
        schema.push({ ...base, converted_type: 'MAP', num_children: 1 });
        schema.push({ name: 'key_value', repetition_type: 'REPEATED', num_children: 2 });
        add('key', type.key, 'REQUIRED');
        add('value', type.value, 'OPTIONAL');
        return;
      case 'array':
        schema.push({ ...base, converted_type: 'LIST', num_children: 1 });
        schema.push({ name: 'list', repetition_type: 'REPEATED', num_children: 1 });
        add('element', type.element, 'OPTIONAL');
        return;
    }
  };
  for (const column of columns) add(column.name, column.type, 'OPTIONAL');
  return schema;
}

/** A ByteWriter that lets the event loop run between row groups. */
class YieldingWriter extends ByteWriter {
  flush(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }
}

export const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** One Parquet file of the rows (in column order), written with the stream's codec and page size. */
export async function encodeParquet(
  columns: readonly HiveField[],
  rows: readonly unknown[][],
  options: {
    readonly schema: SchemaElement[];
    readonly codec: 'SNAPPY' | 'GZIP' | 'UNCOMPRESSED';
    readonly pageSize: number | undefined;
  },
): Promise<Uint8Array> {
  const writer = new YieldingWriter();
  const { codec, pageSize, schema } = options;
  await parquetWrite({
    writer,
    schema,
    columnData: columns.map((column, c) => ({ name: column.name, data: rows.map((row) => row[c]) })),
    codec,
    ...(codec === 'GZIP' ? { compressors: { GZIP: (input: Uint8Array) => gzipSync(input) } } : {}),
    ...(pageSize === undefined ? {} : { pageSize }),
    rowGroupSize: PARQUET_ROW_GROUP,
    createdBy: 'streamfeatures local Firehose (hyparquet-writer)',
  });
  return writer.getBytes();
}
