import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeRawArchive } from '../../adapters/archive/archive-writer.js';
import { compileSpec, parseSpecJson } from '../../core/index.js';
import { generateFraudTraffic, labelLinesText, toJsonLines } from '../../examples/fraud/generate.js';
import { runCli } from '../support/cli.js';
import { onShards } from '../support/stream.js';

const SPEC = 'examples/fraud/spec.json';
const spec = compileSpec(parseSpecJson(readFileSync(SPEC, 'utf8')));
const dir = mkdtempSync(join(tmpdir(), 'streamfeatures-outputs-'));
const traffic = generateFraudTraffic({ events: 400, seed: 31 });
const records = onShards(traffic.records, 2);
const labels = join(dir, 'labels.jsonl');
writeFileSync(labels, labelLinesText(traffic.labels));
const events = join(dir, 'events.jsonl');
writeFileSync(events, toJsonLines(traffic).events);

/** A one-file archive whose footer reads but whose column pages are overwritten with junk. */
function damagedArchive(): string {
  const archive = join(dir, 'damaged');
  const [name] = writeRawArchive(archive, spec.spec, records, () => records[0]?.arrivalMs ?? 0);
  const path = join(archive, name as string);
  const bytes = readFileSync(path);
  const footerLength = bytes.readUInt32LE(bytes.length - 8);
  const footerStart = bytes.length - 8 - footerLength;
  for (let i = 4; i < footerStart; i++) bytes[i] = (i * 131) & 0xff;
  writeFileSync(path, bytes);
  return archive;
}

/** The output folder's files: the output alone, no temporary file left beside it. */
function filesIn(folder: string): string[] {
  return readdirSync(folder).sort();
}

describe('outputs are written whole or not at all', () => {
  it('training-set leaves an existing --out as it was when the archive is damaged, and names the file', async () => {
    const outDir = join(dir, 'out-training');
    mkdirSync(outDir);
    const out = join(outDir, 'train.parquet');
    writeFileSync(out, 'the previous training set');
    const result = await runCli([
      ...['training-set', '--spec', SPEC, '--archive', damagedArchive()],
      ...['--labels', labels, '--out', out],
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /streamfeatures: dt=[\d-]+\/hour=\d\d\/archive-[^:]+\.parquet: cannot read /,
    );
    expect(result.stderr).toContain('the file is damaged');
    expect(readFileSync(out, 'utf8')).toBe('the previous training set');
    expect(filesIn(outDir)).toEqual(['train.parquet']);
  });

  it('training-set replaces --out only once the new one is complete', async () => {
    const outDir = join(dir, 'out-good');
    mkdirSync(outDir);
    const out = join(outDir, 'train.parquet');
    writeFileSync(out, 'the previous training set');
    const result = await runCli([
      'training-set',
      '--spec',
      SPEC,
      '--archive',
      events,
      '--labels',
      labels,
      '--out',
      out,
    ]);
    expect(result.code).toBe(0);
    expect(readFileSync(out).subarray(0, 4).toString()).toBe('PAR1');
    expect(filesIn(outDir)).toEqual(['train.parquet']);
  });

  it('replay leaves an existing --out as it was when the events fail', async () => {
    const outDir = join(dir, 'out-replay');
    mkdirSync(outDir);
    const out = join(outDir, 'answers.jsonl');
    writeFileSync(out, 'previous answers\n');
    const queries = join(dir, 'queries.jsonl');
    writeFileSync(queries, `${JSON.stringify({ entity: 'card', key: { card_id: 'c1' }, t: Date.now() })}\n`);
    const result = await runCli([
      ...['replay', '--spec', SPEC, '--events', damagedArchive(), '--queries', queries, '--out', out],
    ]);
    expect(result.code).toBe(1);
    expect(readFileSync(out, 'utf8')).toBe('previous answers\n');
    expect(filesIn(outDir)).toEqual(['answers.jsonl']);
  });
});

describe('flags that do not fit the input fail, naming them', () => {
  it('fails on an --arrival-field no JSON Lines event has', async () => {
    const out = join(dir, 'misspelt.parquet');
    const result = await runCli([
      ...['training-set', '--spec', SPEC, '--archive', events, '--labels', labels, '--out', out],
      ...['--arrival-field', 'arival_ms'],
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`--arrival-field "arival_ms": no event in ${events} has this field`);
    expect(existsSync(out)).toBe(false);
  });

  it('fails on --arrival-field with a Parquet archive, and --reorder-window with JSON Lines', async () => {
    const archive = join(dir, 'archive');
    writeRawArchive(archive, spec.spec, records);
    const out = join(dir, 'not-applicable.parquet');
    const parquet = await runCli([
      ...['training-set', '--spec', SPEC, '--archive', archive, '--labels', labels, '--out', out],
      ...['--arrival-field', 'ts'],
    ]);
    expect(parquet.code).toBe(1);
    expect(parquet.stderr).toContain('--arrival-field applies to JSON Lines events only');
    const jsonl = await runCli([
      ...['training-set', '--spec', SPEC, '--archive', events, '--labels', labels, '--out', out],
      ...['--reorder-window', '1m'],
    ]);
    expect(jsonl.code).toBe(1);
    expect(jsonl.stderr).toContain('--reorder-window applies to a Parquet archive only');
    expect(existsSync(out)).toBe(false);
  });

  it('names a missing --events file, no bare ENOENT', async () => {
    const missing = join(dir, 'no-such-events.jsonl');
    const queries = join(dir, 'queries.jsonl');
    writeFileSync(queries, `${JSON.stringify({ entity: 'card', key: { card_id: 'c1' }, t: Date.now() })}\n`);
    const result = await runCli([
      ...['replay', '--spec', SPEC, '--events', missing, '--queries', queries, '--out', join(dir, 'a.jsonl')],
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`streamfeatures: cannot read ${missing}: no such file\n`);
    const folder = join(dir, 'no-such-archive');
    const archive = await runCli([
      ...['replay', '--spec', SPEC, '--events', folder, '--queries', queries, '--out', join(dir, 'a.jsonl')],
    ]);
    expect(archive.code).toBe(1);
    expect(archive.stderr).toBe(
      `streamfeatures: cannot read the archive ${folder}: no such file or folder\n`,
    );
  });
});
