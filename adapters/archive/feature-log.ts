import type { S3Client } from '@aws-sdk/client-s3';
import { type AsyncBuffer, parquetReadObjects } from 'hyparquet';
import type { ScoredRequest } from '../../core/monitoring/index.js';
import { readJsonLines } from '../files/json-lines.js';
import { type ArchiveFile, isIcebergMetadataFile, listArchiveFiles } from './archive-files.js';
import { s3ClientFromEnv } from './event-source.js';
import { PARQUET_CODECS } from './parquet-codecs.js';

/**
 * One scoring request as the scoring Lambda logged it (core/offline-schema.ts featureLogColumns): what monitoring
 * joins labels to, and what parity checks.
 */
export interface LoggedPrediction extends ScoredRequest {
  readonly backend: string | null;
  /** The hash of the spec the features were computed under; null in lines logged before it was recorded. */
  readonly specHash: string | null;
  /** Feature name -> the fingerprint of its definition when logged; empty in lines logged before. */
  readonly fingerprints: Readonly<Record<string, string>>;
}

/**
 * The feature log: the Parquet Firehose wrote (a file, a directory, `s3://bucket/prefix`) or JSON Lines as the
 * scoring Lambda puts them. Rows without a time or entities are reported, not skipped in silence.
 */
export async function readFeatureLog(
  location: string,
  s3: () => S3Client = s3ClientFromEnv,
): Promise<LoggedPrediction[]> {
  const predictions: LoggedPrediction[] = [];
  if (/\.jsonl?$/i.test(location) && !isIcebergMetadataFile(location)) {
    for await (const { body, number } of readJsonLines(location)) {
      predictions.push(loggedPrediction(body as Record<string, unknown>, `${location}:${number}`));
    }
    return predictions;
  }
  return readFeatureLogFiles(await listArchiveFiles(location, s3));
}

/** The logged predictions of feature-log Parquet files already listed (the monitoring job's hours of a table). */
export async function readFeatureLogFiles(files: readonly ArchiveFile[]): Promise<LoggedPrediction[]> {
  const predictions: LoggedPrediction[] = [];
  for (const file of files) {
    const rows = await parquetReadObjects({
      file: (await file.open()) as AsyncBuffer,
      compressors: PARQUET_CODECS,
    });
    rows.forEach((row, i) => {
      predictions.push(loggedPrediction(row, `${file.name}:${i + 1}`));
    });
  }
  return predictions;
}

function loggedPrediction(row: Record<string, unknown>, source: string): LoggedPrediction {
  if (row === null || typeof row !== 'object') {
    throw new Error(`${source}: a logged line must be a JSON object (got ${JSON.stringify(row)})`);
  }
  const t = Number(row.t);
  if (!Number.isFinite(t)) throw new Error(`${source}: the logged line has no time t (got ${String(row.t)})`);
  const entities = row.entities;
  if (entities === null || typeof entities !== 'object') {
    throw new Error(`${source}: the logged line has no entities (got ${JSON.stringify(entities)})`);
  }
  const requestMs = row.request_ms === undefined || row.request_ms === null ? t : Number(row.request_ms);
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  const number = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : null);
  return {
    source,
    requestId: text(row.request_id),
    requestMs: Number.isFinite(requestMs) ? requestMs : t,
    t,
    entities: Object.entries(entities as Record<string, Record<string, unknown>>).map(([entity, key]) => ({
      entity,
      key: Object.fromEntries(Object.entries(key ?? {}).map(([field, value]) => [field, String(value)])),
    })),
    features: (row.features ?? {}) as Record<string, unknown>,
    score: number(row.score),
    modelVersion: text(row.model_version),
    variant: text(row.variant),
    shadowScore: number(row.shadow_score),
    shadowModelVersion: text(row.shadow_model_version),
    backend: text(row.backend),
    specHash: text(row.spec_hash),
    fingerprints: stringMap(row.fingerprints),
  };
}

/** A map column as JSON gives it (an object) or as hyparquet reads a Parquet map (an object too): strings only. */
function stringMap(value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  const map: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) if (typeof item === 'string') map[key] = item;
  return map;
}
