import { DuckDBInstance } from '@duckdb/node-api';

/** Runs SQL (over Parquet files, say) with DuckDB, the independent reader; rows as JSON-friendly objects. */
export async function duckdb(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
