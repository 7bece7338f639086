import { gunzipSync } from 'node:zlib';

/**
 * An Iceberg table metadata file (apache/iceberg format/spec.md, "Table Metadata"): what the reader needs of it,
 * its location and current snapshot. Snapshot ids are 64-bit, so they are kept as their decimal text: JSON.parse
 * would round ids past 2^53, and two ids can round to one.
 */

/** The format versions read here: v3 adds deletion vectors and row lineage, which this reader does not apply. */
const READABLE_FORMAT_VERSIONS = [1, 2];

export interface IcebergSnapshot {
  readonly id: string;
  /** 0 in format v1, which has no sequence numbers. */
  readonly sequenceNumber: bigint;
  /** The manifest list's location; a v1 snapshot may list its manifests instead. */
  readonly manifestList?: string;
  readonly manifests?: readonly string[];
}

export interface IcebergMetadata {
  readonly formatVersion: number;
  /** The table's base location, as written (`s3://bucket/raw`); other files' paths start with it. */
  readonly location: string;
  /** Undefined when nothing was committed yet. */
  readonly currentSnapshot?: IcebergSnapshot;
}

const SNAPSHOT_ID_KEYS = /"(current-snapshot-id|snapshot-id|parent-snapshot-id)"(\s*):(\s*)(-?\d+)/g;

/** Parses a metadata file's bytes (plain or gzip-compressed JSON); a problem names `name`. */
export function parseIcebergMetadata(bytes: Uint8Array, name: string): IcebergMetadata {
  const text = Buffer.from(isGzip(bytes) ? gunzipSync(bytes) : bytes).toString('utf8');
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text.replace(SNAPSHOT_ID_KEYS, '"$1"$2:$3"$4"')) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`${name}: not an Iceberg metadata file, it is not JSON (${(error as Error).message})`);
  }
  const formatVersion = json['format-version'];
  if (typeof formatVersion !== 'number' || !READABLE_FORMAT_VERSIONS.includes(formatVersion)) {
    throw new Error(
      `${name}: Iceberg format version ${String(formatVersion)} is not read here (versions ${READABLE_FORMAT_VERSIONS.join(' and ')} are)`,
    );
  }
  const location = json.location;
  if (typeof location !== 'string' || location === '') {
    throw new Error(`${name}: the Iceberg metadata has no table location`);
  }
  const currentId = json['current-snapshot-id'];
  if (currentId === undefined || currentId === null || currentId === '-1') return { formatVersion, location };
  const snapshots = Array.isArray(json.snapshots) ? (json.snapshots as Record<string, unknown>[]) : [];
  const current = snapshots.find((snapshot) => snapshot['snapshot-id'] === currentId);
  if (!current) {
    throw new Error(`${name}: the current snapshot ${String(currentId)} is not among the table's snapshots`);
  }
  return { formatVersion, location, currentSnapshot: snapshot(current, name) };
}

function snapshot(json: Record<string, unknown>, name: string): IcebergSnapshot {
  const id = String(json['snapshot-id']);
  const sequence = json['sequence-number'];
  const sequenceNumber = typeof sequence === 'number' ? BigInt(sequence) : 0n;
  const list = json['manifest-list'];
  if (typeof list === 'string') return { id, sequenceNumber, manifestList: list };
  const manifests = json.manifests;
  if (Array.isArray(manifests) && manifests.every((path) => typeof path === 'string')) {
    return { id, sequenceNumber, manifests };
  }
  throw new Error(`${name}: snapshot ${id} has neither a manifest list nor manifests`);
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x1f && bytes[1] === 0x8b;
}
