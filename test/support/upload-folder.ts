import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** Puts every file under `folder` into `bucket`, each at `prefix` + its path relative to the folder. */
export async function uploadFolder(
  s3: S3Client,
  bucket: string,
  prefix: string,
  folder: string,
): Promise<void> {
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const key = prefix + relative(folder, path).split(sep).join('/');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(path) }));
  }
}
