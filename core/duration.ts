/** Durations in a spec: `30s`, `10m`, `1h`, `7d`, `250ms`, or a whole number of milliseconds. */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;

const DURATION_PATTERN = /^(\d+)(ms|s|m|h|d)$/;

/** Parses a duration; returns an error message (naming the value) instead of throwing, for spec validation. */
export function parseDuration(value: unknown): { ms: number } | { error: string } {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value > 0) return { ms: value };
    if (value === 0) return { error: '0 must be positive (a duration is longer than nothing)' };
    return { error: `${JSON.stringify(value)} is not a positive whole number of milliseconds` };
  }
  if (typeof value === 'string') {
    const match = DURATION_PATTERN.exec(value.trim());
    if (match) {
      const ms = Number(match[1]) * UNIT_MS[match[2] as Unit];
      if (ms > 0 && Number.isSafeInteger(ms)) return { ms };
      if (ms === 0)
        return { error: `${JSON.stringify(value)} must be positive (a duration is longer than nothing)` };
      return { error: `${JSON.stringify(value)} is too long (more than ${Number.MAX_SAFE_INTEGER} ms)` };
    }
    return {
      error: `${JSON.stringify(value)} is not a duration like "30s", "10m", "1h", "7d" or milliseconds`,
    };
  }
  return {
    error: `${JSON.stringify(value)} is not a duration (a string like "10m" or a number of milliseconds)`,
  };
}

/** The shortest exact spelling of a duration: 600000 → "10m", 90000 → "90s". */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
