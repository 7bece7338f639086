import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import avro from 'avsc';

/**
 * Writes small Iceberg tables for the reader's tests, as a local copy of a table in S3: metadata JSON, manifest
 * lists and manifests in Avro (the fields apache/iceberg format/spec.md names, a subset of what engines write; a
 * reader decodes with the schema the file carries), and whatever data files the test puts under it.
 */

/** avsc's long as a bigint (its own is a number and refuses values past 2^53): snapshot ids need 64 bits. */
const BIGINT_LONG = avro.types.LongType.__with({
  fromBuffer: (buffer: Buffer) => buffer.readBigInt64LE(),
  toBuffer: (value: bigint) => {
    const buffer = Buffer.alloc(8);
    buffer.writeBigInt64LE(value);
    return buffer;
  },
  fromJSON: (value: unknown) => BigInt(value as string | number),
  toJSON: (value: bigint) => Number(value),
  isValid: (value: unknown) => typeof value === 'bigint',
  compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
});

export interface TestEntry {
  /** Relative to the table location, e.g. `data/dt=2026-12-01/hour=10/a.parquet`, or a whole `s3://` path. */
  readonly path: string;
  readonly bytes: number;
  /** 0 EXISTING, 1 ADDED (default), 2 DELETED. */
  readonly status?: number;
  /** Data sequence number; ADDED entries default to none, inheriting their manifest's. */
  readonly sequenceNumber?: bigint;
  /** 0 data (default), 1 position deletes, 2 equality deletes. */
  readonly content?: number;
  readonly format?: string;
  readonly partition?: { dt: string; hour: string };
}

export interface TestManifest {
  readonly entries: readonly TestEntry[];
  /** 0 data (default), 1 deletes. */
  readonly content?: number;
}

const nullable = (type: string) => ['null', type];

const MANIFEST_ENTRY = {
  type: 'record',
  name: 'manifest_entry',
  fields: [
    { name: 'status', type: 'int', 'field-id': 0 },
    { name: 'snapshot_id', type: nullable('long'), default: null, 'field-id': 1 },
    { name: 'sequence_number', type: nullable('long'), default: null, 'field-id': 3 },
    { name: 'file_sequence_number', type: nullable('long'), default: null, 'field-id': 4 },
    {
      name: 'data_file',
      'field-id': 2,
      type: {
        type: 'record',
        name: 'r2',
        fields: [
          { name: 'content', type: 'int', 'field-id': 134 },
          { name: 'file_path', type: 'string', 'field-id': 100 },
          { name: 'file_format', type: 'string', 'field-id': 101 },
          {
            name: 'partition',
            'field-id': 102,
            type: {
              type: 'record',
              name: 'r102',
              fields: [
                { name: 'dt', type: nullable('string'), default: null, 'field-id': 1000 },
                { name: 'hour', type: nullable('string'), default: null, 'field-id': 1001 },
              ],
            },
          },
          { name: 'record_count', type: 'long', 'field-id': 103 },
          { name: 'file_size_in_bytes', type: 'long', 'field-id': 104 },
        ],
      },
    },
  ],
};

const MANIFEST_FILE = {
  type: 'record',
  name: 'manifest_file',
  fields: [
    { name: 'manifest_path', type: 'string', 'field-id': 500 },
    { name: 'manifest_length', type: 'long', 'field-id': 501 },
    { name: 'partition_spec_id', type: 'int', 'field-id': 502 },
    { name: 'content', type: 'int', 'field-id': 517 },
    { name: 'sequence_number', type: 'long', 'field-id': 515 },
    { name: 'min_sequence_number', type: 'long', 'field-id': 516 },
    { name: 'added_snapshot_id', type: 'long', 'field-id': 503 },
  ],
};

/** An Avro object container of `records`, deflate-compressed as Iceberg writes by default. */
export async function avroBytes(
  schema: object,
  records: readonly object[],
  metadata: Record<string, string> = {},
  codec: { codec: string; codecs?: Record<string, unknown> } = { codec: 'deflate' },
): Promise<Uint8Array> {
  const meta = Object.fromEntries(Object.entries(metadata).map(([key, value]) => [key, Buffer.from(value)]));
  const encoder = new avro.streams.BlockEncoder(
    avro.Type.forSchema(schema as avro.Schema, { registry: { long: BIGINT_LONG } }),
    {
      ...codec,
      ...(codec.codecs ? { codecs: { ...avro.streams.BlockEncoder.defaultCodecs(), ...codec.codecs } } : {}),
      metadata: meta,
    } as Partial<avro.EncoderOptions>,
  );
  const chunks: Buffer[] = [];
  encoder.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise((resolve, reject) => {
    encoder.on('end', resolve);
    encoder.on('error', reject);
  });
  for (const record of records) encoder.write(record);
  encoder.end();
  await done;
  return Buffer.concat(chunks);
}

