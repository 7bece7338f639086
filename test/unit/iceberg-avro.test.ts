import { crc32 } from 'node:zlib';
import { snappyCompressor } from 'hysnappy';
import { describe, expect, it } from 'vitest';
import { readAvro } from '../../adapters/archive/iceberg-avro.js';
import { avroBytes } from '../support/iceberg-test-table.js';

/** Every Avro type a manifest may carry, written by avsc (an independent implementation) and read back. */
const EVERYTHING = {
  type: 'record',
  name: 'everything',
  namespace: 'test.avro',
  fields: [
    { name: 'flag', type: 'boolean' },
    { name: 'small', type: 'int' },
    { name: 'negative', type: 'int' },
    { name: 'id', type: 'long' },
    { name: 'ratio', type: 'float' },
    { name: 'precise', type: 'double' },
    { name: 'raw', type: 'bytes' },
    { name: 'text', type: 'string' },
    { name: 'maybe', type: ['null', 'long'] },
    { name: 'kind', type: { type: 'enum', name: 'kind', symbols: ['DATA', 'DELETES'] } },
    { name: 'digest', type: { type: 'fixed', name: 'digest', size: 4 } },
    { name: 'sizes', type: { type: 'map', values: 'long' } },
    {
      name: 'bounds',
      type: { type: 'array', items: { type: 'record', name: 'kv', fields: [{ name: 'k', type: 'int' }] } },
    },
    { name: 'again', type: 'test.avro.kv' },
    { name: 'day', type: { type: 'int', logicalType: 'date' } },
  ],
};

const record = (i: number) => ({
  flag: i % 2 === 0,
  small: i,
  negative: -1_000_000 - i,
  id: 6_838_723_292_707_092_922n + BigInt(i),
  ratio: 0.5,
  precise: 1 / 3,
  raw: Buffer.from([0, 255, i]),
  text: `zeile ${i} ü`,
  maybe: i === 0 ? null : -BigInt(i),
  kind: i === 0 ? 'DATA' : 'DELETES',
  digest: Buffer.from([1, 2, 3, i]),
  sizes: { '1': 10n, '2': BigInt(i) },
  bounds: [{ k: i }, { k: -i - 1 }],
  again: { k: 7 },
  day: 20_000 + i,
});

/** What the decoder answers for a record: bytes as Uint8Array views. */
const decoded = (value: ReturnType<typeof record>) => ({
  ...value,
  raw: new Uint8Array(value.raw),
  digest: new Uint8Array(value.digest),
});

describe('the Avro reader', () => {
  it('reads every type back as written, longs past 2^53 exactly, across blocks, deflate-compressed', async () => {
    const records = Array.from({ length: 300 }, (_, i) => record(i));
    const file = readAvro(await avroBytes(EVERYTHING, records, { 'format-version': '2' }), 'm.avro');
    expect(file.metadata['format-version']).toBe('2');
    expect(
      file.records.map((r) => ({
        ...r,
        raw: new Uint8Array(r.raw as Uint8Array),
        digest: new Uint8Array(r.digest as Uint8Array),
      })),
    ).toEqual(records.map(decoded));
  });

  it('reads snappy blocks (the block, then its CRC-32) and uncompressed ones', async () => {
    const compress = snappyCompressor();
    const snappy = (buffer: Buffer, done: (error: Error | null, out?: Buffer) => void) => {
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(crc32(buffer));
      done(null, Buffer.concat([Buffer.from(compress(buffer)), crc]));
    };
    for (const codec of [{ codec: 'snappy', codecs: { snappy } }, { codec: 'null' }]) {
      const bytes = await avroBytes(EVERYTHING, [record(1), record(2)], {}, codec);
      expect(readAvro(bytes, 'm.avro').records.map((r) => r.text)).toEqual(['zeile 1 ü', 'zeile 2 ü']);
    }
  });

  it('fails on a file that is not Avro, or is cut short, naming it', async () => {
    expect(() => readAvro(new TextEncoder().encode('{"not":"avro"}'), 'x.avro')).toThrow(
      'x.avro: not a readable Avro file (it does not start with "Obj" 1)',
    );
    const bytes = await avroBytes(EVERYTHING, [record(1)]);
    expect(() => readAvro(bytes.subarray(0, bytes.length - 20), 'cut.avro')).toThrow(
      /^cut\.avro: not a readable Avro file \(it ends inside/,
    );
  });
});
