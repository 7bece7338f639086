import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { accountedTotals, openEventSource } from '../adapters/archive/event-source.js';
import { AtomicFile } from '../adapters/files/atomic-file.js';
import { readQueryLines } from '../adapters/files/json-lines.js';
import { loadSpecFile } from '../adapters/files/spec-file.js';
import {
  ArrivalSweep,
  checkQuery,
  compileSpec,
  type Lookup,
  pointInTime,
  type ReplayAnswer,
} from '../core/index.js';
import { type CliIO, describeCounts } from './io.js';

export interface ReplayOptions {
  spec: string;
  /** JSON Lines events, or the raw archive (a Parquet file, a directory, s3://bucket/prefix). */
  events: string;
  queries: string;
  out: string;
  arrivalField?: string | undefined;
  reorderWindowMs?: number | undefined;
}

/**
 * `streamfeatures replay`: point-in-time features for each query, from a replay of the events through the
 * engine. Writes one JSON line a query, in order; says on stderr what every event became. The events stream
 * (a Parquet archive a slice at a time); the queries and their answers are held in memory.
 */
export async function replayCommand(options: ReplayOptions, io: CliIO): Promise<number> {
  const started = performance.now();
  const spec = compileSpec(await loadSpecFile(options.spec));
  const queries = await readQueryLines(options.queries);
  queries.forEach((query, i) => {
    checkQuery(spec, query, i);
  });
  const source = await openEventSource(spec, options.events, options);
  const lookups: Lookup<number>[] = queries
    .map((query, i) => ({ t: query.t, entities: [query], payload: i }))
    .sort((a, b) => a.t - b.t); // stable: queries at one time keep their order

  const sweep = new ArrivalSweep(spec);
  const answers: ReplayAnswer[] = new Array(queries.length);
  for await (const { lookup, features } of pointInTime(sweep, source.chunks, lookups)) {
    answers[lookup.payload] = { ...(lookup.entities[0] as ReplayAnswer), features };
  }

  await writeAnswers(options.out, answers);

  const { totals, events } = accountedTotals(source, sweep.totals);
  const seconds = (performance.now() - started) / 1000;
  io.err(
    `replayed ${events} events in ${seconds.toFixed(2)} s: ${describeCounts(totals)}; ` +
      `answered ${answers.length} queries into ${options.out}\n`,
  );
  return 0;
}

/** One JSON line per answer, written whole or not at all. */
async function writeAnswers(path: string, answers: readonly ReplayAnswer[]): Promise<void> {
  const file = new AtomicFile(path);
  try {
    const out = createWriteStream(file.temporary);
    const failed = once(out, 'error').then(([error]) => {
      throw error;
    });
    for (const answer of answers) {
      if (!out.write(`${JSON.stringify(answer)}\n`)) await Promise.race([once(out, 'drain'), failed]);
    }
    out.end();
    await Promise.race([once(out, 'finish'), failed]);
    file.commit();
  } catch (error) {
    file.discard();
    throw new Error(`cannot write ${path}: ${(error as Error).message}`);
  }
}
