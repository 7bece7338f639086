import { createHash } from 'node:crypto';
import {
  appendFileSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRawArchive } from '../../adapters/archive/archive-writer.js';
import { parseModelDocument } from '../../adapters/model/embedded-model.js';
import { onShards } from '../../cli/simulated-stream.js';
import { specVersionOf } from '../../core/index.js';
import { seededRandom } from '../../core/seeded-random.js';
import { generateFraudTraffic } from '../../examples/fraud/generate.js';
import { appContext } from '../../lib/config.js';
import { modelsToBuildIn } from '../../lib/model-registry.js';
import { runCliInProcess } from '../support/cli.js';
import { FRAUD_SPEC_FILE, fraudSpec } from '../support/fraud-training-set.js';
import { writeMonitorFixture } from '../support/monitor-fixture.js';

/**
 * `streamfeatures retrain` on generated fraud traffic (the raw archive) with delayed labels: chargebacks known 1
 * to 30 days after the payment. The champion is the committed fraud model.
 */
const DAY = 86_400_000;
const CHAMPION = 'fraud-lr-52a6357d6140';
let dir: string;
let archive: string;
let labelsDir: string;
let models: string;
/** The labels as written, with their label_time. */
let written: { event_id: string; ts: number; label: 0 | 1; label_time: number }[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sf-retrain-'));
  const spec = fraudSpec();
  const traffic = generateFraudTraffic({ events: 20_000, seed: 3, fraudRate: 0.01 });
  archive = join(dir, 'archive');
  writeRawArchive(archive, spec.spec, onShards(traffic.records, 2));
  const random = seededRandom(9);
  written = traffic.labels.map((label) => ({
    ...label,
    label_time: label.ts + Math.round((1 + 29 * random()) * DAY),
  }));
  labelsDir = join(dir, 'labels');
  mkdirSync(join(labelsDir, 'dt=2026-12-01'), { recursive: true });
  writeFileSync(
    join(labelsDir, 'dt=2026-12-01', 'chargebacks.jsonl'),
    `${written.map((label) => JSON.stringify({ ...label, label_time: new Date(label.label_time).toISOString() })).join('\n')}\n`,
  );
  models = join(dir, 'models');
  mkdirSync(models);
  copyFileSync(
    new URL(`../../examples/fraud/models/${CHAMPION}.json`, import.meta.url),
    join(models, `${CHAMPION}.json`),
  );
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const retrain = (...extra: string[]) =>
  runCliInProcess(
    'retrain',
    '--spec',
    FRAUD_SPEC_FILE.pathname,
    '--archive',
    archive,
    '--labels',
    labelsDir,
    '--models',
    models,
    ...extra,
  );

/** Every file of the registry with its content. */
const registryState = () =>
  Object.fromEntries(readdirSync(models).map((name) => [name, readFileSync(join(models, name), 'utf8')]));

describe('streamfeatures retrain', () => {
  it('registers a new version scored beside the champion on the identical holdout: the labels known last', async () => {
    const { code, stdout, stderr } = await retrain('--json');
    expect(stderr).not.toContain('streamfeatures:');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);

    // The holdout, computed here: the labels in event-time order, then by label_time; the last fifth (and any tied
    // with its first) held out, taken in label_time order.
    const byEvent = [...written].sort((a, b) => a.ts - b.ts);
    const ranked = byEvent
      .map((label, row) => ({ label, row }))
      .sort((a, b) => a.label.label_time - b.label.label_time || a.row - b.row)
      .map(({ label }) => label);
    const cut = ranked[ranked.length - Math.round(ranked.length * 0.2)]?.label_time as number;
    const holdout = ranked.filter((label) => label.label_time >= cut);
    const training = byEvent.filter((label) => label.label_time < cut);
    const idsHash = createHash('sha256')
      .update(holdout.map((label) => label.event_id).join('\n'))
      .digest('hex');

    expect(report.split).toMatchObject({
      by: 'label_time',
      holdoutFrom: new Date(cut).toISOString(),
      holdoutRows: holdout.length,
      holdoutPositives: holdout.filter((label) => label.label === 1).length,
      trainRows: training.length,
    });
    expect(report.split.holdoutPositives).toBeGreaterThanOrEqual(10);
    for (const figures of [report.champion, report.retrained]) {
      expect(figures.rows).toBe(holdout.length);
      expect(figures.quality.rows).toBe(holdout.length);
      expect(figures.rowIdsSha256).toBe(idsHash);
      expect(figures.quality.rocAuc).toBeGreaterThan(0.7);
    }
    expect(report.champion.modelVersion).toBe(CHAMPION);

    // Registered as train writes a model: the champion's name and features, the spec hash, the distributions.
    const version: string = report.retrained.modelVersion;
    expect(version).toMatch(/^fraud-lr-[0-9a-f]{12}$/);
    expect(version).not.toBe(CHAMPION);
    expect(report.registered).toMatchObject({ version, alreadyThere: false });
    const champion = parseModelDocument(JSON.parse(readFileSync(join(models, `${CHAMPION}.json`), 'utf8')));
    const document = parseModelDocument(JSON.parse(readFileSync(join(models, `${version}.json`), 'utf8')));
    expect(document.features).toEqual(champion.features);
    expect(document.spec?.hash).toBe(specVersionOf(fraudSpec()).hash);
    expect(Object.keys(document.featureDistributions ?? {})).toEqual(
      expect.arrayContaining(champion.features),
    );
    expect(document.training?.holdoutFrom).toBe(cut);

    // The printed deploy is the app's own context: it names the registry, the champion and the shadow challenger,
    // and the registry it names serves both.
    const context = contextOf(report.commands.shadow);
    const { overrides } = appContext({ stage: 'dev', specFile: 'spec.json', ...context });
    expect(overrides).toMatchObject({
      modelRegistry: models,
      modelVersion: CHAMPION,
      challenger: { mode: 'shadow', version },
    });
    const built = modelsToBuildIn(models, CHAMPION, version);
    expect(built.documents.map((d) => d.version)).toEqual([CHAMPION, version]);
    expect(contextOf(report.commands.promote)).toEqual({ modelRegistry: models, modelVersion: version });
    expect(contextOf(report.commands.rollback)).toEqual({ modelRegistry: models, modelVersion: CHAMPION });
  }, 300_000);

  it('prints both models figures side by side, the split rule, and the commands', async () => {
    const { code, stdout } = await retrain('--champion', CHAMPION, '--threshold', '0.3');
    expect(code).toBe(0);
    expect(stdout).toMatch(/split by label_time at \S+: trained on the \d+ labels known before it/);
    expect(stdout).toMatch(new RegExp(`champion ${CHAMPION}\\s+new fraud-lr-[0-9a-f]{12}`));
    expect(stdout).toMatch(/ROC AUC\s+0\.\d{4}\s+0\.\d{4}/);
    expect(stdout).toMatch(/precision at 0\.3\s+\S+\s+\S+/);
    // The same data trains the same model: it is in the registry already, and left as it was.
    expect(stdout).toContain('was already in the registry');
    expect(stdout).toContain(`run it as a shadow challenger:  npx cdk deploy -c modelRegistry=${models}`);
  }, 300_000);

  it('leaves the registry as it was when the labels file has a bad line, naming the file and line', async () => {
    const before = registryState();
    const bad = join(labelsDir, 'dt=2026-12-02', 'late.jsonl');
    mkdirSync(join(bad, '..'));
    writeFileSync(
      bad,
      '{"card_id":"c1","merchant_id":"m1","ts":1793491200000,"label":1,"label_time":1793491200001}\n',
    );
    appendFileSync(
      bad,
      '{"card_id":"c1","merchant_id":"m1","ts":1793491200000,"label":"yes","label_time":1}\n',
    );
    try {
      const { code, stderr } = await retrain('--json');
      expect(code).toBe(1);
      expect(stderr).toContain(`--labels: ${bad}:2: "label" must be 0, 1, true or false (got "yes")`);
      expect(stderr).toContain('nothing was registered');
      expect(registryState()).toEqual(before);
    } finally {
      rmSync(join(bad, '..'), { recursive: true });
    }
  }, 120_000);

  it('registers nothing when it fails after training (a holdout with too few positives)', async () => {
    const before = registryState();
    const { code, stderr } = await retrain('--min-holdout-positives', '100000', '--name', 'other-name');
    expect(code).toBe(1);
    expect(stderr).toContain('fewer than the minimum of 100000');
    expect(registryState()).toEqual(before);
  }, 300_000);

  it('fails naming the bad flag', async () => {
    const unknown = await retrain('--champion', 'fraud-lr-000000000000');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      `--champion: version fraud-lr-000000000000 is not in the model registry ${models}`,
    );
    const noRegistry = await runCliInProcess(
      'retrain',
      '--spec',
      FRAUD_SPEC_FILE.pathname,
      '--archive',
      archive,
      '--labels',
      labelsDir,
      '--models',
      join(dir, 'nowhere'),
    );
    expect(noRegistry.stderr).toContain(
      `--models: cannot read the model registry ${join(dir, 'nowhere')}: no such folder`,
    );
    const share = await retrain('--holdout-share', '1.5');
    expect(share.code).toBe(2);
    expect(share.stderr).toContain('--holdout-share must be a number between 0 and 1 (got "1.5")');
    const missing = await runCliInProcess('retrain', '--spec', 's.json');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('retrain needs --spec, --archive, --labels and --models');
  }, 120_000);

  it('answers --help, and is listed by streamfeatures --help', async () => {
    const help = await runCliInProcess('retrain', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: streamfeatures retrain --spec S --archive A --labels L --models');
    expect((await runCliInProcess('--help')).stdout).toMatch(/retrain\s+train a new model from the archive/);
  });
});

