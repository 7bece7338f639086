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
