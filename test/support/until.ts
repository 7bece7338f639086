import { type UntilOptions, until as untilWithin } from '../../packages/local-cloud/test/support/harness.js';

export type { UntilOptions };

/**
 * Polls `probe` until it answers (anything but undefined), with a deadline instead of a fixed sleep: the local
 * cloud's own polling, with the long app tests' defaults (10 minutes, a try a second).
 */
export function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  { timeoutMs = 10 * 60_000, pollMs = 1_000 }: UntilOptions = {},
): Promise<T> {
  return untilWithin(what, probe, { timeoutMs, pollMs });
}
