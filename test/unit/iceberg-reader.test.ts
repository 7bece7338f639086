import { mkdtempSync, readFileSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { describe, expect, it } from 'vitest';
import { listArchiveFiles } from '../../adapters/archive/archive-files.js';
import { readArchiveRecords } from '../../adapters/archive/archive-records.js';
import { writeRawArchive } from '../../adapters/archive/archive-writer.js';
import { openEventSource } from '../../adapters/archive/event-source.js';
import type { InputRecord, Spec } from '../../core/index.js';
import { fraudSpec } from '../support/fraud-training-set.js';
import { type TestEntry, TestTable } from '../support/iceberg-test-table.js';
import { jsonRecord } from '../support/stream.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/iceberg');
const ATHENA = join(FIXTURES, 'athena-example');
const ATHENA_DATA = 'data/sNoYhg/20250401_023623_00108_u4nkm-ee75816e-a3dd-4356-97b3-1c6d0128a41f.parquet';
const SPARK = join(FIXTURES, 'spark-bunnies');

const spec = {
  version: 1,
  name: 'tiny',
  event: { timeField: 'ts' },
  entities: { card: ['card_id'] },
  features: [{ name: 'n', entity: 'card', agg: 'count', window: '10m', tile: '1m' }],
} as unknown as Spec;

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'streamfeatures-iceberg-'));
}

/** A data file of `bytes` zero bytes at `path` in the table: listing only checks the size the manifest says. */
function dataFile(table: TestTable, path: string, bytes = 10): TestEntry {
  table.write(path, new Uint8Array(bytes));
  return { path, bytes };
}

async function rows(location: string): Promise<unknown[]> {
  const read: unknown[] = [];
  for (const file of await listArchiveFiles(location)) {
    read.push(...(await parquetReadObjects({ file: await file.open(), compressors })));
  }
  return read;
}

describe('an Iceberg table Athena wrote (a local copy of it)', () => {
  it('lists exactly its one data file, by its path in the table, and its two rows read back', async () => {
    const files = await listArchiveFiles(ATHENA);
    expect(files.map((file) => [file.name, file.bytes])).toEqual([[ATHENA_DATA, 345]]);
    expect(await rows(ATHENA)).toEqual([
      { id: 1, name: 'Alice' },
      { id: 2, name: 'Bob' },
    ]);
  });

  it('answers the same data file when given the metadata file Glue would point at', async () => {
    const metadata = join(ATHENA, 'metadata/00001-aaf0d033-d06b-43c7-be60-67f83abd4aca.metadata.json');
    expect((await listArchiveFiles(metadata)).map((file) => file.name)).toEqual([ATHENA_DATA]);
  });

  it('fails on the metadata file written before the first commit, saying nothing was committed', async () => {
    const metadata = join(ATHENA, 'metadata/00000-eedf51e6-8c09-463b-8850-844ee6ec1de0.metadata.json');
    await expect(listArchiveFiles(metadata)).rejects.toThrow(/has no snapshot yet: nothing was committed/);
  });
});

