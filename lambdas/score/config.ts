import * as z from 'zod/mini';
import { ConfigError, type Env, millis, oneOf, optional, readEnv, required } from '../shared/config.js';

const schema = z.object({
  TABLE_NAME: required('the online-store table name'),
  MODEL_BACKEND: oneOf(['embedded', 'sagemaker'], 'embedded'),
  SAGEMAKER_ENDPOINT_NAME: optional(),
  MODEL_TIMEOUT_MS: millis(300), // the same default as lib/config.ts scoring.model.timeoutMs
  MODEL_FALLBACK: oneOf(['embedded', 'error'], 'embedded'),
  FEATURE_LOG_STREAM: optional(),
});

export type ScoreConfig =
  | (Common & { readonly backend: 'embedded' })
  | (Common & {
      readonly backend: 'sagemaker';
      readonly endpointName: string;
      readonly timeoutMs: number;
      /** On a SageMaker error or timeout: score with the embedded model instead, or answer 502. */
      readonly fallback: 'embedded' | 'error';
    });

interface Common {
  readonly tableName: string;
  /** Firehose delivery stream for the feature + prediction log; none: no log. */
  readonly featureLogStream: string | undefined;
}

export function readScoreConfig(env: Env): ScoreConfig {
  const c = readEnv(schema, env, 'score');
  const common = { tableName: c.TABLE_NAME, featureLogStream: c.FEATURE_LOG_STREAM };
  if (c.MODEL_BACKEND === 'embedded') return { ...common, backend: 'embedded' };
  if (!c.SAGEMAKER_ENDPOINT_NAME) {
    throw new ConfigError('score', ['SAGEMAKER_ENDPOINT_NAME: required when MODEL_BACKEND is "sagemaker"']);
  }
  return {
    ...common,
    backend: 'sagemaker',
    endpointName: c.SAGEMAKER_ENDPOINT_NAME,
    timeoutMs: c.MODEL_TIMEOUT_MS,
    fallback: c.MODEL_FALLBACK,
  };
}
