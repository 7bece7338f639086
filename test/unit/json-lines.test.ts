import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEventLines, readQueryLines } from '../../adapters/files/json-lines.js';
import { compileSpec, parseSpec } from '../../core/index.js';

const spec = compileSpec(
  parseSpec({
    version: 1,
    name: 't',
    event: { timeField: 'ts' },
    entities: { card: ['card_id'] },
    features: [{ name: 'n', entity: 'card', agg: 'count', window: '1m', tile: '10s' }],
  }),
);
const dir = mkdtempSync(join(tmpdir(), 'streamfeatures-jsonl-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('JSON Lines events', () => {
  it('take α from the named arrival field, or τ when none is named; skip blank lines', async () => {
    const path = file(
      'e.jsonl',
      '{"ts":1000,"card_id":"c","at":1500}\n\n{"ts":"1970-01-01T00:00:02Z","card_id":"c"}\n',
    );
    const named = await readEventLines(spec, path, 'at');
    expect(named.records.map((r) => [r.arrivalMs, r.sequenceNumber])).toEqual([[1500, '1']]);
    expect(named.rejected).toHaveLength(1);
    const plain = await readEventLines(spec, path);
    expect(plain.records.map((r) => [r.arrivalMs, r.sequenceNumber])).toEqual([
      [1000, '1'],
      [2000, '3'],
    ]);
  });

  it('set aside a line whose named arrival field is missing, as invalid, naming line and value', async () => {
    const path = file('a.jsonl', '{"ts":1000,"card_id":"c","at":"soon"}\n');
    const { rejected } = await readEventLines(spec, path, 'at');
    expect(rejected[0]).toMatchObject({ reason: 'invalid', rule: 'arrival-missing' });
    expect(rejected[0]?.message).toBe('line 1: arrival field "at" is missing or not a time (got "soon")');
  });

  it('keep lines that are not JSON as records, so the engine quarantines them', async () => {
    const { records, rejected } = await readEventLines(spec, file('g.jsonl', 'garbage\n'), 'at');
    expect(records).toHaveLength(1);
    expect(rejected).toHaveLength(0);
  });
});

describe('JSON Lines queries', () => {
  it('accept t as epoch ms or ISO-8601', async () => {
    const path = file('q.jsonl', '{"entity":"card","key":{"card_id":"c"},"t":"1970-01-01T00:00:01Z"}\n');
    expect(await readQueryLines(path)).toEqual([{ entity: 'card', key: { card_id: 'c' }, t: 1000 }]);
  });

  it('fail on a line that is not a query, naming file and line', async () => {
    const path = file('bad.jsonl', '{"entity":"card"}\n');
    await expect(readQueryLines(path)).rejects.toThrow(
      `${path}:1: a query needs "entity" (string), "key" (object)`,
    );
  });
});