describe('an Iceberg table Spark wrote (Hadoop layout, vN.metadata.json)', () => {
  it('refuses its current snapshot, which has a position delete file, naming the file', async () => {
    await expect(listArchiveFiles(SPARK)).rejects.toThrow(
      /delete files \(position deletes in s3a:\/\/hyperparam-iceberg\/spark\/bunnies\/data\/00000-3-6fdcdaeb-591f-4ae0-a39a-75c7fba53907-00001-deletes\.parquet/,
    );
  });

  it('reads an earlier version without deletes when given its metadata file: only that snapshot, s3a paths mapped', async () => {
    const files = await listArchiveFiles(join(SPARK, 'metadata/v2.metadata.json'));
    expect(files.map((file) => file.name)).toEqual([
      'data/00000-1-9acc37f2-90ae-42f5-915c-a21c3cb99690-00001.parquet',
    ]);
    expect((await rows(join(SPARK, 'metadata/v2.metadata.json'))).length).toBeGreaterThan(0);
  });
});

describe('Iceberg tables the pipeline would write', () => {
  it('reads the raw archive rows of its data files back as records, with their payload, arrival, shard and key', async () => {
    const T = Date.parse('2026-12-01T10:59:59Z');
    const records: InputRecord[] = [
      { ...jsonRecord({ card_id: 'c1', ts: T }, T, 'shardId-000000000000', 1), partitionKey: 'c1' },
      {
        data: new Uint8Array([0xff, 0xfe, 0x00, 0x41]),
        arrivalMs: T + 500,
        shardId: 'shardId-000000000001',
        sequenceNumber: '2',
      },
      jsonRecord({ card_id: 'c2', ts: T + 2_000 }, T + 2_000, 'shardId-000000000000', 3),
    ];
    const dir = tempDir();
    const table = new TestTable(dir);
    const hive = writeRawArchive(join(dir, 'staging'), spec, records);
    const entries = hive.map((name) => {
      const path = `data/${name}`;
      table.write(path, readFileSync(join(dir, 'staging', name)));
      return { path, bytes: statSync(join(dir, 'staging', name)).size };
    });
    // The staging copy would be read twice as a Hive layout; the Iceberg reader must read only the table's files.
    renameSync(join(dir, 'staging'), join(dir, 'data', 'orphans'));
    await table.commit([{ entries: [entries[0] as TestEntry] }]);
    await table.commit([{ entries: [entries[1] as TestEntry] }]);
    const read: InputRecord[] = [];
    for await (const chunk of readArchiveRecords(await listArchiveFiles(dir))) read.push(...chunk);
    expect(read.map((r) => ({ ...r, data: [...r.data] }))).toEqual(
      records.map((r) => ({ ...r, data: [...r.data] })),
    );
  });

  it('replays from a metadata file location, which is a table and not JSON Lines events', async () => {
    const T = Date.parse('2026-12-01T10:00:00Z');
    const records = [1, 2, 3].map((i) =>
      jsonRecord({ card_id: `c${i}`, ts: T + i }, T + i, 'shardId-000000000000', i),
    );
    const dir = tempDir();
    const [name] = writeRawArchive(join(dir, 'data'), spec, records);
    const table = new TestTable(dir);
    const metadata = await table.commit([
      { entries: [{ path: `data/${name}`, bytes: statSync(join(dir, 'data', name as string)).size }] },
    ]);
    const source = await openEventSource(fraudSpec(), metadata);
    expect(source.description).toMatch(/\(1 Parquet file, /);
    const read: InputRecord[] = [];
    for await (const chunk of source.chunks) read.push(...chunk);
    expect(read.map((r) => r.sequenceNumber)).toEqual(['1', '2', '3']);
  });

  it('answers both appends of two commits in commit order, though the manifest list names the newer first', async () => {
    const table = new TestTable(tempDir());
    const first = dataFile(table, 'data/dt=2026-12-01/hour=10/b-first.parquet');
    const second = dataFile(table, 'data/dt=2026-12-01/hour=10/a-second.parquet');
    await table.commit([{ entries: [first] }]);
    await table.commit([{ entries: [second] }]);
    expect((await listArchiveFiles(table.dir)).map((file) => file.name)).toEqual([first.path, second.path]);
  });

  it('orders by data sequence number, so files an old commit added and a later manifest keeps come first', async () => {
    const table = new TestTable(tempDir());
    const old = dataFile(table, 'data/old.parquet');
    const added = dataFile(table, 'data/new.parquet');
    await table.commit([{ entries: [old] }]);
    // A rewrite of the manifests: the new manifest lists the new file first and the old one as EXISTING (sequence 1).
    await table.commit([{ entries: [added, { ...old, status: 0, sequenceNumber: 1n }] }], true);
    expect((await listArchiveFiles(table.dir)).map((file) => file.name)).toEqual([old.path, added.path]);
  });

  it('reads hour by hour when files carry dt/hour: a compacted hour committed after a newer one comes first', async () => {
    const table = new TestTable(tempDir());
    const hour10 = { dt: '2026-12-01', hour: '10' };
    const hour11 = { dt: '2026-12-01', hour: '11' };
    const small = [dataFile(table, 'data/a.parquet'), dataFile(table, 'data/b.parquet')].map((file) => ({
      ...file,
      partition: hour10,
    }));
    await table.commit([{ entries: small }]);
    const newer = { ...dataFile(table, 'data/c.parquet'), partition: hour11 };
    await table.commit([{ entries: [newer] }]);
    const compacted = { ...dataFile(table, 'data/compacted.parquet', 20), partition: hour10 };
    await table.commit(
      [
        {
          entries: [
            compacted,
            ...small.map((file) => ({ ...file, status: 2, sequenceNumber: 1n })),
            { ...newer, status: 0, sequenceNumber: 2n },
          ],
        },
      ],
      true,
    );
    expect((await listArchiveFiles(table.dir)).map((file) => file.name)).toEqual([
      compacted.path,
      newer.path,
    ]);
  });

  it("refuses the table's data folder given as a plain archive, naming the table to give instead", async () => {
    const table = new TestTable(tempDir());
    await table.commit([{ entries: [dataFile(table, 'data/dt=2026-12-01/hour=10/a.parquet')] }]);
    for (const inside of ['data', 'data/dt=2026-12-01/hour=10']) {
      await expect(listArchiveFiles(join(table.dir, inside))).rejects.toThrow(
        `is inside the data folder of the Iceberg table ${table.dir}: its files include those of expired`,
      );
    }
    // A folder named data that is not a table's: a plain archive.
    const plain = join(tempDir(), 'data');
    const at = Date.parse('2026-12-01T10:00:00Z');
    const record = jsonRecord({ card_id: 'c1', ts: at }, at, 'shardId-000000000000', 1);
    const [written] = writeRawArchive(plain, spec, [record]);
    expect((await listArchiveFiles(plain)).map((file) => file.name)).toEqual([written]);
  });

  it('does not read a snapshot that is not current: after a rollback to the first, only its file', async () => {
    const table = new TestTable(tempDir());
    const first = dataFile(table, 'data/first.parquet');
    await table.commit([{ entries: [first] }]);
    await table.commit([{ entries: [dataFile(table, 'data/second.parquet')] }]);
    table.writeMetadata('9007199254740995');
    expect((await listArchiveFiles(table.dir)).map((file) => file.name)).toEqual([first.path]);
  });

  it('does not read a file its current snapshot lists as DELETED (compacted away)', async () => {
    const table = new TestTable(tempDir());
    const small = [dataFile(table, 'data/small-1.parquet'), dataFile(table, 'data/small-2.parquet')];
    await table.commit([{ entries: small }]);
    const compacted = dataFile(table, 'data/compacted.parquet', 20);
    await table.commit(
      [{ entries: [compacted, ...small.map((file) => ({ ...file, status: 2, sequenceNumber: 1n }))] }],
      true,
    );
    expect((await listArchiveFiles(table.dir)).map((file) => file.name)).toEqual([compacted.path]);
  });

  it('finds the current version in the Hadoop layout (vN.metadata.json, version-hint.text)', async () => {
    const table = new TestTable(tempDir(), 's3://archive-bucket/features', { hadoopLayout: true });
    const first = dataFile(table, 'data/first.parquet');
    const second = dataFile(table, 'data/second.parquet');
    await table.commit([{ entries: [first] }]);
    await table.commit([{ entries: [second] }]);
    expect((await listArchiveFiles(table.dir)).map((file) => file.name)).toEqual([first.path, second.path]);
  });
});

describe('Iceberg tables the reader refuses, naming why', () => {
  it('fails on two metadata files with the top version, naming both and the catalog to ask', async () => {
    const table = new TestTable(tempDir());
    await table.commit([{ entries: [dataFile(table, 'data/a.parquet')] }]);
    // A second writer committed version 00000 too (the first commit wrote 00000 here).
    table.version = 0;
    table.writeMetadata('9007199254740995', 'racer');
    const error = await listArchiveFiles(table.dir).catch((e: Error) => e);
    expect(String(error)).toMatch(
      /2 Iceberg metadata files have the top version 0 \(metadata\/00000-0aaaaaaa-0000-4000-8000-000000000000\.metadata\.json, metadata\/00000-racer\.metadata\.json\)/,
    );
    expect(String(error)).toMatch(/aws glue get-table .*metadata_location/);
  });

  it('fails on an equality delete file, naming it', async () => {
    const table = new TestTable(tempDir());
    await table.commit([{ entries: [dataFile(table, 'data/a.parquet')] }]);
    await table.commit([
      { content: 1, entries: [{ ...dataFile(table, 'data/eq-deletes.parquet'), content: 2 }] },
    ]);
    await expect(listArchiveFiles(table.dir)).rejects.toThrow(
      /equality deletes in s3:\/\/archive-bucket\/raw\/data\/eq-deletes\.parquet/,
    );
  });

  it('fails on a position delete file, naming it', async () => {
    const table = new TestTable(tempDir());
    await table.commit([{ entries: [dataFile(table, 'data/a.parquet')] }]);
    await table.commit([
      { content: 1, entries: [{ ...dataFile(table, 'data/pos-deletes.parquet'), content: 1 }] },
    ]);
    await expect(listArchiveFiles(table.dir)).rejects.toThrow(
      /position deletes in .*\/data\/pos-deletes\.parquet/,
    );
  });

  it('fails on format version 3, naming the metadata file', async () => {
    const table = new TestTable(tempDir(), undefined, { formatVersion: 3 });
    const metadata = await table.commit([{ entries: [dataFile(table, 'data/a.parquet')] }]);
    await expect(listArchiveFiles(table.dir)).rejects.toThrow(
      `${metadata}: Iceberg format version 3 is not read here (versions 1 and 2 are)`,
    );
  });

  it('fails on a snapshot whose manifest list is missing, naming the snapshot and the list', async () => {
    const dir = tempDir();
    const table = new TestTable(dir);
    await table.commit([{ entries: [dataFile(table, 'data/a.parquet')] }]);
    const list = join(dir, 'metadata/snap-9007199254740995-1-list.avro');
    renameSync(list, `${list}.lost`);
    await expect(listArchiveFiles(dir)).rejects.toThrow(
      `cannot read snapshot 9007199254740995's manifest list ${list}`,
    );
  });

  it('fails on a data file that is not Parquet, naming it and its format', async () => {
    const table = new TestTable(tempDir());
    await table.commit([{ entries: [{ ...dataFile(table, 'data/a.orc'), format: 'ORC' }] }]);
    await expect(listArchiveFiles(table.dir)).rejects.toThrow(
      /the data file s3:\/\/archive-bucket\/raw\/data\/a\.orc \(listed by .*\) is ORC, and only Parquet is read/,
    );
  });

  it('fails on a data file missing from the local copy, naming it', async () => {
    const table = new TestTable(tempDir());
    await table.commit([{ entries: [{ path: 'data/never-synced.parquet', bytes: 10 }] }]);
    await expect(listArchiveFiles(table.dir)).rejects.toThrow(
      /cannot read the Iceberg data file .*data\/never-synced\.parquet: no such file or folder/,
    );
  });

  it('fails on a data file whose path climbs out of the local copy (..), naming it', async () => {
    const table = new TestTable(tempDir());
    await table.commit([{ entries: [{ path: 'data/../../elsewhere/a.parquet', bytes: 10 }] }]);
    await expect(listArchiveFiles(table.dir)).rejects.toThrow(
      /lists a file outside it: data\/\.\.\/\.\.\/elsewhere\/a\.parquet/,
    );
  });

  it('fails on a data file outside the table location when reading a local copy, naming it', async () => {
    const table = new TestTable(tempDir());
    await table.commit([{ entries: [{ path: 's3://other-bucket/a.parquet', bytes: 10 }] }]);
    await expect(listArchiveFiles(table.dir)).rejects.toThrow(
      /lists s3:\/\/other-bucket\/a\.parquet, which is outside its location s3:\/\/archive-bucket\/raw/,
    );
  });
});
