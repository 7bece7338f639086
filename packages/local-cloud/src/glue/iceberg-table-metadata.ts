/**
 * The metadata file an Iceberg table's creation writes: 00000 (format v2, no snapshot) for a new table; for a table
 * a stack update removed and creates again at the same location, the next file after its last one, its changed
 * schema, partition spec or properties evolved into it, its snapshots kept (no new file when nothing changed).
 */

import {
  evolvedMetadata,
  initialMetadata,
  metadataFilePath,
  metadataVersion,
  type TableMetadata,
  tableLocation,
} from '../iceberg/metadata.js';
import { readMetadataFile } from '../iceberg/metadata-file.js';
import { IcebergSchemaError } from '../iceberg/schema.js';
import { invalid, invalidLocation, s3Location } from './errors.js';
import type { IcebergDefinition } from './iceberg-table-input.js';

/** Where Iceberg metadata files are written and read: the cloud's S3. */
export interface ObjectStore {
  put(bucket: string, key: string, body: Uint8Array): Promise<void>;
  get(bucket: string, key: string): Promise<Buffer>;
}

/** Where a removed Iceberg table was: its location and the metadata file it pointed at. */
export interface RemovedIcebergTable {
  readonly location: string;
  readonly metadataLocation: string;
}

/**
 * Writes the table's metadata file (if it needs a new one) and answers the file the catalog points at. `table` is
 * `database.name`, for messages. A definition Iceberg refuses is an InvalidInputException naming it.
 */
export async function writeTableMetadata(
  store: ObjectStore,
  table: string,
  definition: IcebergDefinition,
  removed: RemovedIcebergTable | undefined,
  nowMs: number,
): Promise<string> {
  let metadata: TableMetadata | undefined;
  let metadataLocation: string;
  try {
    // The new definition is checked as a new table's would be (ids, partition sources), evolved or not.
    const initial = initialMetadata({ ...definition, nowMs, table });
    if (removed !== undefined && removed.location === tableLocation(definition.location)) {
      const previousFile = removed.metadataLocation;
      const previous = await readMetadataFile((bucket, key) => store.get(bucket, key), previousFile, {
        refuse: invalidLocation,
      });
      metadata = evolvedMetadata(previous, previousFile, definition, nowMs);
      metadataLocation =
        metadata === undefined
          ? previousFile
          : metadataFilePath(
              definition.location,
              (metadataVersion(previousFile) ?? previous['metadata-log'].length) + 1,
            );
    } else {
      metadata = initial;
      metadataLocation = metadataFilePath(definition.location, 0);
    }
  } catch (error) {
    if (error instanceof IcebergSchemaError) throw invalid(error.message);
    throw error;
  }
  if (metadata !== undefined) {
    const { bucket, key } = s3Location(metadataLocation);
    await store.put(bucket, key, Buffer.from(JSON.stringify(metadata, null, 2)));
  }
  return metadataLocation;
}
