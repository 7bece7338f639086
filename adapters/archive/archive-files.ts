import type { Stats } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { type AsyncBuffer, asyncBufferFromFile, cachedAsyncBuffer } from 'hyparquet';
import { currentMetadataName, holdsIcebergTable } from './iceberg-discovery.js';
import { type IcebergListing, type IcebergStorage, listIcebergFiles } from './iceberg-table.js';

/** One Parquet file of an archive, local or in S3, opened lazily as hyparquet's AsyncBuffer. */
export interface ArchiveFile {
  /** The path relative to the archive root, or the S3 key: what messages name. */
  readonly name: string;
  readonly bytes: number;
  open(): Promise<AsyncBuffer>;
}

/** `s3://bucket/prefix` → its parts; anything else is a local path. */
export function s3Location(location: string): { bucket: string; prefix: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(location);
  return match ? { bucket: match[1] as string, prefix: match[2] as string } : undefined;
}

/**
 * The Parquet files of an archive, in key order: a file, a directory (searched recursively), or
 * `s3://bucket/prefix`. Firehose names its objects `<prefix>dt=YYYY-MM-DD/hour=HH/<stream>-<v>-<date-time>-…`,
 * so key order is the order Firehose received the records, near enough to arrival order for `inArrivalOrder`.
 * Only `.parquet` objects count; finding none is an error that says what was found instead.
 * An Apache Iceberg table (a location with `metadata/*.metadata.json`, or one metadata file, as Glue's
 * `metadata_location` names it) answers its current snapshot's data files instead: in commit order, and hour
 * by hour when they carry the `dt`/`hour` partition values (iceberg-table.ts).
 */
export async function listArchiveFiles(location: string, s3?: () => S3Client): Promise<ArchiveFile[]> {
  const inS3 = s3Location(location);
  if (isIcebergMetadataFile(location))
    return committedFiles(await readIcebergMetadataFile(location, s3), location);
  const all = inS3 ? await listS3(inS3, (s3 ?? missingClient)()) : await listLocal(location);
  const iceberg = await readIcebergTable(location, all, s3);
  if (iceberg) return committedFiles(iceberg, location);
  await refuseIcebergDataFolder(location, s3);
  const files = all.filter((file) => file.name.endsWith('.parquet')).sort((a, b) => compare(a.name, b.name));
  if (files.length === 0) {
    const seen = all.slice(0, 5).map((file) => file.name);
    throw new Error(
      `no Parquet files in ${location} (${all.length} other objects${seen.length > 0 ? `: ${seen.join(', ')}${all.length > 5 ? ', …' : ''}` : ''})`,
    );
  }
  return files;
}

/** An Iceberg table's files for the offline commands, which refuse a table nothing was committed to yet. */
function committedFiles(listing: IcebergListing, location: string): ArchiveFile[] {
  if (!listing.committed) {
    throw new Error(`the Iceberg table ${location} has no snapshot yet: nothing was committed to it`);
  }
  return listing.files;
}

/**
 * Refuses a folder inside an Iceberg table's `data/` folder (`…/raw/data/` or `…/raw/data/dt=…/`): its Parquet
 * files are every snapshot's, those expired, replaced by compaction or rolled back among them, so reading them as
 * plain files would count records twice or count records the table no longer holds.
 */
async function refuseIcebergDataFolder(location: string, s3: (() => S3Client) | undefined): Promise<void> {
  if (location.endsWith('.parquet')) return;
  const inS3 = s3Location(location);
  const segments = (inS3 ? inS3.prefix : location).split(inS3 ? '/' : /[\\/]/);
  const at = segments.lastIndexOf('data');
  if (at < 0) return;
  const above = segments.slice(0, at).join('/');
  const root = inS3 ? `s3://${inS3.bucket}/${withSlash(above)}` : above === '' ? '.' : above;
  const table = await findIcebergTable(root, s3);
  if (table === undefined) return;
  throw new Error(
    `${location} is inside the data folder of the Iceberg table ${root}: its files include those of expired, ` +
      `compacted and rolled-back snapshots; give the table's location (${root}) or its metadata file instead`,
  );
}

