import { brotliCompressSync, gzipSync } from 'node:zlib';
import { parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { PARQUET_CODECS } from '../../adapters/archive/parquet-codecs.js';

// What the archive readers decompress with: Node's zlib for GZIP and Brotli (in place of the package's JavaScript
// ones), Snappy in WebAssembly. ZSTD is read in the Iceberg tests (the Spark and Athena tables are ZSTD).
const rows = Array.from({ length: 500 }, (_, i) => ({ id: `evt-${i}`, amount: i * 1.25 }));
const columnData = [
  { name: 'id', data: rows.map((row) => row.id), type: 'STRING' as const },
  { name: 'amount', data: rows.map((row) => row.amount), type: 'DOUBLE' as const },
];
const compressors = {
  GZIP: (input: Uint8Array) => gzipSync(input),
  BROTLI: (input: Uint8Array) => brotliCompressSync(input),
};

describe('the archive readers decompress Parquet', () => {
  for (const codec of ['SNAPPY', 'GZIP', 'BROTLI', 'UNCOMPRESSED'] as const) {
    it(`written with ${codec}`, async () => {
      const file = parquetWriteBuffer({ columnData, codec, compressors });
      expect(await parquetReadObjects({ file, compressors: PARQUET_CODECS })).toEqual(rows);
    });
  }
});
