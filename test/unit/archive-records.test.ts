import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listArchiveFiles } from '../../adapters/archive/archive-files.js';
import { readArchiveRecords } from '../../adapters/archive/archive-records.js';
import { writeRawArchive } from '../../adapters/archive/archive-writer.js';
import type { InputRecord, Spec } from '../../core/index.js';
import { jsonRecord } from '../support/stream.js';

const spec: Spec = {
  version: 1,
  name: 'tiny',
  event: { timeField: 'ts' },
  entities: { card: ['card_id'] },
  features: [{ name: 'n', entity: 'card', agg: 'count', window: '10m', tile: '1m' }],
} as unknown as Spec;

describe('the raw archive on disk', () => {
  it('reads back every record as written: payload bytes (UTF-8 or not), arrival, shard, sequence, key', async () => {
    const T = Date.parse('2026-11-26T10:59:59Z');
    const binary: InputRecord = {
      data: new Uint8Array([0xff, 0xfe, 0x00, 0x41]),
      arrivalMs: T + 500,
      shardId: 'shardId-000000000001',
      sequenceNumber: '49650000000000000000000000000000000000000000000000000002',
    };
    const records = [
      { ...jsonRecord({ card_id: 'c1', ts: T }, T, 'shardId-000000000000', 1), partitionKey: 'c1' },
      binary,
      jsonRecord('not json at all: ü', T + 2_000, 'shardId-000000000000', 3),
    ];
    const dir = mkdtempSync(join(tmpdir(), 'streamfeatures-archive-'));
    // Two hours: the third record lands in the next hour's partition.
    expect(writeRawArchive(dir, spec, records)).toEqual([
      'dt=2026-11-26/hour=10/archive-2026-11-26T10.parquet',
      'dt=2026-11-26/hour=11/archive-2026-11-26T11.parquet',
    ]);
    const read: InputRecord[] = [];
    for await (const chunk of readArchiveRecords(await listArchiveFiles(dir))) read.push(...chunk);
    expect(read.map((r) => ({ ...r, data: [...r.data] }))).toEqual(
      records.map((r) => ({ ...r, data: [...r.data] })),
    );
  });
});
