import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ColumnSource, parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseModelDocument } from '../../adapters/model/embedded-model.js';
import { checkModelVersion } from '../../adapters/model/model-version.js';
import { CliError, type CliIO } from '../../cli/io.js';
import { parseTrainArgs, readTrainingSet, trainCommand } from '../../cli/train-command.js';
import {
  buildFraudTrainingSet,
  type FraudTrainingSet,
  trainingSetParquet,
} from '../support/fraud-training-set.js';

function bufferIO(): CliIO & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    stdout: () => out,
    stderr: () => err,
  };
}

describe('parseTrainArgs', () => {
  it('reads every flag', () => {
    expect(
      parseTrainArgs([
        '--training-set',
        'set.parquet',
        '--out-dir',
        'models',
        '--name',
        'fraud-lr-small',
        '--holdout-fraction',
        '0.25',
        '--features',
        'card_txn_count_10m, card_declines_1h',
        '--label',
        'is_fraud',
      ]),
    ).toEqual({
      trainingSet: 'set.parquet',
      outDir: 'models',
      name: 'fraud-lr-small',
      holdoutFraction: 0.25,
      features: ['card_txn_count_10m', 'card_declines_1h'],
      label: 'is_fraud',
    });
    expect(parseTrainArgs(['--training-set=s.parquet', '--out-dir=m'])).toEqual({
      trainingSet: 's.parquet',
      outDir: 'm',
    });
  });

  const usageError = (args: string[]): CliError => {
    try {
      parseTrainArgs(args);
    } catch (error) {
      expect(error).toBeInstanceOf(CliError);
      expect((error as CliError).exitCode).toBe(2);
      return error as CliError;
    }
    throw new Error(`parseTrainArgs accepted ${JSON.stringify(args)}`);
  };

  it('fails with exit code 2 on a missing, unknown or bad flag, naming it and quoting the value', () => {
    expect(usageError(['--training-set', 's.parquet']).message).toMatch(
      /^train needs --training-set and --out-dir/,
    );
    expect(usageError(['--out-dir', 'm', '--steps', '3']).message).toMatch(
      /^Unknown option '--steps'\n\nusage: streamfeatures train --training-set F/,
    );
    const base = ['--training-set', 's', '--out-dir', 'm'];
    for (const value of ['1', '0', '-0.1', 'abc', '']) {
      expect(usageError([...base, `--holdout-fraction=${value}`]).message).toBe(
        `--holdout-fraction must be a number between 0 and 1 (got ${JSON.stringify(value)})`,
      );
    }
    expect(usageError([...base, '--features', 'a,,b']).message).toBe(
      '--features must be names separated by commas (got "a,,b")',
    );
    expect(usageError([...base, '--name', '../x']).message).toMatch(
      /^--name: a model name must .* \(got "\.\.\/x"\)$/,
    );
  });
});

describe('readTrainingSet on hand-written Parquet', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'streamfeatures-train-read-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const write = (name: string, columnData: ColumnSource[]) => {
    const path = join(dir, name);
    writeFileSync(path, new Uint8Array(parquetWriteBuffer({ columnData })));
    return path;
  };

  it('takes the numeric columns after the label as features, the STRING ones aside, keys and t not', async () => {
    const path = write('small.parquet', [
      { name: 'card_id', type: 'STRING', data: ['c1', 'c2', 'c1'] },
      { name: 't', type: 'INT64', data: [1_793_491_200_000n, 1_793_491_200_500n, 1_793_491_201_000n] },
      { name: 'label', type: 'DOUBLE', data: [0, 1, 0] },
      { name: 'card_txn_count_10m', type: 'DOUBLE', data: [0, 3, 1] },
      { name: 'card_last_country_7d', type: 'STRING', data: [null, 'FR', 'FR'] },
      { name: 'card_amount_min_1h', type: 'DOUBLE', data: [null, 12.5, 3] },
    ]);
    const columns = await readTrainingSet(path, 'label');
    expect(Array.from(columns.t)).toEqual([1_793_491_200_000, 1_793_491_200_500, 1_793_491_201_000]);
    expect(Array.from(columns.label)).toEqual([0, 1, 0]);
    expect([...columns.numeric.keys()]).toEqual(['card_txn_count_10m', 'card_amount_min_1h']);
    expect(Array.from(columns.numeric.get('card_amount_min_1h') ?? [])).toEqual([null, 12.5, 3]);
    expect(columns.nonNumeric).toEqual(['card_last_country_7d']);
  });

  it('fails on a t that is not a number, naming the column and its type', async () => {
    const path = write('string-t.parquet', [
      { name: 't', type: 'STRING', data: ['2026-11-01T00:00:00Z'] },
      { name: 'label', type: 'DOUBLE', data: [0] },
      { name: 'x', type: 'DOUBLE', data: [1] },
    ]);
    await expect(readTrainingSet(path, 'label')).rejects.toThrow(
      `${path}: column t must be numeric (INT64 epoch ms for t), got BYTE_ARRAY`,
    );
  });
});

