import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/** The demo's look at the offline store: download what Firehose delivered, count its Parquet rows. */

/** The Parquet objects under `prefix`, downloaded into `dir`. */
export async function offlineFiles(
  s3: S3Client,
  bucket: string,
  prefix: string,
  dir: string,
): Promise<{ files: string[] }> {
  const files: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const object of page.Contents ?? []) {
      const key = object.Key as string;
      const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const path = join(dir, `${files.length}-${prefix.replace(/\W/g, '')}.parquet`);
      writeFileSync(
        path,
        await (body.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      );
      files.push(path);
    }
    token = page.NextContinuationToken;
  } while (token);
  return { files };
}

/**
 * Rows of each Parquet file: with DuckDB (@duckdb/node-api, a devDependency), else with hyparquet (which
 * hyparquet-writer brings) where DuckDB is not installed.
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
