/** Reading an Iceberg table's metadata file from the cloud's S3, for the Glue catalog and Firehose alike. */

import { parseS3Uri, type S3UriRules } from '../s3/s3-uri.js';
import type { TableMetadata } from './metadata.js';

/** Gets an object's bytes from the cloud's S3. */
export type GetObject = (bucket: string, key: string) => Promise<Buffer>;

/**
 * The metadata at `location` (an s3:// URI of a metadata file). A bad location is refused by `rules.refuse`;
 * a file that is not JSON is an Error naming it.
 */
export async function readMetadataFile(
  get: GetObject,
  location: string,
  rules: Pick<S3UriRules, 'refuse'> = {},
): Promise<TableMetadata> {
  const { bucket, key } = parseS3Uri(location, { ...rules, keyRequired: true });
  const text = (await get(bucket, key)).toString('utf8');
  try {
    return JSON.parse(text) as TableMetadata;
  } catch (error) {
    throw new Error(`Iceberg metadata file ${location} is not JSON (${(error as Error).message})`);
  }
}