/** The `-c key=value` pairs of a printed command, as the CDK CLI would pass them (single quotes removed). */
function contextOf(command: string): Record<string, string> {
  const context: Record<string, string> = {};
  for (const match of command.matchAll(/-c ('([^']*)'|(\S+))/g)) {
    const pair = (match[2] ?? match[3]) as string;
    const at = pair.indexOf('=');
    context[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return context;
}

describe('streamfeatures retrain with labels named by request id', () => {
  let fixture: string;
  let paths: ReturnType<typeof writeMonitorFixture>['paths'];
  let labelled: number;

  beforeAll(() => {
    fixture = mkdtempSync(join(tmpdir(), 'sf-retrain-by-id-'));
    const written = writeMonitorFixture(fixture);
    paths = written.paths;
    labelled = written.expected.labelled;
    // The fixture plants one bad label for the monitor to set aside; a retrain would stop on it.
    const byKeys = join(paths.labels, 'dt=2026-12-01', 'by-keys.jsonl');
    const lines = readFileSync(byKeys, 'utf8').trimEnd().split('\n');
    writeFileSync(byKeys, `${lines.slice(0, -1).join('\n')}\n`);
    mkdirSync(join(fixture, 'registry'));
    copyFileSync(
      new URL(`../../examples/fraud/models/${CHAMPION}.json`, import.meta.url),
      join(fixture, 'registry', `${CHAMPION}.json`),
    );
  }, 120_000);

  afterAll(() => rmSync(fixture, { recursive: true, force: true }));

  it('finds their keys and event time in the feature log, and stops without it, naming the label', async () => {
    const common = [
      'retrain',
      '--spec',
      FRAUD_SPEC_FILE.pathname,
      '--archive',
      paths.archive,
      '--labels',
      paths.labels,
      '--models',
      join(fixture, 'registry'),
    ];
    const without = await runCliInProcess(...common);
    expect(without.code).toBe(1);
    expect(without.stderr).toMatch(
      /by-request\.jsonl:1: names its request by request_id only; .* give --feature-log/,
    );
    expect(readdirSync(join(fixture, 'registry'))).toEqual([`${CHAMPION}.json`]);

    const byId = readFileSync(join(paths.labels, 'dt=2026-12-01', 'by-request.jsonl'), 'utf8')
      .trimEnd()
      .split('\n');
    const { code, stdout } = await runCliInProcess(
      ...common,
      '--feature-log',
      paths.log,
      '--holdout-share',
      '0.4',
      '--min-holdout-positives',
      '3',
      '--json',
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.labels).toMatchObject({ used: labelled, placedByRequestId: byId.length });
    expect(report.trainingSet.rows).toBe(labelled);
    expect(report.champion.rowIdsSha256).toBe(report.retrained.rowIdsSha256);
    expect(readdirSync(join(fixture, 'registry')).sort()).toEqual(
      [`${CHAMPION}.json`, `${report.registered.version}.json`].sort(),
    );
  }, 300_000);
});
