import * as z from 'zod/mini';
import { type Env, readEnv, required } from '../shared/config.js';

const schema = z.object({ STREAM_NAME: required('the Kinesis stream name (or ARN)') });

export interface IngestConfig {
  /** A stream name, or its ARN. */
  readonly stream: string;
}

export function readIngestConfig(env: Env): IngestConfig {
  return { stream: readEnv(schema, env, 'ingest').STREAM_NAME };
}
