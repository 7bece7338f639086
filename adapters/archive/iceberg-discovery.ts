/**
 * Which metadata file of an Iceberg table is current, from the names under its location (relative to it). Catalogs
 * name metadata files `metadata/NNNNN-<uuid>.metadata.json`, one version higher per commit; Hadoop tables name
 * them `metadata/vN.metadata.json`. The highest version is the current one. Two files with that version mean two
 * writers raced and only the catalog knows which won.
 */

const NUMBERED = /^metadata\/(\d+)-[^/]+\.metadata\.json$/;
const HADOOP = /^metadata\/v(\d+)(?:\.gz)?\.metadata\.json$/;
const ANY_METADATA = /^metadata\/[^/]+\.metadata\.json$/;

/** Whether names under a location hold an Iceberg table: metadata files in its `metadata/` folder. */
export function holdsIcebergTable(names: readonly string[]): boolean {
  return names.some((name) => ANY_METADATA.test(name));
}

/** The current metadata file's name, of the names under `location` (named in messages). */
export function currentMetadataName(names: readonly string[], location: string): string {
  const versioned = names.flatMap((name) => {
    const match = NUMBERED.exec(name) ?? HADOOP.exec(name);
    return match ? [{ name, version: Number(match[1]) }] : [];
  });
  if (versioned.length === 0) {
    const seen = names.filter((name) => ANY_METADATA.test(name)).slice(0, 3);
    throw new Error(
      `${location}: no Iceberg metadata file is named with a version (NNNNN-<uuid>.metadata.json or vN.metadata.json; found ${seen.join(', ') || 'none'})`,
    );
  }
  const top = Math.max(...versioned.map((file) => file.version));
  const current = versioned.filter((file) => file.version === top).map((file) => file.name);
  if (current.length > 1) {
    throw new Error(
      `${location}: ${current.length} Iceberg metadata files have the top version ${top} (${current.join(', ')}), ` +
        'left by writers that raced to commit; pass the metadata file the catalog points at instead of the table ' +
        '(aws glue get-table --database-name <database> --name <table> --query Table.Parameters.metadata_location)',
    );
  }
  return current[0] as string;
}
