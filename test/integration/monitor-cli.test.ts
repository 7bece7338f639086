import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rocAuc } from '../../adapters/model/metrics.js';
import { runCli } from '../support/cli.js';
import { FRAUD_SPEC_FILE } from '../support/fraud-training-set.js';
import { type MonitorFixture, writeMonitorFixture } from '../support/monitor-fixture.js';

/** `streamfeatures monitor` on generated traffic with delayed labels (test/support/monitor-fixture.ts). */
const DAY = 86_400_000;
let dir: string;
let paths: MonitorFixture['paths'];
let expected: MonitorFixture['expected'];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sf-monitor-'));
  ({ paths, expected } = writeMonitorFixture(dir));
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const monitor = (...extra: string[]) =>
  runCli([
    'monitor',
    '--spec',
    FRAUD_SPEC_FILE.pathname,
    '--feature-log',
    paths.log,
    '--labels',
    paths.labels,
    ...extra,
  ]);

describe('streamfeatures monitor', () => {
  it('reports quality per model and variant from the delayed labels, matching an independent AUC', async () => {
    const { code, stdout, stderr } = await monitor(
      '--models',
      paths.models,
      '--archive',
      paths.archive,
      '--side-outputs',
      paths.sideOutputs,
      '--json',
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.labels).toMatchObject({ joined: expected.labelled, unmatched: 0, setAside: 1 });
    expect(report.labels.examples[0].source).toMatch(/by-keys\.jsonl:\d+$/);
    expect(report.labels.examples[0].reason).toContain('"label" must be 0, 1, true or false');
    const byVariant = Object.fromEntries(report.quality.map((q: { variant: string }) => [q.variant, q]));
    expect(Object.keys(byVariant).sort()).toEqual(['champion', 'shadow']);
    const championQuality = byVariant.champion;
    expect(championQuality.quality.rows).toBe(expected.labelled);
    expect(championQuality.quality.rocAuc).toBeCloseTo(rocAuc(expected.labels, expected.scores), 12);
    expect(championQuality.labelCoverage).toBeCloseTo(expected.labelled / expected.predictions, 12);
    expect(championQuality.labelDelayP50Ms).toBeGreaterThan(DAY);
    expect(championQuality.labelDelayP99Ms).toBeLessThanOrEqual(30 * DAY + 40);
    expect(championQuality.quality.calibration).toHaveLength(10);
    // Drift: the champion against its training distributions (no shift: all small); the shadow has none.
    const drift = Object.fromEntries(report.drift.map((d: { modelVersion: string }) => [d.modelVersion, d]));
    expect(drift['fraud-lr-52a6357d6140'].features.length).toBeGreaterThan(10);
    for (const f of drift['fraud-lr-52a6357d6140'].features) expect(f.psi, f.feature).toBeLessThan(0.1);
    expect(drift['placeholder-untrained-0']).toMatchObject({ features: null });
    expect(drift['placeholder-untrained-0'].note).toContain('no training distribution');
    // Data quality: every archived record counted, the generator's invalid and late ones by rule.
    expect(report.stream.records).toBe(expected.records);
    expect(report.stream.hours.reduce((n: number, h: { records: number }) => n + h.records, 0)).toBe(
      expected.records,
    );
    const rules = report.stream.setAside.map(
      (s: { reason: string; rule: string }) => `${s.reason}/${s.rule}`,
    );
    expect(rules).toContain('late/late');
    expect(
      report.stream.fields.find((f: { field: string }) => f.field === 'amount').invalidRate,
    ).toBeGreaterThan(0);
  }, 120_000);

  it('prints a readable report', async () => {
    const { code, stdout } = await monitor('--models', paths.models, '--threshold', '0.3');
    expect(code).toBe(0);
    expect(stdout).toMatch(/champion fraud-lr-52a6357d6140: \d+ labelled \(\d+ positive\); ROC AUC 0\.\d{4}/);
    expect(stdout).toContain('at 0.3: precision');
    expect(stdout).toContain('placeholder-untrained-0: no training distribution');
    expect(stdout).toContain('1 set aside');
  }, 60_000);

  it('computes the metrics over the labels of the window only', async () => {
    const all = JSON.parse((await monitor('--json')).stdout);
    const firstRequest = JSON.parse(readFileSync(paths.log, 'utf8').split('\n')[0] as string).request_ms;
    const to = firstRequest + 10 * DAY;
    const windowed = JSON.parse((await monitor('--json', '--to', String(to))).stdout);
    const champion = (r: { quality: { variant: string; quality: { rows: number } }[] }) =>
      r.quality.find((q) => q.variant === 'champion')?.quality.rows as number;
    expect(champion(windowed)).toBeGreaterThan(0);
    expect(champion(windowed)).toBeLessThan(champion(all));
  }, 60_000);

  it('fails naming the bad flag or file', async () => {
    const missing = await monitor('--archive', join(dir, 'nowhere'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`--archive: cannot read the archive ${join(dir, 'nowhere')}`);
    const noLabels = await runCli([
      'monitor',
      '--spec',
      FRAUD_SPEC_FILE.pathname,
      '--feature-log',
      paths.log,
      '--labels',
      join(dir, 'none.jsonl'),
    ]);
    expect(noLabels.stderr).toContain(
      `--labels: cannot read the labels ${join(dir, 'none.jsonl')}: no such file or folder`,
    );
    const badTime = await monitor('--from', 'yesterday');
    expect(badTime.code).toBe(2);
    expect(badTime.stderr).toContain('--from must be epoch ms or ISO-8601 with a zone (got "yesterday")');
    const usage = await runCli(['monitor', '--spec', 's.json']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('monitor needs --spec, --feature-log and --labels');
  }, 60_000);

  it('answers --help with its usage, and is listed by streamfeatures --help', async () => {
    const help = await runCli(['monitor', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: streamfeatures monitor --spec S --feature-log F --labels L');
    expect((await runCli(['--help'])).stdout).toMatch(/monitor\s+model quality from delayed labels/);
  }, 60_000);
});