// Each test trains on 20,000 rows: seconds of work that a busy machine stretches; no test here is about speed.
describe('streamfeatures train on a fraud training set', { timeout: 120_000 }, () => {
  let dir: string;
  let set: FraudTrainingSet;
  let file: string;
  let registry: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'streamfeatures-train-'));
    // 2% fraud so the last fifth of a short stream holds a few bursts to score.
    set = buildFraudTrainingSet({ events: 20_000, fraudRate: 0.02 });
    file = join(dir, 'fraud-training-set.parquet');
    writeFileSync(file, trainingSetParquet(set));
    registry = join(dir, 'registry');
    // Building 20,000 rows is heavy work: a busy machine may take far longer than vitest's 10 s default.
  }, 300_000);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the Parquet columns: t from INT64 to epoch ms, null for an empty window, STRING features aside', async () => {
    const columns = await readTrainingSet(file, 'label');
    expect(Array.from(columns.t)).toEqual(set.rows.map((row) => row.t));
    expect(Array.from(columns.label)).toEqual(set.rows.map((row) => row.label));
    expect(Array.from(columns.numeric.get('card_amount_min_1h') ?? [])).toEqual(
      set.rows.map((row) => row.features.card_amount_min_1h),
    );
    expect(columns.numeric.has('card_id')).toBe(false);
    expect(columns.nonNumeric).toEqual(['card_last_country_7d']);
  });

  it('learns fraud from the replayed features: holdout ROC AUC above what a random model reaches', async () => {
    const io = bufferIO();
    expect(await trainCommand({ trainingSet: file, outDir: registry }, io)).toBe(0);

    const [written] = readdirSync(registry);
    const document = parseModelDocument(JSON.parse(readFileSync(join(registry, written as string), 'utf8')));
    expect(written).toBe(`${document.version}.json`);
    expect(checkModelVersion(document)).toEqual({ ok: true });
    expect(document.metrics?.rocAuc).toBeGreaterThan(0.75);
    expect(document.metrics?.holdoutPositives).toBeGreaterThanOrEqual(10);
    expect(document.training).toMatchObject({ trainingSet: 'fraud-training-set.parquet', rows: 20_000 });
    expect(document.features).not.toContain('card_last_country_7d');

    const report = io.stdout();
    expect(report).toContain('training set');
    expect(report).toMatch(/20000 rows, 400 positives \(base rate 2\.00%\)/);
    expect(report).toMatch(/split by time at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/);
    expect(report).toMatch(/^ {2}holdout +0\.\d{4} +0\.\d{4} +0\.\d{4}$/m);
    expect(report).toMatch(/^ {2}train +0\.\d{4} +0\.\d{4} +0\.\d{4}$/m);
    expect(report).toContain(`model ${document.version}\n`);
    expect(report).toContain(`wrote ${join(registry, written as string)}`);
    expect(report).toContain('not used: card_last_country_7d');
  });

  it('the floor means something: the same rows with shuffled labels stay below it', async () => {
    // A deterministic shuffle of the labels keeps the base rate and breaks every link to the features.
    const labels = set.rows.map((row) => row.label);
    let seed = 12345;
    for (let i = labels.length - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const j = seed % (i + 1);
      [labels[i], labels[j]] = [labels[j] as 0 | 1, labels[i] as 0 | 1];
    }
    const shuffled = join(dir, 'shuffled.parquet');
    writeFileSync(
      shuffled,
      trainingSetParquet({ ...set, rows: set.rows.map((row, i) => ({ ...row, label: labels[i] as 0 | 1 })) }),
    );
    const elsewhere = join(dir, 'shuffled-registry');
    await trainCommand({ trainingSet: shuffled, outDir: elsewhere }, bufferIO());
    const [written] = readdirSync(elsewhere);
    const document = parseModelDocument(JSON.parse(readFileSync(join(elsewhere, written as string), 'utf8')));
    expect(document.metrics?.rocAuc).toBeLessThan(0.75);
  });

  it('adds versions to the registry: other options another file, the same options the same file, earlier ones stay', async () => {
    // The first test trained on this set into this registry.
    const [first] = readdirSync(registry);
    const before = readFileSync(join(registry, first as string), 'utf8');
    const fewer = {
      trainingSet: file,
      outDir: registry,
      features: ['card_txn_count_10m', 'merchant_distinct_cards_24h'],
    };
    await trainCommand(fewer, bufferIO());
    const versions = readdirSync(registry);
    expect(versions).toHaveLength(2);
    await trainCommand(fewer, bufferIO());
    expect(readdirSync(registry)).toEqual(versions);
    expect(readFileSync(join(registry, first as string), 'utf8')).toBe(before);
  });

  it('refuses a holdout with fewer positives than the minimum, naming both, and writes no model', async () => {
    const outDir = join(dir, 'too-few');
    const error = await trainCommand(
      { trainingSet: file, outDir, minHoldoutPositives: 100_000 },
      bufferIO(),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toMatch(
      new RegExp(
        `^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the holdout has \\d+ positives \\(of \\d+ rows\\), ` +
          'fewer than the minimum of 100000: its ROC AUC and PR AUC would mean little',
      ),
    );
    expect(existsSync(outDir)).toBe(false);
    expect(parseTrainArgs(['--training-set', 's', '--out-dir', 'm', '--min-holdout-positives', '0'])).toEqual(
      {
        trainingSet: 's',
        outDir: 'm',
        minHoldoutPositives: 0,
      },
    );
  });

  it('fails as a user error naming a missing feature or column, and the file', async () => {
    const run = (options: Partial<Parameters<typeof trainCommand>[0]>) =>
      trainCommand({ trainingSet: file, outDir: join(dir, 'errors'), ...options }, bufferIO());
    await expect(run({ features: ['card_txn_count_10m', 'card_speed_1h'] })).rejects.toThrow(
      new CliError(
        `${file}: features: "card_speed_1h" is not in the training set (numeric features: card_txn_count_10m, `,
      ).message,
    );
    await expect(run({ label: 'is_fraud' })).rejects.toThrow(
      `${file}: a training set needs columns t and is_fraud (got card_id, merchant_id, t, event_id, label, `,
    );
    await expect(run({ trainingSet: join(dir, 'missing.parquet') })).rejects.toThrow(
      /^cannot read the training set .*missing\.parquet: ENOENT/,
    );
    await expect(run({ holdoutFraction: 0.0001 })).rejects.toBeInstanceOf(CliError);
  });
});
