/**
 * A local Amazon Data Firehose for the embedded local cloud: DirectPut delivery streams into S3, as the CDK app
 * defines them (lib/offline-dataset.ts). It speaks Firehose's JSON protocol (`X-Amz-Target:
 * Firehose_20150804.<Operation>`), so the gateway's `firehose` route reaches it and the AWS SDK's
 * FirehoseClient works unchanged.
 *
 * Operations: CreateDeliveryStream, DescribeDeliveryStream, ListDeliveryStreams, DeleteDeliveryStream,
 * PutRecord, PutRecordBatch. A stream is created by the API (its Glue table's columns registered first with
 * `registerGlueTable`, as there is no Glue emulator) or from the template with `createFromTemplate`.
 *
 * As AWS does:
 * - Buffers per stream and delivers when the buffer holds `BufferingHints.SizeInMBs` or its oldest record has
 *   waited `IntervalInSeconds` (and on `flush()` / `stop()`); deliveries of one stream happen in order.
 * - Object keys `<evaluated prefix><stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid><extension>`, dated (prefix and
 *   suffix) by the arrival time of the oldest record in the object, in UTC or `CustomTimeZone`. A prefix without
 *   expressions gets `YYYY/MM/dd/HH/` appended; `!{timestamp:<Java DateTimeFormatter pattern>}`,
 *   `!{firehose:random-string}` and (error prefix only) `!{firehose:error-output-type}` are evaluated; a prefix
 *   with expressions needs an ErrorOutputPrefix.
 * - Data format conversion (OpenX or Hive JSON SerDe in, Parquet out): one JSON object per record (surrounding
 *   whitespace and newlines trimmed), mapped to the Glue columns by name, case-insensitively unless
 *   `CaseInsensitive: false`, with `ColumnToJsonKeyMappings` and `ConvertDotsInJsonKeysToUnderscores`; a missing
 *   key is null. Nested types are real Parquet nested types: struct → group, map → MAP, array → LIST.
 *   A record that is not a JSON object, or whose value does not fit its column's type, goes to the error prefix
 *   (`format-conversion-failed`) as the documented JSON document (rawData in base64), one per line.
 * - PutRecordBatch: at most 500 records and 4 MiB of data, a record at most 1,000 KiB; per-record failures are
 *   reported in `RequestResponses` with `FailedPutCount` (only the optional throughput limits produce them).
 *
 * Differences from AWS (the local cloud's choices):
 * - Streams are ACTIVE as soon as CreateDeliveryStream returns; objects are not KMS-encrypted (the local S3 has
 *   no KMS), though `Encrypted` answers true when the stream asks for SSE; no CloudWatch logs or metrics.
 * - Type coercion follows the OpenX SerDe's lenient reading as documented, not its Java code: numeric strings
 *   are read into numeric columns, a number or boolean into a string column is its JSON text, an object or array
 *   into a string column is its JSON text; integers above 2^53 lose precision (JSON.parse).
 * - Column types: bigint, int, smallint, tinyint, double, float, string, varchar, char, boolean, struct, map,
 *   array. decimal, timestamp, date and binary fail CreateDeliveryStream with a message saying so, as do ORC
 *   output, Lambda processors, dynamic partitioning, Iceberg and the other destinations, and SNAPPY/ZIP/
 *   HADOOP_SNAPPY object compression (UNCOMPRESSED and GZIP are supported).
 * - A failed S3 delivery is retried with backoff (AWS retries for up to 24 hours); `stop()` gives up after a few
 *   attempts and reports the records it could not deliver.
 * - Conversion and Parquet encoding run on this process's event loop, yielding between chunks.
 * - Error documents always carry ErrorCode `DataFormatConversion.MalformedData` and our own ErrorMessage. Without
 *   an ErrorOutputPrefix (allowed when the Prefix has no expressions) errors go under
 *   `<Prefix>format-conversion-failed/yyyy/MM/dd/HH/`; an ErrorOutputPrefix without expressions gets
 *   `<error-output-type>/yyyy/MM/dd/HH/` appended. Both follow the documented defaults, unchecked against AWS.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TextDecoder } from 'node:util';
import { gzipSync } from 'node:zlib';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { ByteWriter, parquetWrite, type SchemaElement } from 'hyparquet-writer';

const TARGET_PREFIX = 'Firehose_20150804.';
const MIB = 1024 * 1024;
const MAX_BATCH_RECORDS = 500;
const MAX_BATCH_BYTES = 4 * MIB;
const MAX_RECORD_BYTES = 1_024_000;
/** The HTTP body of one call: 4 MiB of data in base64, plus the JSON around it. */
const MAX_REQUEST_BYTES = 8 * MIB;
/** Objects above this go up in multipart uploads of parts this size (fauxqs takes at most 11 MiB a request). */
const MULTIPART_PART_BYTES = 8 * MIB;
const CONVERSION_CHUNK = 2_000;
const PARQUET_ROW_GROUP = 100_000;
const DEFAULT_TIME_PREFIX = 'yyyy/MM/dd/HH/';
/** The stream version in object names and DescribeDeliveryStream (no UpdateDestination here). */
const STREAM_VERSION = 1;

// ---------------------------------------------------------------------------------------------------------
// Errors

/** An error the API answers with: `{"__type": type, "message": ...}`. */
export class FirehoseApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = type;
  }
}

const invalidArgument = (message: string) => new FirehoseApiError('InvalidArgumentException', message);
const validation = (message: string) => new FirehoseApiError('ValidationException', message);

// ---------------------------------------------------------------------------------------------------------
// Glue (Hive) column types

/** A Glue column as the template's `TableInput.StorageDescriptor.Columns` (or the Glue API) spells it. */
export type GlueColumn =
  | { readonly Name: string; readonly Type: string }
  | { readonly name: string; readonly type: string };

export type HiveType =
  | { readonly kind: 'bigint' | 'int' | 'smallint' | 'tinyint' | 'double' | 'float' | 'string' | 'boolean' }
  | { readonly kind: 'struct'; readonly fields: readonly HiveField[] }
  | { readonly kind: 'map'; readonly key: HiveType; readonly value: HiveType }
  | { readonly kind: 'array'; readonly element: HiveType };

export interface HiveField {
  readonly name: string;
  readonly type: HiveType;
}

const PRIMITIVES: Readonly<Record<string, HiveType>> = {
  bigint: { kind: 'bigint' },
  int: { kind: 'int' },
  integer: { kind: 'int' },
  smallint: { kind: 'smallint' },
  tinyint: { kind: 'tinyint' },
  double: { kind: 'double' },
  float: { kind: 'float' },
  string: { kind: 'string' },
  boolean: { kind: 'boolean' },
};

