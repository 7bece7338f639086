import type { ArchiveFile } from './archive-files.js';
import { arrivalHour } from './iceberg-manifests.js';
import type { IcebergListing } from './iceberg-table.js';

const HOUR_MS = 3_600_000;

/**
 * The data files of a product table (raw archive, feature log) whose `dt`/`hour` partition is an hour overlapping
 * [fromMs, toMs], in read order: what the monitoring job reads of an Iceberg table instead of the `dt=/hour=` S3
 * prefixes of a Parquet one. The manifests say each file's partition, so no data is listed. A data file without
 * those partition values fails, naming it: it cannot be placed in an hour, and skipping it would lose its rows.
 */
export function filesInHours(
  table: string,
  listing: IcebergListing,
  fromMs: number,
  toMs: number,
): ArchiveFile[] {
  const hours = new Set<string>();
  for (let hour = Math.floor(fromMs / HOUR_MS) * HOUR_MS; hour <= toMs; hour += HOUR_MS) {
    const iso = new Date(hour).toISOString();
    hours.add(`${iso.slice(0, 10)}/${iso.slice(11, 13)}`);
  }
  return listing.files.filter((file, i) => {
    const live = listing.live[i];
    const hour = live ? arrivalHour(live) : undefined;
    if (hour === undefined) {
      throw new Error(
        `the Iceberg table ${table} has a data file without dt/hour partition values (${file.name}): the ` +
          'monitoring job picks the files of its window by them',
      );
    }
    return hours.has(hour);
  });
}
