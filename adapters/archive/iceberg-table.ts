import type { ArchiveFile } from './archive-files.js';
import { readAvro } from './iceberg-avro.js';
import {
  inReadOrder,
  type LiveDataFile,
  liveDataFiles,
  type ManifestRef,
  manifestRefs,
} from './iceberg-manifests.js';
import { parseIcebergMetadata } from './iceberg-metadata.js';

/**
 * The data files of an Iceberg table's current snapshot as archive files, in read order (`inReadOrder`: commit
 * order, hour by hour for the product's tables): read from the metadata file, its snapshot's manifest list and the
 * manifests. The table is in S3 or a local copy of it (`aws s3 sync`); the paths in its metadata are absolute
 * (`s3://bucket/raw/data/…`), so a path under the table's own location is read at the same place under the given
 * root, and in S3 any other `s3://` path is read where it points.
 */

/** Where the table's files are read: local paths or `s3://` URIs. */
export interface IcebergStorage {
  readonly kind: 'local' | 's3';
  read(path: string): Promise<Uint8Array>;
  /** The data file at `path`, of `bytes` as the manifest says; a local file that is missing fails here. */
  file(path: string, bytes: number): Promise<ArchiveFile>;
  /** `root` + a path relative to it. */
  under(root: string, relativePath: string): string;
}

export interface IcebergTableSource {
  /** What the user gave, for messages. */
  readonly location: string;
  /** The current metadata file, as the storage reads it. */
  readonly metadataPath: string;
  /** The folder or `s3://` prefix holding the table (its `metadata/` and `data/`); undefined: paths as written. */
  readonly root?: string;
}

export interface IcebergListing {
  /**
   * Whether anything was committed: a table Glue just created has a metadata file and no snapshot (no files; the
   * monitoring job reads an empty window, the offline commands refuse it).
   */
  readonly committed: boolean;
  /** The data files to read, in read order. */
  readonly files: ArchiveFile[];
  /** The same files as the manifests describe them (partition values, rows, sequence number). */
  readonly live: LiveDataFile[];
}

export async function listIcebergFiles(
  source: IcebergTableSource,
  storage: IcebergStorage,
): Promise<IcebergListing> {
  const metadata = parseIcebergMetadata(
    await readNaming(storage, source.metadataPath, 'the metadata file'),
    source.metadataPath,
  );
  const table = `the Iceberg table ${source.location}`;
  const snapshot = metadata.currentSnapshot;
  if (!snapshot) return { committed: false, files: [], live: [] };
  const resolve = resolver(source, metadata.location, storage);
  let manifests: ManifestRef[];
  if (snapshot.manifestList !== undefined) {
    const list = resolve(snapshot.manifestList);
    const bytes = await readNaming(storage, list, `snapshot ${snapshot.id}'s manifest list`);
    manifests = manifestRefs(readAvro(bytes, list).records, list);
  } else {
    manifests = (snapshot.manifests ?? []).map((path) => ({ path, content: 0, sequenceNumber: 0n }));
  }
  const live: LiveDataFile[] = [];
  for (const manifest of manifests) {
    const path = resolve(manifest.path);
    const bytes = await readNaming(storage, path, `snapshot ${snapshot.id}'s manifest`);
    live.push(...liveDataFiles(manifest, readAvro(bytes, path).records, table));
  }
  const ordered = inReadOrder(live);
  const files: ArchiveFile[] = [];
  for (const file of ordered) files.push(await storage.file(resolve(file.path), file.bytes));
  return { committed: true, files, live: ordered };
}

/**
 * Maps a path from the table's metadata to where the storage reads it: under the root when it is under the
 * table's location; else as written, if the storage can read it (an `s3://` path in S3, a `file:` path locally).
 */
function resolver(
  source: IcebergTableSource,
  location: string,
  storage: IcebergStorage,
): (path: string) => string {
  const base = location.replace(/\/+$/, '');
  return (path) => {
    if (source.root !== undefined && path.startsWith(`${base}/`)) {
      return storage.under(source.root, path.slice(base.length + 1));
    }
    const s3 = /^s3[an]?:\/\/(.+)$/.exec(path);
    if (storage.kind === 's3' && s3) return `s3://${s3[1]}`;
    if (storage.kind === 'local' && path.startsWith('file:')) return new URL(path).pathname;
    throw new Error(
      `the Iceberg table ${source.location} lists ${path}, which is outside its location ${location}: ` +
        (storage.kind === 'local'
          ? 'read the table from S3, or copy it with its metadata folder'
          : 'not in S3'),
    );
  };
}

async function readNaming(storage: IcebergStorage, path: string, what: string): Promise<Uint8Array> {
  try {
    return await storage.read(path);
  } catch (error) {
    throw new Error(`cannot read ${what} ${path}: ${(error as Error).message}`);
  }
}