interface Snapshot {
  readonly 'snapshot-id': string;
  readonly 'sequence-number': number;
  readonly 'manifest-list': string;
}

/** A table in `dir` whose metadata says it lives at `location`; each `commit` writes a snapshot and a version. */
export class TestTable {
  private readonly snapshots: Snapshot[] = [];
  /** The manifests of the current snapshot, newest first (as a manifest list orders them). */
  private manifests: { path: string; content: number; sequenceNumber: bigint; snapshotId: bigint }[] = [];
  version = 0;

  constructor(
    readonly dir: string,
    readonly location = 's3://archive-bucket/raw',
    private readonly options: { formatVersion?: number; hadoopLayout?: boolean } = {},
  ) {}

  /** Appends manifests (kept: earlier manifests stay in the list unless `replace`); returns the metadata file. */
  async commit(manifests: readonly TestManifest[], replace = false): Promise<string> {
    const sequenceNumber = BigInt(this.snapshots.length + 1);
    // Snapshot ids past 2^53, as engines make them (random 63-bit numbers).
    const snapshotId = 9_007_199_254_740_993n + sequenceNumber * 2n;
    const added = [];
    for (const [i, manifest] of manifests.entries()) {
      const path = `metadata/manifest-${sequenceNumber}-${i}.avro`;
      const entries = manifest.entries.map((entry) => ({
        status: entry.status ?? 1,
        snapshot_id: snapshotId,
        sequence_number: entry.sequenceNumber ?? null,
        file_sequence_number: entry.sequenceNumber ?? null,
        data_file: {
          content: entry.content ?? 0,
          file_path: entry.path.includes('://') ? entry.path : `${this.location}/${entry.path}`,
          file_format: entry.format ?? 'PARQUET',
          partition: entry.partition ?? { dt: null, hour: null },
          record_count: 1n,
          file_size_in_bytes: BigInt(entry.bytes),
        },
      }));
      const content = manifest.content ?? 0;
      this.write(
        path,
        await avroBytes(MANIFEST_ENTRY, entries, {
          'format-version': String(this.options.formatVersion ?? 2),
          content: content === 0 ? 'data' : 'deletes',
        }),
      );
      added.push({ path: `${this.location}/${path}`, content, sequenceNumber, snapshotId });
    }
    this.manifests = [...added, ...(replace ? [] : this.manifests)];
    const list = `metadata/snap-${snapshotId}-1-list.avro`;
    this.write(
      list,
      await avroBytes(
        MANIFEST_FILE,
        this.manifests.map((manifest) => ({
          manifest_path: manifest.path,
          manifest_length: 0n,
          partition_spec_id: 0,
          content: manifest.content,
          sequence_number: manifest.sequenceNumber,
          min_sequence_number: manifest.sequenceNumber,
          added_snapshot_id: manifest.snapshotId,
        })),
      ),
    );
    this.snapshots.push({
      'snapshot-id': String(snapshotId),
      'sequence-number': Number(sequenceNumber),
      'manifest-list': `${this.location}/${list}`,
    });
    return this.writeMetadata(String(snapshotId));
  }

  /** Writes the next metadata version with `current` as the current snapshot id; returns its path. */
  writeMetadata(current: string, uuid = `${this.version}aaaaaaa-0000-4000-8000-000000000000`): string {
    const name = this.options.hadoopLayout
      ? `metadata/v${this.version + 1}.metadata.json`
      : `metadata/${String(this.version).padStart(5, '0')}-${uuid}.metadata.json`;
    this.version++;
    // Ids written as JSON numbers, as engines write them, however large.
    const snapshots = this.snapshots
      .map(
        (s) =>
          `{"snapshot-id":${s['snapshot-id']},"sequence-number":${s['sequence-number']},"manifest-list":"${s['manifest-list']}"}`,
      )
      .join(',');
    this.write(
      name,
      `{"format-version":${this.options.formatVersion ?? 2},"location":"${this.location}",` +
        `"current-snapshot-id":${current},"snapshots":[${snapshots}]}`,
    );
    if (this.options.hadoopLayout) this.write('metadata/version-hint.text', String(this.version));
    return join(this.dir, name);
  }

  write(path: string, bytes: Uint8Array | string): void {
    mkdirSync(dirname(join(this.dir, path)), { recursive: true });
    writeFileSync(join(this.dir, path), bytes);
  }
}
