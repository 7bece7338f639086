/**
 * The per-event figures capacity planning reads: what the bench's steady-state run measured
 * (bench/results/steady-state.json, written by `npm run bench`), all per counted event of its measured day unless
 * named otherwise. Only the fields the plan uses are checked; the file holds more.
 */
import * as z from 'zod/mini';
import '../../core/zod-messages.js';

const nonNegative = () => z.number().check(z.nonnegative());

const itemSizes = z.object({
  items: nonNegative(),
  p50: nonNegative(),
  p90: nonNegative(),
  p99: nonNegative(),
  max: nonNegative(),
});

export const steadyStateFiguresSchema = z.object({
  date: z.string(),
  world: z.object({
    cards: nonNegative(),
    merchants: nonNegative(),
    eventsPerDay: nonNegative(),
    days: nonNegative(),
    shards: z.number().check(z.positive()),
    batchSize: z.number().check(z.positive()),
    measuredEvents: z.number().check(z.positive()),
  }),
  /** Write units per event by cause: accepted tile puts, id ledger, refused conditional tile puts. */
  writeUnitsPerEvent: z.object({
    total: nonNegative(),
    tiles: nonNegative(),
    ledger: nonNegative(),
    refused: nonNegative(),
  }),
  tilePutsPerEventByEntity: z.record(z.string(), nonNegative()),
  /** Read units per event by cause: the prefetch before writing, and re-reads after a refused put. */
  readUnitsPerEvent: z.object({
    total: nonNegative(),
    prefetch: nonNegative(),
    afterConflict: nonNegative(),
  }),
  /** Every item of the table after the measured day, per entity. */
  itemBytes: z.record(z.string(), itemSizes),
  /** Records one shard's writer applied per second of wall time (on DynamoDB Local, in the bench). */
  eventsPerSecondPerShard: z.number().check(z.positive()),
  /** The writer's model parts per full batch (adapters/plan/writer-model.ts), and its check on DynamoDB Local. */
  writer: z.object({
    batchSize: z.number().check(z.positive()),
    cpuMsPerEvent: nonNegative(),
    roundsPerBatch: nonNegative(),
    callsPerBatch: z.record(z.string(), nonNegative()),
    local: z.object({
      callMs: z.object({ p50: nonNegative(), p99: nonNegative(), mean: nonNegative() }),
      wallMsPerBatch: nonNegative(),
      modelMsPerBatch: nonNegative(),
      modelToMeasured: nonNegative(),
    }),
  }),
});

export type SteadyStateFigures = z.infer<typeof steadyStateFiguresSchema>;

/** The figures from a file's text; throws naming the file and the first bad field. */
export function parseSteadyStateFigures(text: string, file: string): SteadyStateFigures {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not JSON (${(error as Error).message})`);
  }
  const parsed = steadyStateFiguresSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : '(top level)';
    throw new Error(`${file}: ${where}: ${issue?.message ?? 'not steady-state figures'}`);
  }
  return parsed.data;
}
