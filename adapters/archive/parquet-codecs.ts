/// <reference path="./hyparquet-compressors-lz4.d.ts" />
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { decompress as decompressZstd } from 'fzstd';
import type { Compressors } from 'hyparquet';
// The LZ4 module alone: the package's index also loads its JavaScript Brotli (an 80 KB dictionary) and GZIP.
import { decompressLz4, decompressLz4Raw } from 'hyparquet-compressors/src/lz4.js';
import { snappyUncompressor } from 'hysnappy';

/**
 * The codecs Parquet written elsewhere may use, for hyparquet: Snappy in WebAssembly (Firehose's default; several
 * times hyparquet's own JavaScript Snappy), GZIP and Brotli by Node's own zlib, ZSTD (Athena's default for Iceberg
 * tables) and LZ4.
 */
export const PARQUET_CODECS: Compressors = {
  SNAPPY: snappyUncompressor(),
  GZIP: (input) => gunzipSync(input),
  BROTLI: (input) => brotliDecompressSync(input),
  ZSTD: (input) => decompressZstd(input),
  LZ4: decompressLz4,
  LZ4_RAW: decompressLz4Raw,
};
