import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpecFile } from '../../adapters/files/spec-file.js';
import { parseSpec, parseSpecJson, SpecError } from '../../core/index.js';

const base = {
  version: 1,
  name: 'fraud',
  event: { timeField: 'ts', idField: 'event_id' },
  entities: { card: ['card_id'], card_merchant: ['card_id', 'merchant_id'] },
};
const count = (name: string, extra: object = {}) => ({
  name,
  entity: 'card',
  agg: 'count',
  window: '10m',
  ...extra,
});

function issuesOf(input: unknown, parse: (input: unknown) => unknown = parseSpec): string[] {
  try {
    parse(input);
  } catch (error) {
    expect(error).toBeInstanceOf(SpecError);
    return [...(error as SpecError).issues];
  }
  throw new Error('expected the spec to be rejected');
}

describe('spec check: names that fail later', () => {
  it('fails on two features whose names differ only in case', () => {
    expect(issuesOf({ ...base, features: [count('card_n'), count('Card_N')] })).toEqual([
      'features[1].name: "Card_N" differs from features[0] "card_n" only in case, and column names downstream (Parquet readers, DuckDB, Glue, Athena) ignore case',
    ]);
  });

  it('fails on a feature named like a training-set column: label, t, a key field, the id field (any case)', () => {
    const features = ['label', 'T', 'merchant_id', 'Event_Id', 'card_n'].map((name) => count(name));
    expect(issuesOf({ ...base, features })).toEqual([
      'features[0].name: "label" is also a column of every training set (the label): name the feature otherwise',
      'features[1].name: "T" is also a column of every training set (the label\'s time): name the feature otherwise',
      'features[2].name: "merchant_id" is also a column of every training set (a key field of entity card_merchant): name the feature otherwise',
      'features[3].name: "Event_Id" is also a column of every training set (the id field): name the feature otherwise',
    ]);
  });
});

describe('spec check: every problem at once, each named', () => {
  it('reports the checks beyond the schema even when the schema fails', () => {
    const issues = issuesOf({
      ...base,
      event: { timeField: 'ts', allowedLateness: '0s' },
      features: [count('a', { agg: 'sums' }), count('A'), count('b', { entity: 'cardd' })],
    });
    expect(issues).toEqual([
      'features[0].agg: Invalid option: expected one of "count"|"sum"|"avg"|"min"|"max"|"stddev"|"last"|"distinct" (got "sums")',
      'event.allowedLateness: "0s" must be positive (a duration is longer than nothing)',
      'features[1].name: "A" differs from features[0] "a" only in case, and column names downstream (Parquet readers, DuckDB, Glue, Athena) ignore case',
      'features[2].entity: unknown entity "cardd" (declared: card, card_merchant)',
    ]);
  });

  it('names a number too large to represent instead of "Invalid input (got null)"', () => {
    const text = JSON.stringify({ ...base, features: [count('n', { window: 1 })] }).replace(
      '"window":1',
      '"window":1e400',
    );
    expect(issuesOf(text, (t) => parseSpecJson(t as string))).toEqual([
      'features[0].window: a number too large to represent (it reads as Infinity)',
    ]);
  });

  it('says a zero duration must be positive', () => {
    expect(issuesOf({ ...base, features: [count('n', { window: '0s' })] })).toEqual([
      'features[0].window: "0s" must be positive (a duration is longer than nothing)',
    ]);
    expect(issuesOf({ ...base, features: [count('n', { window: 0 })] })).toEqual([
      'features[0].window: 0 must be positive (a duration is longer than nothing)',
    ]);
  });
});

describe('spec files: modules and their errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamfeatures-spec-files-'));
  const core = resolve('core/index.ts');
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('loads a TypeScript builder spec (through tsx) and names the file in its problems', async () => {
    const good = file(
      'good.ts',
      `import { defineSpec } from ${JSON.stringify(core)};\nconst tile: string = '1m';\n` +
        "export default defineSpec('fraud', { timeField: 'ts' }).entity('card', 'card_id')" +
        ".count('n', { entity: 'card', window: '10m', tile });\n",
    );
    expect((await loadSpecFile(good)).features).toEqual([
      { name: 'n', entity: 'card', agg: 'count', window: '10m', tile: '1m' },
    ]);
    const bad = file(
      'bad.mts',
      `import { defineSpec } from ${JSON.stringify(core)};\n` +
        "export default defineSpec('fraud', { timeField: 'ts' }).entity('card', 'card_id')" +
        ".count('n', { entity: 'card', window: '10m' }).count('N', { entity: 'card', window: '10m' });\n",
    );
    await expect(loadSpecFile(bad)).rejects.toThrow(
      `invalid feature spec in ${bad}:\n  features[1].name: "N"`,
    );
  });

  it('loads a JavaScript module exporting the JSON form', async () => {
    const path = file(
      'plain.mjs',
      `export default ${JSON.stringify({ ...base, features: [count('n')] })};\n`,
    );
    expect((await loadSpecFile(path)).name).toBe('fraud');
  });

  it('names the file of a module that throws, has a syntax error, or is missing', async () => {
    const throws = file('throws.mjs', "throw new Error('no spec today');\n");
    await expect(loadSpecFile(throws)).rejects.toThrow(
      `cannot load the spec module ${JSON.stringify(throws)}: no spec today`,
    );
    const syntax = file('syntax.ts', 'export default { version: ;\n');
    await expect(loadSpecFile(syntax)).rejects.toThrow(
      `cannot load the spec module ${JSON.stringify(syntax)}:`,
    );
    const js = file('syntax.mjs', 'export default {;\n');
    await expect(loadSpecFile(js)).rejects.toThrow(`cannot load the spec module ${JSON.stringify(js)}: `);
    await expect(loadSpecFile(join(dir, 'missing.ts'))).rejects.toThrow(
      `cannot read spec file ${JSON.stringify(join(dir, 'missing.ts'))}: no such file`,
    );
  });
});
