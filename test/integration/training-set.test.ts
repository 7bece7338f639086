import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeRawArchive } from '../../adapters/archive/archive-writer.js';
import { compileSpec, type InputRecord, parseSpecJson, type ReplayQuery, replay } from '../../core/index.js';
import { generateFraudTraffic, labelLinesText, toJsonLines } from '../../examples/fraud/generate.js';
import { runCli } from '../support/cli.js';
import { duckdb } from '../support/duckdb.js';
import { onShards } from '../support/stream.js';

const SPEC = 'examples/fraud/spec.json';
const dir = mkdtempSync(join(tmpdir(), 'streamfeatures-training-'));
const spec = compileSpec(parseSpecJson(readFileSync(SPEC, 'utf8')));

const cli = (...args: string[]) => runCli(args);

/**
 * The archive as Firehose would hold it when shard 1's consumer ran `lagMs` behind shard 0's: in the order the
 * records reached Firehose, which is not arrival order.
 */
function writeAsFirehose(path: string, records: readonly InputRecord[], lagMs: number): void {
  const reached = (r: InputRecord) => r.arrivalMs + (r.shardId.endsWith('1') ? lagMs : 0);
  writeRawArchive(
    path,
    spec.spec,
    [...records].sort((a, b) => reached(a) - reached(b)),
    reached,
  );
}

function outcomes(stderr: string): Record<string, number> {
  const match = stderr.match(/counted (\d+), invalid (\d+), future (\d+), late (\d+), duplicate (\d+)/);
  const [counted, invalid, future, late, duplicate] = (match ?? []).slice(1).map(Number);
  return { counted, invalid, future, late, duplicate } as Record<string, number>;
}

