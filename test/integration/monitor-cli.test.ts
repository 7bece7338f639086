import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRawArchive } from '../../adapters/archive/archive-writer.js';
import { EmbeddedModel, parseModelDocument } from '../../adapters/model/embedded-model.js';
import { rocAuc } from '../../adapters/model/metrics.js';
import { trainingDistributions } from '../../adapters/model/training-distributions.js';
import { jsonLinesText, rejectionLine, sideOutputKey } from '../../adapters/side-outputs/layout.js';
import { onShards } from '../../cli/simulated-stream.js';
import { classify, isRejection } from '../../core/index.js';
import { seededRandom } from '../../core/seeded-random.js';
import { runCli } from '../support/cli.js';
import { FRAUD_SPEC_FILE, fraudSpec } from '../support/fraud-training-set.js';
import { servedVectors } from '../support/served-vectors.js';

/**
 * `streamfeatures monitor` on generated traffic: the fraud generator's events as the raw archive and side outputs,
 * a feature log of the example model's scores (a shadow beside it), and delayed labels arriving days later, some
 * by request id and some by entity keys + time, one of them bad.
 */
const spec = fraudSpec();
const DAY = 86_400_000;
let dir: string;
const paths = { log: '', labels: '', archive: '', sideOutputs: '', models: '' };
let champion: EmbeddedModel;
let expected: { labels: number[]; scores: number[]; labelled: number; predictions: number; records: number };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sf-monitor-'));
  const registry = new URL('../../examples/fraud/models/', import.meta.url);
  const championDoc = parseModelDocument(
    JSON.parse(readFileSync(new URL('fraud-lr-52a6357d6140.json', registry), 'utf8')),
  );
  const shadowDoc = parseModelDocument(
    JSON.parse(readFileSync(new URL('placeholder-untrained-0.json', registry), 'utf8')),
  );
  champion = new EmbeddedModel(championDoc);
  const shadow = new EmbeddedModel(shadowDoc);

  const { records, rows } = servedVectors({
    events: 4_000,
    eventsPerSecond: 0.5,
    cards: 300,
    merchants: 60,
    seed: 11,
  });
  // Training distributions from every other row: the champion's registry entry as `train` writes it.
  const numeric = spec.spec.features.filter((f) => f.agg !== 'last').map((f) => f.name);
  const training = rows.filter((_, i) => i % 2 === 0);
  paths.models = join(dir, 'models');
  mkdirSync(paths.models);
  const distributions = trainingDistributions(
    new Map(
      numeric.map((name) => [name, training.map((row) => (row.features[name] ?? null) as number | null)]),
    ),
  );
  writeFileSync(
    join(paths.models, `${championDoc.version}.json`),
    JSON.stringify({ ...championDoc, featureDistributions: distributions }),
  );
  // The shadow's entry predates distributions.
  writeFileSync(join(paths.models, `${shadowDoc.version}.json`), JSON.stringify(shadowDoc));

  const random = seededRandom(5);
  const log: unknown[] = [];
  const labelsById: unknown[] = [];
  const labelsByKeys: unknown[] = [];
  expected = { labels: [], scores: [], labelled: 0, predictions: rows.length, records: records.length };
  rows.forEach((row, i) => {
    const score = champion.scoreVector(row.features as never);
    log.push({
      request_id: `req-${i}`,
      request_ms: row.t + 40,
      t: row.t,
      entities: {
        card: { card_id: row.card_id },
        merchant: { merchant_id: row.merchant_id },
        card_merchant: { card_id: row.card_id, merchant_id: row.merchant_id },
      },
      features: row.features,
      score,
      model_version: championDoc.version,
      backend: 'embedded',
      fallback: false,
      variant: 'champion',
      shadow_score: shadow.scoreVector(row.features as never),
      shadow_model_version: shadowDoc.version,
    });
    if (random() < 0.2) return; // a fifth of the requests have no label yet
    const labelTime = row.t + Math.round((1 + 29 * random()) * DAY); // chargebacks: 1 to 30 days later
    expected.labelled++;
    expected.labels.push(row.label);
    expected.scores.push(score);
    if (i % 2 === 0)
      labelsById.push({ request_id: `req-${i}`, label: row.label === 1, label_time: labelTime });
    else {
      labelsByKeys.push({
        card_id: row.card_id,
        merchant_id: row.merchant_id,
        ts: new Date(row.t).toISOString(),
        label: row.label,
        label_time: new Date(labelTime).toISOString(),
      });
    }
  });
  paths.log = join(dir, 'feature-log.jsonl');
  writeFileSync(paths.log, jsonLinesText(log));
  paths.labels = join(dir, 'labels');
  mkdirSync(join(paths.labels, 'dt=2026-12-01'), { recursive: true });
  writeFileSync(join(paths.labels, 'dt=2026-12-01', 'by-request.jsonl'), jsonLinesText(labelsById));
  writeFileSync(
    join(paths.labels, 'dt=2026-12-01', 'by-keys.jsonl'),
    `${jsonLinesText(labelsByKeys)}{"card_id":"c1","label":"maybe","label_time":1}\n`,
  );

  // The pipeline's outputs for the same records: raw archive, and the set-aside ones in quarantine/ and late/.
  const shardRecords = onShards(records, 2);
  paths.archive = join(dir, 'archive');
  writeRawArchive(paths.archive, spec.spec, shardRecords);
  paths.sideOutputs = join(dir, 'side-outputs');
  for (const record of shardRecords) {
    const result = classify(spec, record);
    if (!isRejection(result)) continue;
    const prefix = result.reason === 'late' ? 'late/' : 'quarantine/';
    const key = join(paths.sideOutputs, sideOutputKey(prefix, { first: record, last: record }));
    mkdirSync(join(key, '..'), { recursive: true });
    writeFileSync(key, jsonLinesText([rejectionLine(result)]));
  }
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
