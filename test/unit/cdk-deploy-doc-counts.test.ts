/**
 * The counts docs/deploy.md gives (alarms, the metrics they bill for, keys) against the synthesized templates, so
 * the page cannot drift from the stack again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../lib/streamfeatures-function.js';
import { type PipelineOverrides, resourcesOf, synthesize } from '../cdk/synth.js';

const DEPLOY_MD = readFileSync(join(PACKAGE_ROOT, 'docs/deploy.md'), 'utf8');

/** The numbers a pattern captures in docs/deploy.md; fails, quoting the pattern, when the page lacks it. */
function documented(pattern: RegExp): number[] {
  const match = pattern.exec(DEPLOY_MD);
  if (!match) throw new Error(`docs/deploy.md has no line matching ${pattern}`);
  return match.slice(1).map(Number);
}

interface Counts {
  readonly alarms: number;
  /** CloudWatch bills an alarm per metric it reads: a metric-math alarm counts each of its metrics. */
  readonly alarmMetrics: number;
  readonly keys: number;
}

function countsOf(props: PipelineOverrides): Counts {
  const { template } = synthesize(props);
  const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'));
  const metricsOf = (properties: Record<string, unknown> | undefined): number => {
    if (properties?.MetricName !== undefined) return 1;
    const metrics = (properties?.Metrics ?? []) as { MetricStat?: unknown }[];
    return metrics.filter((m) => m.MetricStat !== undefined).length;
  };
  return {
    alarms: alarms.length,
    alarmMetrics: alarms.reduce((sum, alarm) => sum + metricsOf(alarm.Properties), 0),
    keys: Object.keys(resourcesOf(template, 'AWS::KMS::Key')).length,
  };
}

let base: Counts;
beforeAll(() => {
  base = countsOf({});
});

describe('docs/deploy.md counts', () => {
  it('fails if the alarm counts of "What gets created" differ from the synthesized stacks', () => {
    const [withIngest, withIceberg, byDefault] = documented(
      /alarms \((\d+) with `ingestApi`, (\d+) with `iceberg`, one more with a challenger\)\s*\|\s*1\+1\+(\d+)\s*\|/,
    );
    expect({ byDefault, withIngest, withIceberg }).toEqual({
      byDefault: base.alarms,
      withIngest: countsOf({ ingestApi: true }).alarms,
      withIceberg: countsOf({ offlineFormat: 'iceberg' }).alarms,
    });
    const challenger = countsOf({ challenger: { mode: 'shadow', endpointName: 'Fraud-Challenger' } });
    expect(challenger.alarms).toBe(base.alarms + 1);
  });

  it('fails if the fixed monthly cost counts other alarms, alarm metrics or keys than the default stack has', () => {
    const [alarms, metrics, dollars, cents] = documented(
      /alarms: (\d+) alarms over (\d+) metrics = \$(\d+)\.(\d\d)/,
    );
    const [keys] = documented(/KMS keys: (\d+) × \$1 = \$\d+/);
    const [keysInTable] = documented(/\| KMS customer-managed keys \([^)]*\)\s*\|\s*(\d+)\s*\|/);
    expect({ alarms, metrics, keys, keysInTable }).toEqual({
      alarms: base.alarms,
      metrics: base.alarmMetrics,
      keys: base.keys,
      keysInTable: base.keys,
    });
    // $0.10 per alarm metric a month.
    expect((dollars ?? 0) * 100 + (cents ?? 0)).toBe(base.alarmMetrics * 10);
  });
});
