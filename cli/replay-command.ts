import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { readEventLines, readQueryLines } from '../adapters/files/json-lines.js';
import { loadSpecFile } from '../adapters/files/spec-file.js';
import { compileSpec, replay } from '../core/index.js';
import type { CliIO } from './io.js';

export interface ReplayOptions {
  spec: string;
  events: string;
  queries: string;
  out: string;
  arrivalField?: string;
}

/**
 * `streamfeatures replay`: point-in-time features for each query, from a replay of the events through the
 * engine. Writes one JSON line a query, in order; says on stderr what every event became.
 */
export async function replayCommand(options: ReplayOptions, io: CliIO): Promise<number> {
  const started = performance.now();
  const spec = compileSpec(await loadSpecFile(options.spec));
  const { records, rejected } = await readEventLines(spec, options.events, options.arrivalField);
  const queries = await readQueryLines(options.queries);
  const { answers, totals } = replay(spec, records, queries);

  const out = createWriteStream(options.out);
  for (const answer of answers) {
    if (!out.write(`${JSON.stringify(answer)}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');

  totals.invalid += rejected.length;
  const seconds = (performance.now() - started) / 1000;
  const events = records.length + rejected.length;
  io.err(
    `replayed ${events} events in ${seconds.toFixed(2)} s: counted ${totals.counted}, invalid ${totals.invalid}, ` +
      `future ${totals.future}, late ${totals.late}, duplicate ${totals.duplicate}; ` +
      `answered ${answers.length} queries into ${options.out}\n`,
  );
  return 0;
}
