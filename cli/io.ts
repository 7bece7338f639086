/** Where a command writes: the process's streams in the CLI, buffers in tests. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** True when stderr is a terminal: progress may redraw one line. */
  readonly interactive?: boolean;
}

export const processIO: CliIO = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  interactive: process.stderr.isTTY === true,
};

/** A user error: printed as its message alone, exit code 2 (bad usage) or 1 (bad input). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * A progress bar redrawn in place on a terminal; a line per tenth of the way in a log. `verb` says what was done
 * to the records (`put`), if anything.
 */
export function progress(io: CliIO, done: number, total: number, previous: number, verb?: string): void {
  const width = 30;
  const filled = Math.round((done / total) * width);
  const suffix = verb ? ` ${verb}` : '';
  if (io.interactive)
    io.err(`\r  [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${suffix}`);
  else if (Math.floor((done * 10) / total) > Math.floor((previous * 10) / total)) {
    io.err(`  ${done}/${total} records${suffix}\n`);
  }
}

/** `{ normal: 5, late: 1 }` → `normal 5, late 1` */
export function describeCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
}

/** `1 Parquet file`, `2 Parquet files`: a count with its noun, singular for one. */
export function countOf(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}
