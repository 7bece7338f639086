/**
 * Small statistics helpers for the benchmark: medians and percentiles, and an A/B/A/B runner that interleaves
 * the variants being compared so that machine noise (turbo, other processes, GC state) hits each one alike.
 */

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile (p in 0..100) of a non-empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export interface Timing {
  wallMs: number;
  cpuMs: number;
}

/** Collects garbage when node runs with --expose-gc; a no-op otherwise. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
}

/** Collects garbage, then starts a clock of wall time and the process's CPU time; calling it stops the clock. */
function startClock(): () => Timing {
  collectGarbage();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
  };
}

/** Times one synchronous run: wall clock and the process's CPU time (above wall = GC helper threads at work). */
export function timeOnce(run: () => unknown, sink: { value: unknown }): Timing {
  const stop = startClock();
  sink.value = run();
  return stop();
}

/** Times one asynchronous run, as timeOnce does. */
export async function timeOnceAsync(run: () => Promise<unknown>): Promise<Timing> {
  const stop = startClock();
  await run();
  return stop();
}

/**
 * Runs each variant once to warm up (JIT, caches), then `repetitions` rounds of all variants, alternating the
 * order every round (A B C, C B A, A B C ...). Returns the timings of the measured rounds per variant.
 */
export function interleave<K extends string>(
  variants: Readonly<Record<K, () => unknown>>,
  repetitions: number,
  onRound?: (round: number) => void,
): Record<K, Timing[]> {
  const names = Object.keys(variants) as K[];
  const sink = { value: undefined as unknown };
  const timings = Object.fromEntries(names.map((name) => [name, [] as Timing[]])) as Record<K, Timing[]>;
  for (const name of names) timeOnce(variants[name], sink);
  for (let round = 0; round < repetitions; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) timings[name].push(timeOnce(variants[name], sink));
    onRound?.(round);
  }
  return timings;
}
