/**
 * Event-schema evolution through real Parquet: an archive written by the project's archive writer under spec A
 * (`qty` an int column; no `tip`, no `channel`) for one hour, and under spec B (`qty` widened to double and now a
 * feature's input, `channel` now a feature's input, `tip` a new optional field) for the next. The replay and the
 * training-set build of spec B read both hours together and answer what a replay of the events themselves gives.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeRawArchive } from '../../adapters/archive/archive-writer.js';
import type { CliIO } from '../../cli/io.js';
import { replayCommand } from '../../cli/replay-command.js';
import { buildTrainingSet } from '../../cli/training-set-command.js';
import { compileSpec, type InputRecord, type ReplayQuery, replay } from '../../core/index.js';
import { diffSpecs } from '../../core/spec-diff.js';
import { specA, specB } from '../support/evolving-spec.js';
import { jsonRecord } from '../support/stream.js';

const quietIO: CliIO = { out: () => {}, err: () => {} };
const HOUR = 3_600_000;
const START = Date.UTC(2026, 0, 5, 10);

/** 200 events an hour for two hours: whole quantities in the first, fractional ones and tips in the second. */
function orders(): InputRecord[] {
  const records: InputRecord[] = [];
  const sequence = [0, 0];
  for (let i = 0; i < 400; i++) {
    const card = i % 7;
    const shard = card % 2;
    const ts = START + i * 18_000;
    const later = ts >= START + HOUR;
    const body = {
      event_id: `e${i}`,
      ts,
      card_id: `c${card}`,
      amount: 5 + (i % 13),
      qty: later ? (i % 5) + 0.5 : (i % 5) + 1,
      channel: i % 3 === 0 ? 'web' : 'shop',
      ...(later && i % 2 === 0 ? { tip: 1.25 } : {}),
    };
    sequence[shard] = (sequence[shard] ?? 0) + 1;
    records.push(
      jsonRecord(body, ts + 500 + (i % 4) * 300, `shardId-00000000000${shard}`, sequence[shard] ?? 0),
    );
  }
  return records;
}

const records = orders();
const dir = mkdtempSync(join(tmpdir(), 'sf-schema-evolution-'));
const archive = join(dir, 'archive');
const specFileB = join(dir, 'spec-b.json');
const queries: ReplayQuery[] = [30, 70, 100, 121].flatMap((minute) =>
  Array.from({ length: 7 }, (_, card) => ({
    entity: 'card',
    key: { card_id: `c${card}` },
    t: START + minute * 60_000,
  })),
);

async function columnTypes(file: string): Promise<Record<string, string | undefined>> {
  const metadata = await parquetMetadataAsync(await asyncBufferFromFile(file));
  return Object.fromEntries(metadata.schema.slice(1).map((element) => [element.name, element.type]));
}

function archiveFiles(): string[] {
  return readdirSync(archive, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.parquet'))
    .sort()
    .map((name) => join(archive, name));
}

beforeAll(() => {
  writeRawArchive(
    archive,
    specA,
    records.filter((r) => r.arrivalMs < START + HOUR),
  );
  writeRawArchive(
    archive,
    specB,
    records.filter((r) => r.arrivalMs >= START + HOUR),
  );
  writeFileSync(specFileB, JSON.stringify(specB));
});

describe('event-schema evolution over a real Parquet archive', { timeout: 120_000 }, () => {
  it('writes the older hour with the int column and without the new ones, the newer one widened and with them', async () => {
    const [older, newer] = archiveFiles();
    expect(archiveFiles()).toHaveLength(2);
    const before = await columnTypes(older as string);
    const after = await columnTypes(newer as string);
    expect(before.qty).toBe('INT64');
    expect(before).not.toHaveProperty('tip');
    expect(before).not.toHaveProperty('channel');
    expect(after).toMatchObject({ qty: 'DOUBLE', tip: 'DOUBLE', channel: 'BYTE_ARRAY' });
    const rows = await parquetReadObjects({ file: await asyncBufferFromFile(newer as string) });
    expect(rows.some((row) => row.tip === 1.25)).toBe(true);
    expect(rows.some((row) => row.tip === null)).toBe(true);
  });

  it('replays the older and newer files together as a replay of the events themselves', async () => {
    const queryFile = join(dir, 'queries.jsonl');
    const out = join(dir, 'answers.jsonl');
    writeFileSync(queryFile, queries.map((q) => JSON.stringify(q)).join('\n'));
    await replayCommand({ spec: specFileB, events: archive, queries: queryFile, out }, quietIO);
    const answers = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { features: Record<string, unknown> });
    const expected = replay(compileSpec(specB), records, queries).answers;
    expect(answers).toEqual(expected);
    // Both hours counted: whole quantities from the older file, fractional ones from the newer.
    const late = answers.at(-1)?.features.card_qty_sum_2h as number;
    expect(Number.isInteger(late)).toBe(false);
    expect(answers.some((a) => (a.features.card_channels_2h as number) === 2)).toBe(true);
  });

  it('builds the training set from both files, every row as the replay of the events gives it', async () => {
    const labels = join(dir, 'labels.jsonl');
    const labelled = queries.map((q, i) => ({ ts: q.t, card_id: q.key.card_id, label: i % 2 }));
    writeFileSync(labels, labelled.map((l) => JSON.stringify(l)).join('\n'));
    const out = join(dir, 'set.parquet');
    const summary = await buildTrainingSet({ spec: specFileB, archive, labels, out }, quietIO);
    expect(summary.rows).toBe(queries.length);
    const rows = await parquetReadObjects({ file: await asyncBufferFromFile(out) });
    const expected = replay(compileSpec(specB), records, queries).answers;
    const byTime = [...labelled.keys()].sort((a, b) => (labelled[a]?.ts ?? 0) - (labelled[b]?.ts ?? 0));
    byTime.forEach((index, row) => {
      for (const [name, value] of Object.entries(expected[index]?.features ?? {})) {
        expect(rows[row]?.[name], `${name} of label ${index}`).toEqual(value);
      }
    });
  });

  it('is safe to deploy by spec diff (a backfill for the new features), and its reverse narrowing is refused', () => {
    const forward = diffSpecs(specA, specB);
    expect(forward.verdict).toBe('backfill');
    expect(forward.breaking).toEqual([]);
    expect(forward.fields.retyped).toEqual([{ field: 'qty', before: 'bigint', after: 'double' }]);
    expect(forward.notes.join('\n')).toContain('the raw archive\'s column for "qty" widens bigint -> double');
    const backward = diffSpecs(specB, specA);
    expect(backward.verdict).toBe('breaking');
    expect(backward.breaking.join('\n')).toContain('event field "qty" narrows double -> bigint');
  });
});
