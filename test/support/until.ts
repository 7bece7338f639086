export interface UntilOptions {
  /** How long to keep trying, ms; default 10 minutes (the long local-cloud tests' wait). */
  readonly timeoutMs?: number;
  /** The pause between tries, ms; default a second. */
  readonly pollMs?: number;
}

/** Polls `probe` until it answers (anything but undefined), with a deadline instead of a fixed sleep. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  { timeoutMs = 10 * 60_000, pollMs = 1_000 }: UntilOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
