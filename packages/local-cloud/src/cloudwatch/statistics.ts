/** CloudWatch statistics over samples, per period: SampleCount, Sum, Average, Minimum, Maximum, pNN. */

import type { Sample } from './metric-store.js';

export const STATISTICS = ['SampleCount', 'Sum', 'Average', 'Minimum', 'Maximum'] as const;
export type Statistic = (typeof STATISTICS)[number];

/** `p50`, `p99`, `p99.9`: a percentile (an ExtendedStatistic; other extended statistics are not supported). */
export const PERCENTILE = /^p(\d{1,2}(\.\d{1,2})?|100)$/;

export interface Bucket {
  /** Start of the period, epoch ms. */
  start: number;
  samples: Sample[];
}

/** Samples of [startMs, endMs) grouped by period (aligned to startMs, as GetMetricStatistics does). */
export function bucketsOf(
  samples: readonly Sample[],
  startMs: number,
  endMs: number,
  periodMs: number,
): Bucket[] {
  const buckets = new Map<number, Sample[]>();
  for (const sample of samples) {
    if (sample.timestamp < startMs || sample.timestamp >= endMs) continue;
    const start = startMs + Math.floor((sample.timestamp - startMs) / periodMs) * periodMs;
    const list = buckets.get(start) ?? [];
    list.push(sample);
    buckets.set(start, list);
  }
  return [...buckets.entries()].sort(([a], [b]) => a - b).map(([start, list]) => ({ start, samples: list }));
}

export function statistic(samples: readonly Sample[], name: Statistic): number {
  const count = samples.reduce((n, s) => n + s.count, 0);
  const sum = samples.reduce((n, s) => n + s.sum, 0);
  switch (name) {
    case 'SampleCount':
      return count;
    case 'Sum':
      return sum;
    case 'Average':
      return count === 0 ? 0 : sum / count;
    case 'Minimum':
      return Math.min(...samples.map((s) => s.min));
    case 'Maximum':
      return Math.max(...samples.map((s) => s.max));
  }
}

/**
 * A percentile of the raw values (nearest rank). Samples put as statistic sets have no raw values: without
 * any raw value the percentile is undefined (AWS estimates it; we leave it out).
 */
export function percentile(samples: readonly Sample[], name: string): number | undefined {
  const match = PERCENTILE.exec(name);
  if (match === null) return undefined;
  const values = samples.flatMap((s) => s.values ?? []).sort((a, b) => a - b);
  if (values.length === 0) return undefined;
  const p = Number(match[1]);
  const rank = Math.max(1, Math.ceil((p / 100) * values.length));
  return values[Math.min(rank, values.length) - 1];
}