describe('streamfeatures training-set', () => {
  const traffic = generateFraudTraffic({ events: 2_000, seed: 23 });
  const records = onShards(traffic.records, 2);
  const archive = join(dir, 'archive');
  writeAsFirehose(archive, records, 40_000);
  const labels = join(dir, 'labels.jsonl');
  writeFileSync(labels, labelLinesText(traffic.labels));
  const expectedOutcomes = {
    counted: traffic.counts.normal + traffic.counts.fraud,
    invalid: traffic.counts.invalid,
    future: traffic.counts.future,
    late: traffic.counts.late,
    duplicate: traffic.counts.duplicate,
  };

  /** What the in-memory replay answers for each label: its three entities as of its time. */
  function expectedRows() {
    const queries = traffic.labels.flatMap((label): ReplayQuery[] => [
      { entity: 'card', key: { card_id: label.card_id }, t: label.ts },
      { entity: 'merchant', key: { merchant_id: label.merchant_id }, t: label.ts },
      {
        entity: 'card_merchant',
        key: { card_id: label.card_id, merchant_id: label.merchant_id },
        t: label.ts,
      },
    ]);
    const { answers } = replay(spec, records, queries);
    return traffic.labels.map((_, i) =>
      Object.assign({}, ...answers.slice(i * 3, i * 3 + 3).map((a) => a.features)),
    );
  }

  it('writes one row per label with the features the replay gives at its time, read back by DuckDB', async () => {
    const out = join(dir, 'train.parquet');
    const result = await cli(
      'training-set',
      '--spec',
      SPEC,
      '--archive',
      archive,
      '--labels',
      labels,
      '--out',
      out,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(outcomes(result.stderr)).toEqual(expectedOutcomes);
    expect(result.stderr).toContain(`wrote ${traffic.labels.length} rows`);

    const columns = await duckdb(`DESCRIBE SELECT * FROM read_parquet('${out}')`);
    expect(columns.slice(0, 5).map((c) => `${c.column_name}:${c.column_type}`)).toEqual([
      'card_id:VARCHAR',
      'merchant_id:VARCHAR',
      't:BIGINT',
      'event_id:VARCHAR',
      'label:DOUBLE',
    ]);
    const rows = await duckdb(`SELECT * FROM read_parquet('${out}')`);
    expect(rows).toHaveLength(traffic.labels.length);
    const expected = expectedRows();
    rows.forEach((row, i) => {
      const label = traffic.labels[i];
      expect([row.card_id, row.merchant_id, Number(row.t), row.event_id, row.label]).toEqual([
        label?.card_id,
        label?.merchant_id,
        label?.ts,
        label?.event_id,
        label?.label,
      ]);
      for (const [name, value] of Object.entries(expected[i] as Record<string, unknown>)) {
        if (typeof value === 'number') expect(row[name], `${name} of row ${i + 1}`).toBeCloseTo(value, 9);
        else
          expect(row[name] ?? null, `${name} of row ${i + 1}`).toEqual(value === null ? null : String(value));
      }
    });
    expect(rows.filter((row) => row.label === 1).length).toBe(traffic.counts.fraud);
  });

  it('gives the same rows from the JSON Lines events as from the Parquet archive', async () => {
    const events = join(dir, 'events.jsonl');
    writeFileSync(events, toJsonLines(traffic).events);
    const fromJson = join(dir, 'train-json.parquet');
    const result = await cli(
      ...['training-set', '--spec', SPEC, '--archive', events, '--arrival-field', 'arrival_ms'],
      ...['--labels', labels, '--out', fromJson],
    );
    expect(result.code, result.stderr).toBe(0);
    expect(outcomes(result.stderr)).toEqual(expectedOutcomes);
    const features = spec.spec.features.map((f) => f.name).join(', ');
    const [diff] = await duckdb(
      `SELECT count(*)::INTEGER AS n FROM (SELECT ${features} FROM read_parquet('${fromJson}') ` +
        `EXCEPT ALL SELECT ${features} FROM read_parquet('${join(dir, 'train.parquet')}'))`,
    );
    expect(diff?.n).toBe(0);
  });

  it('sorts labels that are not in time order, says so, and writes the same rows in time order', async () => {
    const shuffled = join(dir, 'shuffled-labels.jsonl');
    const reversed = [...traffic.labels].reverse();
    writeFileSync(shuffled, labelLinesText(reversed));
    const out = join(dir, 'train-shuffled.parquet');
    const result = await cli(
      'training-set',
      '--spec',
      SPEC,
      '--archive',
      archive,
      '--labels',
      shuffled,
      '--out',
      out,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('(not in time order: sorted in memory)');
    const sorted = join(dir, 'train.parquet');
    const [diff] = await duckdb(
      `SELECT count(*)::INTEGER AS n FROM (SELECT * FROM read_parquet('${out}') ` +
        `EXCEPT ALL SELECT * FROM read_parquet('${sorted}'))`,
    );
    expect(diff?.n).toBe(0);
    const times = (await duckdb(`SELECT t FROM read_parquet('${out}')`)).map((row) => Number(row.t));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times).toHaveLength(traffic.labels.length);
  });

  it('fails loudly, naming the window, when the archive is further out of arrival order than it', async () => {
    // A slow stream (100 minutes) whose second shard's consumer ran 20 minutes behind.
    const slow = generateFraudTraffic({ events: 600, seed: 29, eventsPerSecond: 0.1 });
    const slowRecords = onShards(slow.records, 2);
    const skewed = join(dir, 'skewed');
    writeAsFirehose(skewed, slowRecords, 20 * 60_000);
    const slowLabels = join(dir, 'slow-labels.jsonl');
    writeFileSync(slowLabels, labelLinesText(slow.labels));
    const result = await cli(
      ...['training-set', '--spec', SPEC, '--archive', skewed, '--labels', slowLabels],
      ...['--out', join(dir, 'never.parquet'), '--reorder-window', '1m'],
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/out of arrival order by more than the reorder window \(60 s\)/);
    const wider = await cli(
      ...['training-set', '--spec', SPEC, '--archive', skewed, '--labels', slowLabels],
      ...['--out', join(dir, 'wider.parquet'), '--reorder-window', '30m'],
    );
    expect(wider.code, wider.stderr).toBe(0);
    expect(outcomes(wider.stderr).counted).toBe(slow.counts.normal + slow.counts.fraud);
  });

  it('names the file, line and value of a bad label before replaying anything', async () => {
    const bad = join(dir, 'bad-labels.jsonl');
    writeFileSync(
      bad,
      `${labelLinesText(traffic.labels.slice(0, 2))}{"card_id":"c1","merchant_id":"m1","ts":"noon","label":0}\n`,
    );
    const result = await cli(
      'training-set',
      '--spec',
      SPEC,
      '--archive',
      archive,
      '--labels',
      bad,
      '--out',
      join(dir, 'x.parquet'),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'bad-labels.jsonl:3: time field "ts" must be epoch ms or ISO-8601 with a zone (got "noon")',
    );
  });

  it('names what it found when the archive holds no Parquet, or Parquet of another shape', async () => {
    const empty = mkdtempSync(join(dir, 'empty-'));
    writeFileSync(join(empty, 'notes.txt'), 'not an archive');
    const args = ['--spec', SPEC, '--labels', labels, '--out', join(dir, 'y.parquet')];
    const none = await cli('training-set', '--archive', empty, ...args);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`no Parquet files in ${empty} (1 other objects: notes.txt)`);

    const other = mkdtempSync(join(dir, 'other-'));
    writeFileSync(join(other, 'train.parquet'), readFileSync(join(dir, 'train.parquet')));
    const wrong = await cli('training-set', '--archive', other, ...args);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(
      'train.parquet: not a raw-archive file, it lacks the column(s) arrival_ms, shard_id',
    );
  });
});
