import { join } from 'node:path';
import type { InputRecord, Spec } from '../../core/index.js';
import { compileArchiveColumns, rawArchiveColumns } from '../../core/offline-schema.js';
import { rawArchiveLine } from '../side-outputs/layout.js';
import { ParquetTableWriter, type TableColumn } from './parquet-table-writer.js';

/**
 * Writes records as the pipeline's raw archive: the columns Firehose writes (core/offline-schema.ts) under
 * `dt=YYYY-MM-DD/hour=HH/`, one file per hour. For archives made without the cloud: tests, the benchmark, the
 * fraud example's model. Records go in the order given; the hour is the one Firehose received a record in,
 * `receivedMs` (by default its arrival on the stream). Returns the files written, relative to `dir`.
 */
export function writeRawArchive(
  dir: string,
  spec: Spec,
  records: Iterable<InputRecord>,
  receivedMs: (record: InputRecord) => number = (record) => record.arrivalMs,
): string[] {
  const columns: TableColumn[] = rawArchiveColumns(spec).map((column) => ({
    name: column.name,
    type: column.type === 'bigint' ? 'INT64' : column.type === 'double' ? 'DOUBLE' : 'STRING',
  }));
  const typed = compileArchiveColumns(spec);
  const writers = new Map<string, ParquetTableWriter>();
  for (const record of records) {
    const iso = new Date(receivedMs(record)).toISOString();
    const partition = `dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/archive-${iso.slice(0, 13)}.parquet`;
    let writer = writers.get(partition);
    if (!writer) {
      writer = new ParquetTableWriter(join(dir, partition), columns);
      writers.set(partition, writer);
    }
    const line = rawArchiveLine(record, typed) as unknown as Record<string, string | number | null>;
    writer.append(columns.map((column) => line[column.name] ?? null));
  }
  for (const writer of writers.values()) writer.close();
  return [...writers.keys()].sort();
}
