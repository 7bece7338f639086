/** S3 object keys: prefixes with their expressions, Java DateTimeFormatter dates, and object names. */

import { randomBytes, randomUUID } from 'node:crypto';
import { invalidArgument } from './errors.js';

const DEFAULT_TIME_PREFIX = 'yyyy/MM/dd/HH/';
/** The stream version in object names and DescribeDeliveryStream (no UpdateDestination here). */
export const STREAM_VERSION = 1;

// ---------------------------------------------------------------------------------------------------------
// Prefixes and dates (Java DateTimeFormatter patterns, the subset prefixes use)

export type DateToken = { readonly literal: string } | { readonly letter: string; readonly width: number };

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

export interface DateParts {
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

export function dateParts(ms: number, timeZone: string): DateParts {
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
export function zoneFormat(timeZone: string): Intl.DateTimeFormat {
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

export function formatDate(tokens: readonly DateToken[], p: DateParts): string {
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

export type PrefixPart =
  | string
  | { readonly timestamp: readonly DateToken[] }
  | { readonly firehose: 'random-string' | 'error-output-type' };

export interface CompiledPrefix {
  readonly parts: readonly PrefixPart[];
  readonly hasExpressions: boolean;
}

const EXPRESSION = /!\{([^:}]*):([^}]*)\}/g;

export function compilePrefix(text: string, field: 'Prefix' | 'ErrorOutputPrefix'): CompiledPrefix {
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

export const DEFAULT_TIME_TOKENS = compileDatePattern(DEFAULT_TIME_PREFIX, 'Prefix');
export const SUFFIX_TOKENS = compileDatePattern('yyyy-MM-dd-HH-mm-ss', 'suffix');

function randomString(): string {
  return randomBytes(8).toString('hex').slice(0, 11);
}

export function evaluatePrefix(
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

/** `<prefix><stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid><extension>`, dated by the arrival time. */
export function objectKey(
  prefix: string,
  streamName: string,
  arrivalMs: number,
  timeZone: string,
  extension: string,
): string {
  return `${prefix}${streamName}-${STREAM_VERSION}-${formatDate(SUFFIX_TOKENS, dateParts(arrivalMs, timeZone))}-${randomUUID()}${extension}`;
}
