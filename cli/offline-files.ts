import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { listS3Objects } from '../adapters/archive/archive-files.js';

/** The demo's look at the offline store: download what Firehose delivered, count its Parquet rows. */

/** The Parquet objects under `prefix` (but the keys in `exclude`), downloaded into `dir`. */
export async function offlineFiles(
  s3: S3Client,
  bucket: string,
  prefix: string,
  dir: string,
  exclude: ReadonlySet<string> = new Set(),
): Promise<{ files: string[] }> {
  const files: string[] = [];
  for (const { key } of await listS3Objects(s3, bucket, prefix)) {
    if (exclude.has(key)) continue;
    const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const path = join(dir, `${files.length}-${prefix.replace(/\W/g, '')}.parquet`);
    writeFileSync(
      path,
      await (body.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    files.push(path);
  }
  return { files };
}

/**
 * Rows of each Parquet file: with DuckDB (@duckdb/node-api, a devDependency), else with hyparquet (a dependency)
 * where DuckDB is not installed.
 */
export async function parquetRows(files: readonly string[]): Promise<{ perFile: number[]; reader: string }> {
  if (files.length === 0) return { perFile: [], reader: 'nothing to read' };
  try {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const perFile: number[] = [];
      for (const file of files) {
        const reader = await connection.runAndReadAll(
          `SELECT count(*)::INTEGER AS n FROM read_parquet('${file.replaceAll("'", "''")}')`,
        );
        perFile.push(Number(reader.getRowObjects()[0]?.n ?? 0));
      }
      return { perFile, reader: 'DuckDB' };
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  } catch (error) {
    if (!isModuleMissing(error)) throw error;
  }
  const { parquetMetadata } = await import('hyparquet');
  const { readFileSync } = await import('node:fs');
  const perFile = files.map((file) => {
    const bytes = readFileSync(file);
    return Number(
      parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)).num_rows,
    );
  });
  return { perFile, reader: 'hyparquet (DuckDB is not installed)' };
}

function isModuleMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}