const METADATA_FILE = /\.metadata\.json$/;

/** Whether a location names one Iceberg metadata file (`….metadata.json`): a table, not JSON Lines. */
export function isIcebergMetadataFile(location: string): boolean {
  return METADATA_FILE.test(location);
}

/** The Iceberg table at `location` if the objects under it hold one: read through its newest metadata file. */
async function readIcebergTable(
  location: string,
  all: readonly ArchiveFile[],
  s3: (() => S3Client) | undefined,
): Promise<IcebergListing | undefined> {
  const inS3 = s3Location(location);
  const root = inS3 ? `s3://${inS3.bucket}/${withSlash(inS3.prefix)}` : location;
  const under = inS3 ? withSlash(inS3.prefix) : '';
  const names = all.flatMap((file) => (file.name.startsWith(under) ? [file.name.slice(under.length)] : []));
  return openIcebergTable(location, root, names, s3);
}

/**
 * The Iceberg table at `location` (an `s3://` prefix or a folder), found by listing its `metadata/` folder only,
 * not its data: for a reader that picks files by partition (the monitoring job). Undefined when there is none.
 */
export async function findIcebergTable(
  location: string,
  s3?: () => S3Client,
): Promise<IcebergListing | undefined> {
  const inS3 = s3Location(location);
  if (!inS3) return openIcebergTable(location, location, await localMetadataNames(location), s3);
  const under = withSlash(inS3.prefix);
  const listed = await listS3Objects((s3 ?? missingClient)(), inS3.bucket, `${under}metadata/`);
  const names = listed.map(({ key }) => key.slice(under.length));
  return openIcebergTable(location, `s3://${inS3.bucket}/${under}`, names, s3);
}

async function localMetadataNames(folder: string): Promise<string[]> {
  try {
    return (await readdir(join(folder, 'metadata'))).map((name) => `metadata/${name}`);
  } catch {
    return [];
  }
}

/** The table whose files are `names` (relative to `root`), read through its newest metadata file; or undefined. */
async function openIcebergTable(
  location: string,
  root: string,
  names: readonly string[],
  s3: (() => S3Client) | undefined,
): Promise<IcebergListing | undefined> {
  if (!holdsIcebergTable(names)) return undefined;
  const inS3 = s3Location(location);
  const storage = inS3 ? s3Storage((s3 ?? missingClient)()) : localStorage(location);
  const metadataPath = storage.under(root, currentMetadataName(names, location));
  return listIcebergFiles({ location, metadataPath, root }, storage);
}

/** One Iceberg metadata file named on its own: the table is the folder above its `metadata/` folder. */
async function readIcebergMetadataFile(
  location: string,
  s3: (() => S3Client) | undefined,
): Promise<IcebergListing> {
  const inS3 = s3Location(location);
  const folder = inS3 ? location.slice(0, location.lastIndexOf('/')) : dirname(location);
  const parent = inS3 ? folder.slice(0, folder.lastIndexOf('/') + 1) : dirname(folder);
  const root = basename(folder) === 'metadata' ? parent : undefined;
  const storage = inS3 ? s3Storage((s3 ?? missingClient)()) : localStorage(root ?? dirname(location));
  return listIcebergFiles(
    { location, metadataPath: location, ...(root === undefined ? {} : { root }) },
    storage,
  );
}

