/**
 * Writes synthetic fraud traffic as JSON Lines:
 *
 *   tsx examples/fraud/cli.ts --events 10000 --seed 7 --out DIR
 *
 * produces DIR/events.jsonl (arrival order, arrival time under "arrival_ms") and DIR/labels.jsonl; with
 * --archive also DIR/archive/, the records as the pipeline's raw archive (Parquet under dt=/hour=, on 2 shards).
 * Every TrafficOptions field is a flag in kebab case (--late-rate 0.01, --events-per-second 100 …);
 * --start takes an ISO-8601 date-time; --arrival-field renames the arrival field.
 */
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeRawArchive } from '../../adapters/archive/archive-writer.js';
import { onShards } from '../../cli/simulated-stream.js';
import { parseSpecJson } from '../../core/index.js';
import {
  DEFAULT_TRAFFIC_OPTIONS,
  eventLinesText,
  generateFraudTraffic,
  labelLinesText,
  type TrafficOptions,
} from './generate.js';

const USAGE = `usage: tsx examples/fraud/cli.ts --out DIR [--archive] [--events N] [--seed N] [--start ISO] [--arrival-field NAME]
  [--events-per-second X] [--cards N] [--merchants N] [--fraud-rate P] [--late-rate P] [--future-rate P]
  [--duplicate-rate P] [--invalid-rate P] … (every generator option, in kebab case)`;

class UsageError extends Error {}

const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const NUMERIC_FLAGS = new Map<string, keyof TrafficOptions>(
  (Object.keys(DEFAULT_TRAFFIC_OPTIONS) as (keyof TrafficOptions)[])
    .filter((key) => key !== 'startMs')
    .map((key) => [kebab(key), key]),
);

function parseNumber(flag: string, raw: string): number {
  const value = raw.trim() === '' ? Number.NaN : Number(raw.replaceAll('_', ''));
  if (!Number.isFinite(value)) throw new UsageError(`--${flag}: expected a number, got "${raw}"`);
  return value;
}

const SLICE = 20_000;
const ARCHIVE_SHARDS = 2;

function writeSliced(path: string, count: number, text: (start: number, end: number) => string): void {
  const fd = openSync(path, 'w');
  try {
    for (let start = 0; start < count; start += SLICE)
      writeSync(fd, text(start, Math.min(count, start + SLICE)));
  } finally {
    closeSync(fd);
  }
}

function main(argv: string[]): void {
  const options: Record<string, { type: 'string' } | { type: 'boolean' }> = {
    out: { type: 'string' },
    start: { type: 'string' },
    'arrival-field': { type: 'string' },
    archive: { type: 'boolean' },
    help: { type: 'boolean' },
  };
  for (const flag of NUMERIC_FLAGS.keys()) options[flag] = { type: 'string' };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }

  const traffic: Partial<TrafficOptions> = {};
  for (const [flag, key] of NUMERIC_FLAGS) {
    const raw = values[flag];
    if (typeof raw === 'string') traffic[key] = parseNumber(flag, raw);
  }
  if (typeof values.start === 'string') {
    const startMs = Date.parse(values.start);
    if (Number.isNaN(startMs))
      throw new UsageError(`--start: expected an ISO-8601 date-time, got "${values.start}"`);
    traffic.startMs = startMs;
  }
  const out = values.out;
  if (typeof out !== 'string' || out === '') throw new UsageError('--out DIR is required');
  const arrivalField = typeof values['arrival-field'] === 'string' ? values['arrival-field'] : 'arrival_ms';
  if (arrivalField === '') throw new UsageError('--arrival-field: expected a non-empty name');

  const started = performance.now();
  let generated: ReturnType<typeof generateFraudTraffic>;
  try {
    generated = generateFraudTraffic(traffic);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    // Name the flag, not the option: "traffic option lateRate must be …" → "--late-rate: must be …".
    const match = /^traffic option (\w+) (.*)$/.exec(error.message);
    throw new UsageError(match ? `--${kebab(match[1] as string)}: ${match[2]}` : error.message);
  }
  const generatedMs = performance.now() - started;
  mkdirSync(out, { recursive: true });
  // In slices, so that a million events never become one 200 MB string.
  writeSliced(join(out, 'events.jsonl'), generated.records.length, (start, end) =>
    eventLinesText(generated.records, arrivalField, start, end),
  );
  writeSliced(join(out, 'labels.jsonl'), generated.labels.length, (start, end) =>
    labelLinesText(generated.labels, start, end),
  );

  if (values.archive === true) {
    const spec = parseSpecJson(readFileSync(new URL('./spec.json', import.meta.url), 'utf8'));
    writeRawArchive(join(out, 'archive'), spec, onShards(generated.records, ARCHIVE_SHARDS));
  }

  const counts = Object.entries(generated.counts)
    .map(([kind, n]) => `${kind}=${n}`)
    .join(' ');
  console.log(
    `wrote ${generated.records.length} records and ${generated.labels.length} labels to ${out} ` +
      `(${counts}; generated in ${generatedMs.toFixed(0)} ms)`,
  );
}

try {
  main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`error: ${error.message}\n${USAGE}`);
    process.exitCode = 2;
  } else {
    throw error;
  }
}
