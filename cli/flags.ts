import { type ParseArgsConfig, parseArgs } from 'node:util';
import { parseDuration } from '../core/duration.js';
import { parseEventTime } from '../core/index.js';
import { CliError, type CliIO } from './io.js';

/** One CLI command: its usage (what `--help` prints) and what runs it. */
export interface Command {
  /** The usage lines, `streamfeatures <name> ...` first, then what it does and its flags. */
  readonly usage: string;
  /** One line for the command list of `streamfeatures --help`. */
  readonly summary: string;
  run(args: readonly string[], io: CliIO): Promise<number>;
}

/** True when the arguments ask for help (`--help` or `-h` anywhere before a `--`). */
export function wantsHelp(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

/**
 * Parses a command's flags strictly: an unknown option, a missing value or a stray argument is a usage error
 * (exit 2) that names it and shows the command's own usage.
 */
type FlagOptions = NonNullable<ParseArgsConfig['options']>;

export function parseFlags<T extends FlagOptions>(
  usage: string,
  args: readonly string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals, tokens: true });
  } catch (error) {
    if (error instanceof Error && String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS'))
      throw usageError(error.message.replace(/\. To specify a positional argument.*$/s, ''), usage);
    throw error;
  }
}

/** A usage error (exit 2): the problem, then the command's usage. */
export function usageError(problem: string, usage: string): CliError {
  return new CliError(`${problem}\n\n${usage}`, 2);
}

/** A duration flag (`30s`, `5m`, `1h`, or milliseconds); undefined when not given. */
export function durationFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = parseDuration(/^\d+$/.test(value) ? Number(value) : value);
  if ('error' in parsed) throw new CliError(`${flag}: ${parsed.error}`, 2);
  return parsed.ms;
}

/** A time flag: epoch ms or ISO-8601 with a zone; undefined when not given. */
export function timeFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const t = parseEventTime(/^\d+$/.test(value) ? Number(value) : value);
  if (t === undefined)
    throw new CliError(`${flag} must be epoch ms or ISO-8601 with a zone (got ${JSON.stringify(value)})`, 2);
  return t;
}

export function positiveInteger(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new CliError(`${flag} must be a positive whole number (got ${JSON.stringify(value)})`, 2);
  return n;
}