function withSlash(prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/** An Iceberg table's files in a local folder: named relative to it, as a folder's Parquet files are. */
function localStorage(root: string): IcebergStorage {
  return {
    kind: 'local',
    read: async (path) => readFile(path),
    async file(path, bytes) {
      const info = await statLocation(path, 'Iceberg data file');
      if (info.size !== bytes) {
        throw new Error(`the Iceberg data file ${path} has ${info.size} bytes, its manifest says ${bytes}`);
      }
      return localFile(path, relative(root, path).split(sep).join('/'), bytes);
    },
    under(folder, relativePath) {
      const path = join(folder, ...relativePath.split('/'));
      // A path with `..` in it would read outside the copy: no table written by an engine has one.
      if (relative(folder, path).split(sep)[0] === '..') {
        throw new Error(`the Iceberg table in ${folder} lists a file outside it: ${relativePath}`);
      }
      return path;
    },
  };
}

/** An Iceberg table's files in S3, named by key as listed objects are; any bucket its paths name. */
function s3Storage(client: S3Client): IcebergStorage {
  const parts = (path: string) => s3Location(path) as { bucket: string; prefix: string };
  return {
    kind: 's3',
    async read(path) {
      const { bucket, prefix: key } = parts(path);
      const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return (response.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
    },
    async file(path, bytes) {
      const { bucket, prefix: key } = parts(path);
      return { name: key, bytes, open: async () => cachedAsyncBuffer(s3Buffer(client, bucket, key, bytes)) };
    },
    under: (root, relativePath) => `${withSlash(root)}${relativePath}`,
  };
}

/** A local file or folder's stats, or an error naming what it was to be (`the archive <path>: no such file ...`). */
export async function statLocation(location: string, what: string): Promise<Stats> {
  try {
    return await stat(location);
  } catch (error) {
    const missing = (error as { code?: unknown }).code === 'ENOENT';
    throw new Error(
      `cannot read the ${what} ${location}: ${missing ? 'no such file or folder' : (error as Error).message}`,
    );
  }
}

async function listLocal(location: string): Promise<ArchiveFile[]> {
  const info = await statLocation(location, 'archive');
  if (info.isFile()) return [localFile(location, location, info.size)];
  const entries = await readdir(location, { recursive: true, withFileTypes: true });
  const files: ArchiveFile[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.push(localFile(path, relative(location, path).split(sep).join('/'), (await stat(path)).size));
  }
  return files;
}

function localFile(path: string, name: string, bytes: number): ArchiveFile {
  return { name, bytes, open: () => asyncBufferFromFile(path) };
}

async function listS3(
  location: { bucket: string; prefix: string },
  client: S3Client,
): Promise<ArchiveFile[]> {
  return (await listS3Objects(client, location.bucket, location.prefix)).map(({ key, bytes }) => ({
    name: key,
    bytes,
    open: async () => cachedAsyncBuffer(s3Buffer(client, location.bucket, key, bytes)),
  }));
}

/** One object S3 lists: its key, size and, when S3 says, when it was last modified (epoch ms). */
export interface ListedS3Object {
  readonly key: string;
  readonly bytes: number;
  readonly lastModifiedMs?: number;
}

/** Every object under a prefix, in the order S3 lists them (key order), following the pages. */
export async function listS3Objects(
  client: S3Client,
  bucket: string,
  prefix: string,
): Promise<ListedS3Object[]> {
  const objects: ListedS3Object[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const object of page.Contents ?? []) {
      const lastModifiedMs = object.LastModified?.getTime();
      objects.push({
        key: object.Key as string,
        bytes: object.Size ?? 0,
        ...(lastModifiedMs === undefined ? {} : { lastModifiedMs }),
      });
    }
    token = page.NextContinuationToken;
  } while (token);
  return objects;
}

/** Ranged GETs: hyparquet reads the footer, then only the column chunks asked for. */
function s3Buffer(client: S3Client, bucket: string, key: string, byteLength: number): AsyncBuffer {
  return {
    byteLength,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const last = (end ?? byteLength) - 1;
      const response = await client.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${last}` }),
      );
      const bytes = await (
        response.Body as { transformToByteArray(): Promise<Uint8Array> }
      ).transformToByteArray();
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
  };
}

function missingClient(): never {
  throw new Error('an s3:// archive needs an S3 client');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
