import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type LogisticModelDocument, parseModelDocument } from '../../adapters/model/embedded-model.js';
import { chooseChampion, type RegistryEntry } from '../../cli/retrain-champion.js';
import { runCliInProcess } from '../support/cli.js';
import { FRAUD_SPEC_FILE } from '../support/fraud-training-set.js';

const SHIPPED = 'fraud-lr-52a6357d6140';
const shipped = parseModelDocument(
  JSON.parse(readFileSync(new URL(`../../examples/fraud/models/${SHIPPED}.json`, import.meta.url), 'utf8')),
);
const DAY = 86_400_000;
const FROM = shipped.training?.holdoutFrom as number;

/** A registry document like the shipped one, under another version, its holdout starting at `holdoutFrom`. */
function document(version: string, holdoutFrom: number | undefined): LogisticModelDocument {
  const { training, ...rest } = shipped;
  return {
    ...rest,
    version,
    ...(holdoutFrom === undefined || !training ? {} : { training: { ...training, holdoutFrom } }),
  };
}
const entry = (version: string, holdoutFrom: number | undefined): RegistryEntry => ({
  version,
  where: `models/${version}.json`,
  document: document(version, holdoutFrom),
});

describe('chooseChampion', () => {
  it('answers the version trained on the newest data, whatever the order', () => {
    const choice = chooseChampion([entry('m-b', FROM + DAY), entry('m-a', FROM), entry('m-c', FROM - DAY)]);
    expect(choice).toEqual({
      version: 'm-b',
      reason: `trained on the newest data of 3 versions (held out from ${new Date(FROM + DAY).toISOString()})`,
    });
  });

  it('answers the only version, with or without a training record', () => {
    expect(chooseChampion([entry('m-a', undefined)])).toMatchObject({ version: 'm-a' });
  });

  it('fails naming every file when two were trained up to the same time', () => {
    const choice = chooseChampion([entry('m-a', FROM), entry('m-b', FROM)]);
    expect(choice).toEqual({
      problem:
        '--champion: m-a and m-b were trained on data up to the same time; name the deployed version with ' +
        '--champion VERSION. The registry holds ' +
        `models/m-a.json (trained before ${new Date(FROM).toISOString()}), ` +
        `models/m-b.json (trained before ${new Date(FROM).toISOString()})`,
    });
  });

  it('fails naming the version without a training record', () => {
    const choice = chooseChampion([entry('m-a', FROM), entry('placeholder', undefined)]);
    expect('problem' in choice && choice.problem).toContain(
      '--champion: placeholder record no training time to order by',
    );
    expect('problem' in choice && choice.problem).toContain('models/placeholder.json (no training record)');
  });
});

describe('retrain without --champion (a registry folder)', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A registry of two versions: the newer-trained one written first, then the other one touched last. */
  function registry(newerFrom: number, olderFrom: number): string {
    dir = mkdtempSync(join(tmpdir(), 'retrain-champion-'));
    const write = (version: string, from: number, mtime: Date) => {
      const file = join(dir as string, `${version}.json`);
      writeFileSync(file, JSON.stringify(document(version, from)));
      utimesSync(file, mtime, mtime);
    };
    write('fraud-lr-bbbbbbbbbbbb', newerFrom, new Date('2020-01-01T00:00:00Z'));
    write('fraud-lr-aaaaaaaaaaaa', olderFrom, new Date('2030-01-01T00:00:00Z'));
    return dir;
  }
  const run = (models: string) =>
    runCliInProcess(
      'retrain',
      '--spec',
      FRAUD_SPEC_FILE.pathname,
      '--archive',
      join(models, 'no-archive'),
      '--labels',
      join(models, 'no-labels'),
      '--models',
      models,
    );

  it('picks the version its document records as trained on the newest data, not the last file written', async () => {
    const { code, stderr } = await run(registry(FROM + DAY, FROM));
    expect(stderr).toContain('champion fraud-lr-bbbbbbbbbbbb: trained on the newest data of 2 versions');
    // It goes on to the labels (absent here), having chosen.
    expect(code).not.toBe(0);
    expect(stderr).toContain('--labels');
  });

  it('fails naming both files when their records tie, before reading anything else', async () => {
    const models = registry(FROM, FROM);
    const { code, stderr } = await run(models);
    expect(code).not.toBe(0);
    expect(stderr).toContain('--champion: fraud-lr-aaaaaaaaaaaa and fraud-lr-bbbbbbbbbbbb were trained');
    expect(stderr).toContain(join(models, 'fraud-lr-aaaaaaaaaaaa.json'));
    expect(stderr).toContain(join(models, 'fraud-lr-bbbbbbbbbbbb.json'));
    expect(stderr).not.toContain('--labels');
  });
});