/** Parses a Hive type as Glue stores it: `bigint`, `struct<a:double,b:string>`, `map<string,array<int>>`. */
export function parseHiveType(text: string): HiveType {
  let pos = 0;
  const fail = (what: string): never => {
    throw invalidArgument(
      `Glue column type ${JSON.stringify(text)}: ${what} at position ${pos}. The local Firehose reads bigint, ` +
        'int, smallint, tinyint, double, float, string, varchar, char, boolean, struct, map and array.',
    );
  };
  const skip = () => {
    while (pos < text.length && /\s/.test(text[pos] as string)) pos++;
  };
  const name = (): string => {
    skip();
    const quoted = text[pos] === '`';
    const match = (quoted ? /^`([^`]+)`/ : /^([A-Za-z0-9_]+)/).exec(text.slice(pos));
    if (!match) return fail('expected a name');
    pos += match[0].length;
    return match[1] as string;
  };
  const expect = (ch: string) => {
    skip();
    if (text[pos] !== ch) fail(`expected "${ch}"`);
    pos++;
  };
  const type = (): HiveType => {
    const word = name().toLowerCase();
    const primitive = PRIMITIVES[word];
    if (primitive) return primitive;
    switch (word) {
      case 'varchar':
      case 'char':
        expect('(');
        name();
        expect(')');
        return PRIMITIVES.string as HiveType;
      case 'struct': {
        expect('<');
        const fields: HiveField[] = [];
        do {
          const fieldName = name();
          expect(':');
          fields.push({ name: fieldName, type: type() });
          skip();
        } while (text[pos] === ',' && ++pos);
        expect('>');
        return { kind: 'struct', fields };
      }
      case 'map': {
        expect('<');
        const key = type();
        if (key.kind === 'struct' || key.kind === 'map' || key.kind === 'array')
          fail('a map key must be primitive');
        expect(',');
        const value = type();
        expect('>');
        return { kind: 'map', key, value };
      }
      case 'array': {
        expect('<');
        const element = type();
        expect('>');
        return { kind: 'array', element };
      }
      default:
        return fail(`type "${word}" is not supported`);
    }
  };
  const parsed = type();
  skip();
  if (pos !== text.length) fail('unexpected text');
  return parsed;
}

function glueFields(columns: readonly GlueColumn[]): HiveField[] {
  return columns.map((column) => {
    const name = 'Name' in column ? column.Name : column.name;
    const type = 'Type' in column ? column.Type : column.type;
    if (typeof name !== 'string' || name === '' || typeof type !== 'string') {
      throw invalidArgument(`Glue column ${JSON.stringify(column)} needs a Name and a Type`);
    }
    return { name, type: parseHiveType(type) };
  });
}

// ---------------------------------------------------------------------------------------------------------
// JSON → column values (the OpenX JSON SerDe's reading)

class ConversionError extends Error {}

interface SerDeOptions {
  readonly caseInsensitive: boolean;
  readonly dotsToUnderscores: boolean;
  /** Column name → the JSON key it reads. */
  readonly keyMappings: ReadonlyMap<string, string>;
}

const INTEGER = /^\s*[+-]?\d+\s*$/;
const DECIMAL = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;
const INT_BITS = { bigint: 64, int: 32, smallint: 16, tinyint: 8 } as const;

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

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

/** One record's row, in column order; throws ConversionError. */
function rowOf(
  data: Buffer,
  columns: readonly HiveField[],
  options: SerDeOptions,
  decoder: TextDecoder,
): unknown[] {
  let text: string;
  try {
    text = decoder.decode(data).trim();
  } catch {
    throw new ConversionError('the record is not UTF-8 text');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConversionError(`the record is not JSON: ${(error as Error).message}`);
  }
  if (!isObject(parsed)) throw new ConversionError(`the record is not a JSON object: ${describe(parsed)}`);
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

function parquetSchema(columns: readonly HiveField[]): SchemaElement[] {
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

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

// ---------------------------------------------------------------------------------------------------------
// Prefixes and dates (Java DateTimeFormatter patterns, the subset prefixes use)

type DateToken = { readonly literal: string } | { readonly letter: string; readonly width: number };

const DATE_LETTERS = new Set(['y', 'u', 'M', 'L', 'd', 'D', 'H', 'h', 'k', 'K', 'm', 's', 'S', 'E', 'a']);

function compileDatePattern(pattern: string, where: string): DateToken[] {
  const tokens: DateToken[] = [];
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i] as string;
    if (ch === "'") {
      const end = pattern.indexOf("'", i + 1);
      if (end === -1) throw invalidArgument(`${where}: unterminated quote in "${pattern}"`);
      tokens.push({ literal: end === i + 1 ? "'" : pattern.slice(i + 1, end) });
      i = end + 1;
    } else if (/[A-Za-z]/.test(ch)) {
      let j = i;
      while (pattern[j] === ch) j++;
      if (!DATE_LETTERS.has(ch)) {
        throw invalidArgument(
          `${where}: the pattern letter "${ch}" in "${pattern}" is not supported by the local Firehose ` +
            `(supported: ${[...DATE_LETTERS].join('')})`,
        );
      }
      tokens.push({ letter: ch, width: j - i });
      i = j;
    } else if ('[]{}#'.includes(ch)) {
      throw invalidArgument(`${where}: "${ch}" in "${pattern}" is reserved in date patterns`);
    } else {
      tokens.push({ literal: ch });
      i++;
    }
  }
  return tokens;
}

interface DateParts {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly ms: number;
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

function dateParts(ms: number, timeZone: string): DateParts {
  const date = new Date(ms);
  if (timeZone === 'UTC') {
    return {
      year: date.getUTCFullYear(),
      month: date.getUTCMonth() + 1,
      day: date.getUTCDate(),
      hour: date.getUTCHours(),
      minute: date.getUTCMinutes(),
      second: date.getUTCSeconds(),
      ms: date.getUTCMilliseconds(),
    };
  }
  const parts = Object.fromEntries(
    zoneFormat(timeZone)
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    ms: date.getUTCMilliseconds(),
  };
}

const zoneFormats = new Map<string, Intl.DateTimeFormat>();
function zoneFormat(timeZone: string): Intl.DateTimeFormat {
  let format = zoneFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    zoneFormats.set(timeZone, format);
  }
  return format;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

function formatDate(tokens: readonly DateToken[], p: DateParts): string {
  let out = '';
  for (const token of tokens) {
    if ('literal' in token) {
      out += token.literal;
      continue;
    }
    const { letter, width } = token;
    switch (letter) {
      case 'y':
      case 'u':
        out += width === 2 ? pad(p.year % 100, 2) : pad(p.year, width);
        break;
      case 'M':
      case 'L':
        out +=
          width <= 2
            ? pad(p.month, width)
            : width === 3
              ? (MONTHS[p.month - 1] as string).slice(0, 3)
              : width === 4
                ? (MONTHS[p.month - 1] as string)
                : (MONTHS[p.month - 1] as string).slice(0, 1);
        break;
      case 'd':
        out += pad(p.day, width);
        break;
      case 'D': {
        const dayOfYear = (Date.UTC(p.year, p.month - 1, p.day) - Date.UTC(p.year, 0, 1)) / 86_400_000 + 1;
        out += pad(dayOfYear, width);
        break;
      }
      case 'H':
        out += pad(p.hour, width);
        break;
      case 'k':
        out += pad(p.hour === 0 ? 24 : p.hour, width);
        break;
      case 'h':
        out += pad(p.hour % 12 === 0 ? 12 : p.hour % 12, width);
        break;
      case 'K':
        out += pad(p.hour % 12, width);
        break;
      case 'm':
        out += pad(p.minute, width);
        break;
      case 's':
        out += pad(p.second, width);
        break;
      case 'S':
        out += pad(p.ms, 3).padEnd(width, '0').slice(0, width);
        break;
      case 'E': {
        const day = DAYS[new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay()] as string;
        out += width <= 3 ? day.slice(0, 3) : width === 4 ? day : day.slice(0, 1);
        break;
      }
      case 'a':
        out += p.hour < 12 ? 'AM' : 'PM';
        break;
    }
  }
  return out;
}

type PrefixPart =
  | string
  | { readonly timestamp: readonly DateToken[] }
  | { readonly firehose: 'random-string' | 'error-output-type' };

interface CompiledPrefix {
  readonly parts: readonly PrefixPart[];
  readonly hasExpressions: boolean;
}

const EXPRESSION = /!\{([^:}]*):([^}]*)\}/g;

function compilePrefix(text: string, field: 'Prefix' | 'ErrorOutputPrefix'): CompiledPrefix {
  const parts: PrefixPart[] = [];
  let last = 0;
  let hasExpressions = false;
  for (const match of text.matchAll(EXPRESSION)) {
    hasExpressions = true;
    const [whole, namespace, value] = match as unknown as [string, string, string];
    if (match.index > last) parts.push(text.slice(last, match.index));
    last = match.index + whole.length;
    if (namespace === 'timestamp') {
      parts.push({ timestamp: compileDatePattern(value, field) });
    } else if (namespace === 'firehose' && (value === 'random-string' || value === 'error-output-type')) {
      if (value === 'error-output-type' && field === 'Prefix') {
        throw invalidArgument(
          'The expression !{firehose:error-output-type} is only allowed in ErrorOutputPrefix.',
        );
      }
      parts.push({ firehose: value });
    } else if (namespace === 'partitionKeyFromQuery' || namespace === 'partitionKeyFromLambda') {
      throw invalidArgument(
        `${field}: ${whole} needs dynamic partitioning, which the local Firehose does not emulate.`,
      );
    } else {
      throw invalidArgument(`${field}: ${whole} is not a valid expression.`);
    }
  }
  if (text.slice(last).includes('!{'))
    throw invalidArgument(`${field}: unterminated expression in "${text}"`);
  if (last < text.length) parts.push(text.slice(last));
  return { parts, hasExpressions };
}

const DEFAULT_TIME_TOKENS = compileDatePattern(DEFAULT_TIME_PREFIX, 'Prefix');
const SUFFIX_TOKENS = compileDatePattern('yyyy-MM-dd-HH-mm-ss', 'suffix');

function randomString(): string {
  return randomBytes(8).toString('hex').slice(0, 11);
}

function evaluatePrefix(
  prefix: CompiledPrefix,
  parts: DateParts,
  errorType: string | undefined,
  appendWhenPlain: readonly PrefixPart[],
): string {
  const all = prefix.hasExpressions ? prefix.parts : [...prefix.parts, ...appendWhenPlain];
  let out = '';
  for (const part of all) {
    if (typeof part === 'string') out += part;
    else if ('timestamp' in part) out += formatDate(part.timestamp, parts);
    else out += part.firehose === 'random-string' ? randomString() : (errorType ?? '');
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Delivery stream configuration

interface Conversion {
  readonly columns: readonly HiveField[];
  readonly schema: SchemaElement[];
  readonly codec: 'SNAPPY' | 'GZIP' | 'UNCOMPRESSED';
  readonly pageSize: number | undefined;
  readonly serde: SerDeOptions;
  readonly table: Readonly<Record<string, string>>;
}

interface StreamConfig {
  readonly bucket: string;
  readonly prefixText: string;
  readonly prefix: CompiledPrefix;
  readonly errorPrefix: CompiledPrefix | undefined;
  readonly sizeBytes: number;
  readonly intervalMs: number;
  readonly compression: 'UNCOMPRESSED' | 'GZIP';
  readonly conversion: Conversion | undefined;
  readonly appendDelimiter: boolean;
  readonly extension: string;
  readonly timeZone: string;
  /** The destination as DescribeDeliveryStream echoes it. */
  readonly description: Record<string, unknown>;
}

type Json = Record<string, unknown>;

function objectAt(value: unknown, what: string): Json | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw invalidArgument(`${what} must be an object (got ${describe(value)})`);
  return value;
}

function stringAt(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidArgument(`${what} must be a string (got ${describe(value)})`);
  return value;
}

function numberAt(value: unknown, what: string, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw invalidArgument(`${what} must be a whole number from ${min} to ${max} (got ${describe(value)})`);
  }
  return n;
}

function enabled(value: unknown): boolean {
  return value === true || value === 'true';
}

function bucketOf(arn: string | undefined): string {
  const match = /^arn:[^:]+:s3:::([^/]+)$/.exec(arn ?? '');
  if (!match)
    throw invalidArgument(
      `BucketARN must be an S3 bucket ARN like arn:aws:s3:::my-bucket (got ${describe(arn)})`,
    );
  return match[1] as string;
}

// ---------------------------------------------------------------------------------------------------------
// The emulator

export interface FirehoseEmulatorOptions {
  /** Where objects are delivered: the local cloud's endpoint, or the S3 emulator's own. */
  readonly s3Endpoint: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '000000000000' */
  readonly accountId?: string;
  /** The S3 client's credentials. @default test/test */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** 0 picks a free port on 127.0.0.1. @default 0 */
  readonly port?: number;
  /**
   * Per-stream DirectPut throughput quotas: past them PutRecord fails and PutRecordBatch fails records with
   * ServiceUnavailableException "Slow down.", as AWS does. @default - no limits
   */
  readonly limits?: { readonly recordsPerSecond?: number; readonly bytesPerSecond?: number };
  /** Delivery notices and failures. */
  readonly onLog?: (line: string) => void;
}

/** Counts of one stream since it was created. */
export interface DeliveryStreamStats {
  readonly recordsIn: number;
  readonly bytesIn: number;
  /** Records written to the destination (converted rows, or raw records). */
  readonly recordsDelivered: number;
  /** Records written to the error prefix (format-conversion-failed). */
  readonly recordsFailed: number;
  readonly objectsWritten: number;
  readonly bytesWritten: number;
  /** Records still buffered or being delivered. */
  readonly recordsPending: number;
}

interface Buffered {
  readonly data: Buffer;
  readonly arrivalMs: number;
  readonly sequenceNumber: string;
}

interface S3Object {
  readonly key: string;
  readonly body: Uint8Array;
  readonly records: number;
  readonly failed: boolean;
}

class TokenBucket {
  private tokens: number;
  private last = performance.now();
  constructor(private readonly rate: number) {
    this.tokens = rate;
  }
  take(n: number): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }
}

class DeliveryStream {
  buffer: Buffered[] = [];
  bufferedBytes = 0;
  timer: NodeJS.Timeout | undefined;
  chain: Promise<void> = Promise.resolve();
  sequence = 0n;
  deleted = false;
  readonly stats = {
    recordsIn: 0,
    bytesIn: 0,
    recordsDelivered: 0,
    recordsFailed: 0,
    objectsWritten: 0,
    bytesWritten: 0,
    recordsPending: 0,
  };
  readonly lost: string[] = [];
  readonly recordBucket: TokenBucket | undefined;
  readonly byteBucket: TokenBucket | undefined;

  constructor(
    readonly name: string,
    readonly arn: string,
    readonly type: string,
    readonly config: StreamConfig,
    readonly encryption: Json | undefined,
    readonly createdAt: number,
    limits: FirehoseEmulatorOptions['limits'],
  ) {
    this.recordBucket = limits?.recordsPerSecond ? new TokenBucket(limits.recordsPerSecond) : undefined;
    this.byteBucket = limits?.bytesPerSecond ? new TokenBucket(limits.bytesPerSecond) : undefined;
  }
}

export class FirehoseEmulator {
  private server: http.Server | undefined;
  private readonly streams = new Map<string, DeliveryStream>();
  private readonly glueTables = new Map<string, HiveField[]>();
  private readonly s3: S3Client;
  private readonly region: string;
  private readonly accountId: string;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private originUrl: string | undefined;

  constructor(private readonly options: FirehoseEmulatorOptions) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    this.s3 = new S3Client({
      endpoint: options.s3Endpoint,
      region: this.region,
      forcePathStyle: true,
      credentials: options.credentials ?? { accessKeyId: 'test', secretAccessKey: 'test' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  /** `http://127.0.0.1:<port>`, once started. */
  get origin(): string {
    if (this.originUrl === undefined) throw new Error('the Firehose emulator is not started');
    return this.originUrl;
  }

  async start(): Promise<this> {
    if (this.server) return this;
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: this.options.port ?? 0, host: '127.0.0.1' }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.originUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  /**
   * Delivers every buffered record and stops listening. Rejects, after closing, when some records could not
   * be delivered (naming how many and why).
   */
  stop(): Promise<void> {
    this.stopped ??= this.shutDown();
    return this.stopped;
  }

  private async shutDown(): Promise<void> {
    this.stopping = true;
    const server = this.server;
    if (server) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
    await this.flush();
    this.s3.destroy();
    const lost = [...this.streams.values()].flatMap((s) => s.lost);
    if (lost.length > 0)
      throw new Error(`The local Firehose could not deliver every record:\n${lost.join('\n')}`);
  }

  /** Delivers what the named stream (or every stream) holds now; resolves once it is in S3. */
  async flush(name?: string): Promise<void> {
    const streams = name === undefined ? [...this.streams.values()] : [this.stream(name)];
    await Promise.all(streams.map((stream) => this.flushStream(stream)));
  }

  /** Registers a Glue table's columns (no partition keys) for streams that convert to its schema. */
  registerGlueTable(databaseName: string, tableName: string, columns: readonly GlueColumn[]): void {
    this.glueTables.set(`${databaseName}.${tableName}`.toLowerCase(), glueFields(columns));
  }

  /**
   * Registers the columns of an `AWS::Glue::Table` resource (its properties, intrinsics resolved), for a
   * deployer's Glue hook: the template's delivery streams depend on their tables, so they find them.
   */
  registerGlueTableFromTemplate(resolvedProps: Json): void {
    const input = objectAt(resolvedProps.TableInput, 'TableInput');
    const databaseName = stringAt(resolvedProps.DatabaseName, 'DatabaseName');
    const tableName = stringAt(input?.Name, 'TableInput.Name');
    const columns = objectAt(input?.StorageDescriptor, 'TableInput.StorageDescriptor')?.Columns;
    if (!databaseName || !tableName || !Array.isArray(columns)) {
      throw invalidArgument(
        'an AWS::Glue::Table needs DatabaseName, TableInput.Name and StorageDescriptor.Columns',
      );
    }
    this.registerGlueTable(databaseName, tableName, columns as GlueColumn[]);
  }

  /**
   * Creates a stream from an `AWS::KinesisFirehose::DeliveryStream` resource's properties, intrinsics resolved
   * (`BucketARN` an ARN, `DatabaseName` a name), and the Glue table's columns (`StorageDescriptor.Columns`) its
   * conversion reads (or none, when registered before). Without `DeliveryStreamName` the stream takes
   * `physicalName` (a deployer's generated name), else a name as CloudFormation makes them
   * (`<stack>-<logical id>-<random>`).
   */
  createFromTemplate(
    logicalId: string,
    resolvedProps: Json,
    glueColumns?: readonly GlueColumn[],
    options: { stackName?: string; physicalName?: string } = {},
  ): { name: string; arn: string } {
    const destination = objectAt(
      resolvedProps.ExtendedS3DestinationConfiguration,
      'ExtendedS3DestinationConfiguration',
    );
    const schema = objectAt(
      objectAt(destination?.DataFormatConversionConfiguration, 'DataFormatConversionConfiguration')
        ?.SchemaConfiguration,
      'SchemaConfiguration',
    );
    if (glueColumns && schema) {
      this.registerGlueTable(String(schema.DatabaseName), String(schema.TableName), glueColumns);
    }
    const name =
      stringAt(resolvedProps.DeliveryStreamName, 'DeliveryStreamName') ??
      options.physicalName ??
      physicalName(options.stackName ?? 'streamfeatures', logicalId);
    const arn = this.create({ ...resolvedProps, DeliveryStreamName: name });
    return { name, arn };
  }

  /** Counts for a stream. */
  stats(name: string): DeliveryStreamStats {
    return { ...this.stream(name).stats };
  }

  // -------------------------------------------------------------------------------------------------------

  private stream(name: unknown): DeliveryStream {
    const stream = typeof name === 'string' ? this.streams.get(name) : undefined;
    if (!stream || stream.deleted) {
      throw new FirehoseApiError(
        'ResourceNotFoundException',
        `Firehose stream ${String(name)} under account ${this.accountId} not found.`,
      );
    }
    return stream;
  }

  private create(input: Json): string {
    const name = stringAt(input.DeliveryStreamName, 'DeliveryStreamName');
    if (name === undefined || !/^[a-zA-Z0-9_.-]{1,64}$/.test(name)) {
      throw validation(
        `1 validation error detected: Value ${describe(name)} at 'deliveryStreamName' failed to satisfy constraint: ` +
          'Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length 1 to 64',
      );
    }
    if (this.streams.has(name)) {
      throw new FirehoseApiError(
        'ResourceInUseException',
        `Firehose stream ${name} under account ${this.accountId} already exists.`,
      );
    }
    const type = stringAt(input.DeliveryStreamType, 'DeliveryStreamType') ?? 'DirectPut';
    if (type !== 'DirectPut') {
      throw invalidArgument(
        `DeliveryStreamType ${type}: the local Firehose emulates DirectPut streams only.`,
      );
    }
    for (const other of [
      'IcebergDestinationConfiguration',
      'RedshiftDestinationConfiguration',
      'ElasticsearchDestinationConfiguration',
      'AmazonopensearchserviceDestinationConfiguration',
      'SplunkDestinationConfiguration',
      'HttpEndpointDestinationConfiguration',
      'SnowflakeDestinationConfiguration',
    ]) {
      if (input[other] !== undefined) {
        throw invalidArgument(
          `${other}: the local Firehose delivers to S3 only (ExtendedS3DestinationConfiguration).`,
        );
      }
    }
    const extended = objectAt(input.ExtendedS3DestinationConfiguration, 'ExtendedS3DestinationConfiguration');
    const plain = objectAt(input.S3DestinationConfiguration, 'S3DestinationConfiguration');
    const destination = extended ?? plain;
    if (!destination || (extended && plain)) {
      throw invalidArgument(
        'Exactly one of ExtendedS3DestinationConfiguration and S3DestinationConfiguration is required.',
      );
    }
    const config = this.streamConfig(destination, extended !== undefined);
    const encryption = objectAt(
      input.DeliveryStreamEncryptionConfigurationInput,
      'DeliveryStreamEncryptionConfigurationInput',
    );
    const arn = `arn:aws:firehose:${this.region}:${this.accountId}:deliverystream/${name}`;
    this.streams.set(
      name,
      new DeliveryStream(name, arn, type, config, encryption, Date.now(), this.options.limits),
    );
    return arn;
  }

  private streamConfig(d: Json, extended: boolean): StreamConfig {
    const bucket = bucketOf(stringAt(d.BucketARN, 'BucketARN'));
    const prefixText = stringAt(d.Prefix, 'Prefix') ?? '';
    const errorText = stringAt(d.ErrorOutputPrefix, 'ErrorOutputPrefix') ?? '';
    const prefix = compilePrefix(prefixText, 'Prefix');
    const errorPrefix = errorText === '' ? undefined : compilePrefix(errorText, 'ErrorOutputPrefix');
    if (prefix.hasExpressions && errorPrefix === undefined) {
      throw invalidArgument('ErrorOutputPrefix cannot be null or empty when Prefix contains expressions.');
    }
    const timeZone = stringAt(d.CustomTimeZone, 'CustomTimeZone') ?? 'UTC';
    if (timeZone !== 'UTC') {
      try {
        zoneFormat(timeZone);
      } catch {
        throw invalidArgument(`CustomTimeZone ${JSON.stringify(timeZone)} is not a time zone.`);
      }
    }

    const formatConfig = extended
      ? objectAt(d.DataFormatConversionConfiguration, 'DataFormatConversionConfiguration')
      : undefined;
    const converting =
      formatConfig !== undefined && formatConfig.Enabled !== false && formatConfig.Enabled !== 'false';
    const hints = objectAt(d.BufferingHints, 'BufferingHints');
    const sizeMiB = numberAt(hints?.SizeInMBs, 'BufferingHints.SizeInMBs', 1, 128) ?? (converting ? 128 : 5);
    const intervalSeconds =
      numberAt(hints?.IntervalInSeconds, 'BufferingHints.IntervalInSeconds', 0, 900) ?? 300;
    if (converting && sizeMiB < 64) {
      throw invalidArgument(
        `BufferingHints.SizeInMBs must be at least 64 when data format conversion is enabled (got ${sizeMiB}).`,
      );
    }
    const compression = stringAt(d.CompressionFormat, 'CompressionFormat') ?? 'UNCOMPRESSED';
    if (converting && compression !== 'UNCOMPRESSED') {
      throw invalidArgument('CompressionFormat must be UNCOMPRESSED when data format conversion is enabled.');
    }
    if (compression !== 'UNCOMPRESSED' && compression !== 'GZIP') {
      throw invalidArgument(
        `CompressionFormat ${compression}: the local Firehose writes UNCOMPRESSED or GZIP objects only.`,
      );
    }

    let appendDelimiter = false;
    const processing = extended ? objectAt(d.ProcessingConfiguration, 'ProcessingConfiguration') : undefined;
    if (processing && enabled(processing.Enabled ?? true)) {
      for (const processor of (processing.Processors as Json[] | undefined) ?? []) {
        if (processor.Type === 'AppendDelimiterToRecord') appendDelimiter = true;
        else {
          throw invalidArgument(
            `ProcessingConfiguration: processor ${describe(processor.Type)} is not emulated locally (only AppendDelimiterToRecord).`,
          );
        }
      }
    }
    if (
      extended &&
      objectAt(d.DynamicPartitioningConfiguration, 'DynamicPartitioningConfiguration')?.Enabled
    ) {
      throw invalidArgument(
        'DynamicPartitioningConfiguration: dynamic partitioning is not emulated locally.',
      );
    }

    const conversion = converting ? this.conversion(formatConfig as Json) : undefined;
    const customExtension = extended ? stringAt(d.FileExtension, 'FileExtension') : undefined;
    const extension = customExtension ?? (conversion ? '.parquet' : compression === 'GZIP' ? '.gz' : '');
    const description: Json = {
      BucketARN: d.BucketARN,
      Prefix: prefixText,
      ErrorOutputPrefix: errorText,
      BufferingHints: { SizeInMBs: sizeMiB, IntervalInSeconds: intervalSeconds },
      CompressionFormat: compression,
      EncryptionConfiguration: d.EncryptionConfiguration ?? { NoEncryptionConfig: 'NoEncryption' },
      CloudWatchLoggingOptions: d.CloudWatchLoggingOptions ?? { Enabled: false },
      ...(d.RoleARN === undefined ? {} : { RoleARN: d.RoleARN }),
      ...(extended
        ? {
            S3BackupMode: d.S3BackupMode ?? 'Disabled',
            ...(processing ? { ProcessingConfiguration: processing } : {}),
            ...(formatConfig ? { DataFormatConversionConfiguration: formatConfig } : {}),
            ...(customExtension === undefined ? {} : { FileExtension: customExtension }),
            ...(d.CustomTimeZone === undefined ? {} : { CustomTimeZone: d.CustomTimeZone }),
          }
        : {}),
    };
    return {
      bucket,
      prefixText,
      prefix,
      errorPrefix,
      sizeBytes: sizeMiB * MIB,
      intervalMs: intervalSeconds * 1000,
      compression,
      conversion,
      appendDelimiter,
      extension,
      timeZone,
      description,
    };
  }

  private conversion(format: Json): Conversion {
    const schema = objectAt(format.SchemaConfiguration, 'SchemaConfiguration');
    const databaseName = stringAt(schema?.DatabaseName, 'SchemaConfiguration.DatabaseName');
    const tableName = stringAt(schema?.TableName, 'SchemaConfiguration.TableName');
    if (!schema || !databaseName || !tableName) {
      throw invalidArgument(
        'DataFormatConversionConfiguration needs a SchemaConfiguration naming a Glue table.',
      );
    }
    const columns = this.glueTables.get(`${databaseName}.${tableName}`.toLowerCase());
    if (!columns) {
      throw invalidArgument(
        `Glue table ${databaseName}.${tableName} is unknown to the local Firehose: register its columns first ` +
          '(registerGlueTable, or createFromTemplate with the Glue columns).',
      );
    }
    const deserializer = objectAt(
      objectAt(format.InputFormatConfiguration, 'InputFormatConfiguration')?.Deserializer,
      'Deserializer',
    );
    const openX = objectAt(deserializer?.OpenXJsonSerDe, 'OpenXJsonSerDe');
    const hive = objectAt(deserializer?.HiveJsonSerDe, 'HiveJsonSerDe');
    if (!openX && !hive) {
      throw invalidArgument('InputFormatConfiguration.Deserializer needs OpenXJsonSerDe or HiveJsonSerDe.');
    }
    const serializer = objectAt(
      objectAt(format.OutputFormatConfiguration, 'OutputFormatConfiguration')?.Serializer,
      'Serializer',
    );
    const parquet = objectAt(serializer?.ParquetSerDe, 'ParquetSerDe');
    if (!parquet) {
      throw invalidArgument(
        'OutputFormatConfiguration: the local Firehose writes Parquet only (ParquetSerDe).',
      );
    }
    const codec = stringAt(parquet.Compression, 'ParquetSerDe.Compression') ?? 'SNAPPY';
    if (codec !== 'SNAPPY' && codec !== 'GZIP' && codec !== 'UNCOMPRESSED') {
      throw invalidArgument(
        `ParquetSerDe.Compression ${codec}: the local Firehose writes SNAPPY, GZIP or UNCOMPRESSED.`,
      );
    }
    const mappings = objectAt(openX?.ColumnToJsonKeyMappings, 'ColumnToJsonKeyMappings') ?? {};
    return {
      columns,
      schema: parquetSchema(columns),
      codec,
      pageSize: numberAt(parquet.PageSizeBytes, 'ParquetSerDe.PageSizeBytes', 65_536, 2 ** 31 - 1),
      serde: {
        caseInsensitive: openX ? openX.CaseInsensitive !== false && openX.CaseInsensitive !== 'false' : true,
        dotsToUnderscores: openX ? enabled(openX.ConvertDotsInJsonKeysToUnderscores) : false,
        keyMappings: new Map(Object.entries(mappings).map(([column, key]) => [column, String(key)])),
      },
      table: {
        catalogId: String(schema.CatalogId ?? this.accountId),
        databaseName,
        tableName,
        region: String(schema.Region ?? this.region),
        versionId: String(schema.VersionId ?? 'LATEST'),
        catalogArn: `arn:aws:glue:${String(schema.Region ?? this.region)}:${String(schema.CatalogId ?? this.accountId)}:catalog`,
      },
    };
  }

  // -------------------------------------------------------------------------------------------------------
  // Buffering and delivery

  private accept(stream: DeliveryStream, data: Buffer, arrivalMs: number): void {
    stream.sequence += 1n;
    stream.buffer.push({ data, arrivalMs, sequenceNumber: stream.sequence.toString().padStart(20, '0') });
    stream.bufferedBytes += data.length;
    stream.stats.recordsIn++;
    stream.stats.bytesIn += data.length;
    stream.stats.recordsPending++;
    if (stream.bufferedBytes >= stream.config.sizeBytes) {
      void this.flushStream(stream);
    } else if (stream.timer === undefined) {
      stream.timer = setTimeout(() => void this.flushStream(stream), stream.config.intervalMs);
    }
  }

  private flushStream(stream: DeliveryStream): Promise<void> {
    if (stream.timer !== undefined) {
      clearTimeout(stream.timer);
      stream.timer = undefined;
    }
    if (stream.buffer.length > 0) {
      const batch = stream.buffer;
      stream.buffer = [];
      stream.bufferedBytes = 0;
      stream.chain = stream.chain.then(() => this.deliver(stream, batch));
    }
    return stream.chain;
  }

  /** Builds the batch's objects and writes them, retrying failed writes; never rejects. */
  private async deliver(stream: DeliveryStream, batch: Buffered[]): Promise<void> {
    let objects: S3Object[];
    try {
      objects = await this.objectsOf(stream, batch);
    } catch (error) {
      stream.stats.recordsPending -= batch.length;
      stream.lost.push(
        `${stream.name}: ${batch.length} records could not be converted: ${(error as Error).message}`,
      );
      this.options.onLog?.(stream.lost.at(-1) as string);
      return;
    }
    for (const object of objects) {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.putObject(stream.config.bucket, object.key, object.body);
          stream.stats.objectsWritten++;
          stream.stats.bytesWritten += object.body.length;
          this.options.onLog?.(
            `${stream.name}: delivered s3://${stream.config.bucket}/${object.key} (${object.records} records${object.failed ? ', format-conversion-failed' : ''})`,
          );
          if (object.failed) stream.stats.recordsFailed += object.records;
          else stream.stats.recordsDelivered += object.records;
          break;
        } catch (error) {
          const message = `${stream.name}: s3://${stream.config.bucket}/${object.key} (${object.records} records) failed (attempt ${attempt}): ${(error as Error).message}`;
          this.options.onLog?.(message);
          if (this.stopping && attempt >= 3) {
            stream.lost.push(message);
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 5_000)));
        }
      }
      stream.stats.recordsPending -= object.records;
    }
  }

  private async objectsOf(stream: DeliveryStream, batch: Buffered[]): Promise<S3Object[]> {
    const { config } = stream;
    const objectKey = (prefix: string, arrivalMs: number, extension: string) =>
      `${prefix}${stream.name}-${STREAM_VERSION}-${formatDate(SUFFIX_TOKENS, dateParts(arrivalMs, config.timeZone))}-${randomUUID()}${extension}`;
    const destinationKey = (arrivalMs: number) => {
      const parts = dateParts(arrivalMs, config.timeZone);
      return objectKey(
        evaluatePrefix(config.prefix, parts, undefined, [{ timestamp: DEFAULT_TIME_TOKENS }]),
        arrivalMs,
        config.extension,
      );
    };
    const first = batch[0] as Buffered;

    if (!config.conversion) {
      const chunks: Buffer[] = [];
      for (const record of batch) {
        chunks.push(record.data);
        if (config.appendDelimiter) chunks.push(NEWLINE);
      }
      let body: Uint8Array = Buffer.concat(chunks);
      if (config.compression === 'GZIP') body = gzipSync(body);
      return [{ key: destinationKey(first.arrivalMs), body, records: batch.length, failed: false }];
    }

    const { columns, serde } = config.conversion;
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const rows: unknown[][] = [];
    let firstRowArrival: number | undefined;
    const failures: { record: Buffered; message: string }[] = [];
    for (let i = 0; i < batch.length; i++) {
      if (i > 0 && i % CONVERSION_CHUNK === 0) await yieldToLoop();
      const record = batch[i] as Buffered;
      try {
        rows.push(rowOf(record.data, columns, serde, decoder));
        firstRowArrival ??= record.arrivalMs;
      } catch (error) {
        if (!(error instanceof ConversionError)) throw error;
        failures.push({ record, message: error.message });
      }
    }
    const objects: S3Object[] = [];
    if (rows.length > 0) {
      const writer = new YieldingWriter();
      const { codec, pageSize, schema } = config.conversion;
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
      objects.push({
        key: destinationKey(firstRowArrival as number),
        body: writer.getBytes(),
        records: rows.length,
        failed: false,
      });
    }
    if (failures.length > 0) {
      const arrivalMs = (failures[0] as { record: Buffered }).record.arrivalMs;
      const parts = dateParts(arrivalMs, config.timeZone);
      // No ErrorOutputPrefix (then the Prefix has no expressions): <Prefix><error-output-type>/yyyy/MM/dd/HH/.
      const prefix =
        config.errorPrefix === undefined
          ? `${config.prefixText}format-conversion-failed/${formatDate(DEFAULT_TIME_TOKENS, parts)}`
          : evaluatePrefix(config.errorPrefix, parts, 'format-conversion-failed', [
              { firehose: 'error-output-type' },
              '/',
              { timestamp: DEFAULT_TIME_TOKENS },
            ]);
      const now = Date.now();
      const lines = failures.map(({ record, message }) =>
        JSON.stringify({
          attemptsMade: 1,
          arrivalTimestamp: record.arrivalMs,
          ErrorCode: 'DataFormatConversion.MalformedData',
          ErrorMessage: message,
          attemptEndingTimestamp: now,
          rawData: record.data.toString('base64'),
          sequenceNumber: record.sequenceNumber,
          subSequenceNumber: 0,
          dataCatalogTable: config.conversion?.table,
        }),
      );
      objects.push({
        key: objectKey(prefix, arrivalMs, ''),
        body: Buffer.from(`${lines.join('\n')}\n`),
        records: failures.length,
        failed: true,
      });
    }
    return objects;
  }

  private async putObject(bucket: string, key: string, body: Uint8Array): Promise<void> {
    if (body.length <= MULTIPART_PART_BYTES) {
      await this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      return;
    }
    const { UploadId } = await this.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    try {
      const parts: { ETag: string | undefined; PartNumber: number }[] = [];
      for (let offset = 0, n = 1; offset < body.length; offset += MULTIPART_PART_BYTES, n++) {
        const { ETag } = await this.s3.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId,
            PartNumber: n,
            Body: body.subarray(offset, offset + MULTIPART_PART_BYTES),
          }),
        );
        parts.push({ ETag, PartNumber: n });
      }
      await this.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    } catch (error) {
      await this.s3
        .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId }))
        .catch(() => undefined);
      throw error;
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // HTTP

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    try {
      const target = req.headers['x-amz-target'];
      const operation =
        typeof target === 'string' && target.startsWith(TARGET_PREFIX)
          ? target.slice(TARGET_PREFIX.length)
          : '';
      const body = await readBody(req, MAX_REQUEST_BYTES);
      if (req.method !== 'POST' || operation === '') {
        throw new FirehoseApiError('UnknownOperationException', `Unknown operation ${String(target ?? '')}`);
      }
      let input: unknown;
      try {
        input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
      } catch {
        throw new FirehoseApiError('SerializationException', 'The request body is not JSON.');
      }
      if (!isObject(input))
        throw new FirehoseApiError('SerializationException', 'The request body is not a JSON object.');
      const output = this.call(operation, input);
      send(res, 200, output, requestId);
    } catch (error) {
      if (error instanceof FirehoseApiError) {
        send(res, error.statusCode, { __type: error.type, message: error.message }, requestId, error.type);
      } else {
        const message = error instanceof Error ? error.message : String(error);
        this.options.onLog?.(`internal error: ${message}`);
        send(res, 500, { __type: 'InternalFailure', message }, requestId, 'InternalFailure');
      }
    }
  }

  private call(operation: string, input: Json): Json {
    if (this.stopping)
      throw new FirehoseApiError('ServiceUnavailableException', 'The local Firehose is stopping.', 503);
    switch (operation) {
      case 'CreateDeliveryStream':
        return { DeliveryStreamARN: this.create(input) };
      case 'DescribeDeliveryStream':
        return { DeliveryStreamDescription: this.describeStream(this.stream(input.DeliveryStreamName)) };
      case 'ListDeliveryStreams':
        return this.list(input);
      case 'DeleteDeliveryStream': {
        const stream = this.stream(input.DeliveryStreamName);
        // Firehose delivers what it holds before the stream goes; the name is free at once here.
        stream.deleted = true;
        this.streams.delete(stream.name);
        void this.flushStream(stream);
        return {};
      }
      case 'PutRecord':
        return this.putRecord(input);
      case 'PutRecordBatch':
        return this.putRecordBatch(input);
      default:
        throw new FirehoseApiError(
          'UnknownOperationException',
          `${operation} is not emulated by the local Firehose (CreateDeliveryStream, DescribeDeliveryStream, ` +
            'ListDeliveryStreams, DeleteDeliveryStream, PutRecord, PutRecordBatch).',
        );
    }
  }

  private describeStream(stream: DeliveryStream): Json {
    const destination = stream.config.description;
    const s3Description = Object.fromEntries(
      [
        'RoleARN',
        'BucketARN',
        'Prefix',
        'ErrorOutputPrefix',
        'BufferingHints',
        'CompressionFormat',
        'EncryptionConfiguration',
        'CloudWatchLoggingOptions',
      ]
        .filter((key) => destination[key] !== undefined)
        .map((key) => [key, destination[key]]),
    );
    return {
      DeliveryStreamName: stream.name,
      DeliveryStreamARN: stream.arn,
      DeliveryStreamStatus: 'ACTIVE',
      DeliveryStreamType: stream.type,
      ...(stream.encryption
        ? {
            DeliveryStreamEncryptionConfiguration: {
              ...(stream.encryption.KeyARN === undefined ? {} : { KeyARN: stream.encryption.KeyARN }),
              KeyType: stream.encryption.KeyType ?? 'AWS_OWNED_CMK',
              Status: 'ENABLED',
            },
          }
        : { DeliveryStreamEncryptionConfiguration: { Status: 'DISABLED' } }),
      VersionId: String(STREAM_VERSION),
      CreateTimestamp: stream.createdAt / 1000,
      Destinations: [
        {
          DestinationId: 'destinationId-000000000001',
          S3DestinationDescription: s3Description,
          ExtendedS3DestinationDescription: destination,
        },
      ],
      HasMoreDestinations: false,
    };
  }

  private list(input: Json): Json {
    const limit = numberAt(input.Limit, 'Limit', 1, 10_000) ?? 10;
    const type = stringAt(input.DeliveryStreamType, 'DeliveryStreamType');
    const after = stringAt(input.ExclusiveStartDeliveryStreamName, 'ExclusiveStartDeliveryStreamName');
    const names = [...this.streams.values()]
      .filter((s) => type === undefined || s.type === type)
      .map((s) => s.name)
      .sort()
      .filter((name) => after === undefined || name > after);
    return { DeliveryStreamNames: names.slice(0, limit), HasMoreDeliveryStreams: names.length > limit };
  }

  private putRecord(input: Json): Json {
    const stream = this.stream(input.DeliveryStreamName);
    const data = recordData(input.Record, 'record');
    if (!this.admit(stream, data.length)) {
      throw new FirehoseApiError('ServiceUnavailableException', 'Slow down.', 503);
    }
    this.accept(stream, data, Date.now());
    return { RecordId: recordIds(1)[0], Encrypted: stream.encryption !== undefined };
  }

  private putRecordBatch(input: Json): Json {
    const stream = this.stream(input.DeliveryStreamName);
    const records = input.Records;
    if (!Array.isArray(records) || records.length === 0 || records.length > MAX_BATCH_RECORDS) {
      throw validation(
        `1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have length ` +
          `less than or equal to ${MAX_BATCH_RECORDS} and greater than or equal to 1 (got ${Array.isArray(records) ? records.length : 'none'})`,
      );
    }
    const data = records.map((record, i) => recordData(record, `records.${i + 1}.member`));
    const total = data.reduce((sum, d) => sum + d.length, 0);
    if (total > MAX_BATCH_BYTES) {
      throw invalidArgument(`Records size exceeds 4 MiB limit: the batch holds ${total} bytes of data.`);
    }
    const arrivalMs = Date.now();
    const ids = recordIds(data.length);
    let failed = 0;
    const responses = data.map((d, i) => {
      if (!this.admit(stream, d.length)) {
        failed++;
        return { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' };
      }
      this.accept(stream, d, arrivalMs);
      return { RecordId: ids[i] };
    });
    return {
      FailedPutCount: failed,
      Encrypted: stream.encryption !== undefined,
      RequestResponses: responses,
    };
  }

  private admit(stream: DeliveryStream, bytes: number): boolean {
    if (stream.recordBucket && !stream.recordBucket.take(1)) return false;
    if (stream.byteBucket && !stream.byteBucket.take(bytes)) return false;
    return true;
  }
}

