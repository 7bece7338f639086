/**
 * A model registry a retrain reads and adds to: a folder (model-registry.ts) or an S3 prefix holding the same
 * `<version>.json` documents. A version is added whole or not at all: a folder gets a temporary file renamed
 * into place, S3 an object that appears only once its upload completes. Nothing is ever overwritten with other
 * content: a version is the hash of what it scores.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3Location } from '../archive/archive-files.js';
import { s3ClientFromEnv } from '../archive/event-source.js';
import { writeFileAtomic } from '../files/atomic-file.js';

export interface RegisteredVersion {
  readonly version: string;
}

export interface ModelRegistryStore {
  /** The registry as the user named it. */
  readonly location: string;
  /** Where a version's document is, for messages. */
  where(version: string): string;
  /** Every version, in version order. */
  versions(): Promise<RegisteredVersion[]>;
  /** A version's stored document, unchecked. */
  read(version: string): Promise<unknown>;
  /** Adds a version's document (whole or not at all). */
  add(version: string, text: string): Promise<void>;
}

/** The store for `DIR` or `s3://bucket/prefix`. */
export function openModelRegistry(
  location: string,
  s3: () => S3Client = s3ClientFromEnv,
): ModelRegistryStore {
  const inS3 = s3Location(location);
  return inS3 ? s3Registry(location, inS3.bucket, withSlash(inS3.prefix), s3) : folderRegistry(location);
}

function folderRegistry(location: string): ModelRegistryStore {
  const path = (version: string) => join(resolve(location), `${version}.json`);
  return {
    location,
    where: (version) => join(location, `${version}.json`),
    async versions() {
      let names: string[];
      try {
        names = await readdir(resolve(location));
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        throw new Error(
          `cannot read the model registry ${location}: ${code === 'ENOENT' ? 'no such folder' : (error as Error).message}`,
        );
      }
      const versions = names.filter((name) => name.endsWith('.json')).map((name) => name.slice(0, -5));
      const entries = versions.map((version) => ({ version }));
      return entries.sort((a, b) => (a.version < b.version ? -1 : 1));
    },
    async read(version) {
      return JSON.parse(await readFile(path(version), 'utf8')) as unknown;
    },
    add: (version, text) => writeFileAtomic(path(version), text),
  };
}

function s3Registry(
  location: string,
  bucket: string,
  prefix: string,
  s3: () => S3Client,
): ModelRegistryStore {
  let client: S3Client | undefined;
  const send = () => {
    client ??= s3();
    return client;
  };
  const key = (version: string) => `${prefix}${version}.json`;
  return {
    location,
    where: (version) => `s3://${bucket}/${key(version)}`,
    async versions() {
      const entries: RegisteredVersion[] = [];
      let token: string | undefined;
      do {
        const page = await send().send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            // Only the registry's own level: documents, not folders below it.
            Delimiter: '/',
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
        for (const object of page.Contents ?? []) {
          const name = (object.Key as string).slice(prefix.length);
          if (name.endsWith('.json')) entries.push({ version: name.slice(0, -5) });
        }
        token = page.NextContinuationToken;
      } while (token);
      return entries.sort((a, b) => (a.version < b.version ? -1 : 1));
    },
    async read(version) {
      const answer = await send().send(new GetObjectCommand({ Bucket: bucket, Key: key(version) }));
      return JSON.parse((await answer.Body?.transformToString('utf8')) ?? '') as unknown;
    },
    async add(version, text) {
      await send().send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key(version),
          Body: text,
          ContentType: 'application/json',
        }),
      );
    },
  };
}

function withSlash(prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}
