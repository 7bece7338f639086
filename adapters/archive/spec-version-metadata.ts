// hyparquet's Node entry: its browser one lacks asyncBufferFromFile.
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import type { SpecVersion } from '../../core/index.js';

/**
 * The spec version in a Parquet file's key-value metadata: what `streamfeatures training-set` records of the spec
 * that computed the file's features, and `streamfeatures train` reads to record in the model it fits.
 */
export const SPEC_HASH_KEY = 'streamfeatures.spec_hash';
/** JSON: feature name -> fingerprint, for the feature columns of the file. */
export const FINGERPRINTS_KEY = 'streamfeatures.fingerprints';

/** The key-value pairs recording a spec version, with the fingerprints of the named features only. */
export function specVersionMetadata(
  version: SpecVersion,
  features: readonly string[],
): { key: string; value: string }[] {
  const fingerprints: Record<string, string> = {};
  for (const name of features) {
    const fingerprint = version.fingerprints[name];
    if (fingerprint !== undefined) fingerprints[name] = fingerprint;
  }
  return [
    { key: SPEC_HASH_KEY, value: version.hash },
    { key: FINGERPRINTS_KEY, value: JSON.stringify(fingerprints) },
  ];
}

/**
 * The spec version a Parquet file records; undefined when it records none (written before versions were
 * recorded, or by another tool). A record that does not read fails naming the file.
 */
export async function readSpecVersionMetadata(path: string): Promise<SpecVersion | undefined> {
  let pairs: { key: string; value?: string | undefined }[];
  try {
    const metadata = await parquetMetadataAsync(await asyncBufferFromFile(path));
    pairs = metadata.key_value_metadata ?? [];
  } catch (error) {
    throw new Error(`cannot read the Parquet metadata of ${path}: ${(error as Error).message}`);
  }
  const hash = pairs.find((pair) => pair.key === SPEC_HASH_KEY)?.value;
  const text = pairs.find((pair) => pair.key === FINGERPRINTS_KEY)?.value;
  if (hash === undefined && text === undefined) return undefined;
  let fingerprints: unknown;
  try {
    fingerprints = JSON.parse(text ?? 'null');
  } catch {
    fingerprints = undefined;
  }
  const valid =
    typeof hash === 'string' &&
    hash !== '' &&
    fingerprints !== null &&
    typeof fingerprints === 'object' &&
    !Array.isArray(fingerprints) &&
    Object.values(fingerprints).every((value) => typeof value === 'string' && value !== '');
  if (!valid) {
    throw new Error(
      `${path}: its metadata ${SPEC_HASH_KEY} / ${FINGERPRINTS_KEY} must be a hash and a JSON object of ` +
        `feature fingerprints (got ${JSON.stringify(hash)} / ${JSON.stringify(text)})`,
    );
  }
  return { hash, fingerprints: fingerprints as Record<string, string> };
}