/** Starts a Firehose emulator (see FirehoseEmulatorOptions). */
export async function startFirehoseEmulator(options: FirehoseEmulatorOptions): Promise<FirehoseEmulator> {
  return new FirehoseEmulator(options).start();
}

const NEWLINE = Buffer.from('\n');
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function recordData(record: unknown, where: string): Buffer {
  const data = isObject(record) ? record.Data : undefined;
  if (typeof data !== 'string') {
    throw validation(
      `1 validation error detected: Value null at '${where}.data' failed to satisfy constraint: Member must not be null`,
    );
  }
  if (data.length % 4 !== 0 || !BASE64.test(data)) {
    throw new FirehoseApiError('SerializationException', `${where}.Data is not valid base64.`);
  }
  const bytes = Buffer.from(data, 'base64');
  if (bytes.length > MAX_RECORD_BYTES) {
    throw validation(
      `1 validation error detected: Value at '${where}.data' failed to satisfy constraint: Member must have ` +
        `length less than or equal to ${MAX_RECORD_BYTES} (got ${bytes.length})`,
    );
  }
  return bytes;
}

/** Record ids look like AWS's: long opaque base64 strings. */
function recordIds(n: number): string[] {
  const random = randomBytes(n * 96);
  return Array.from({ length: n }, (_, i) => random.subarray(i * 96, (i + 1) * 96).toString('base64'));
}

/** CloudFormation's physical name: `<stack>-<logical id, cut>-<12 random characters>`, at most 64 characters. */
function physicalName(stackName: string, logicalId: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const suffix = Array.from(randomBytes(12), (b) => alphabet[b % alphabet.length]).join('');
  const room = 64 - suffix.length - 2;
  const stack = stackName.slice(0, Math.max(1, Math.floor(room / 2)));
  return `${stack}-${logicalId.slice(0, room - stack.length)}-${suffix}`;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.destroy();
        reject(invalidArgument(`The request is larger than ${limit} bytes.`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  requestId: string,
  errorType?: string,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId,
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  res.end(text);
}
