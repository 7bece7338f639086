import * as z from 'zod/mini';
import { ConfigError, type Env, millis, oneOf, optional, readEnv, required } from '../shared/config.js';

/** A share of requests: a number above 0 and below 1. */
const share = () =>
  z.optional(
    z.pipe(
      z
        .string()
        .check(
          z.refine(
            (v) => v.trim() !== '' && Number(v) > 0 && Number(v) < 1,
            'must be a number above 0 and below 1',
          ),
        ),
      z.transform(Number),
    ),
  );

const schema = z.object({
  TABLE_NAME: required('the online-store table name'),
  MODEL_BACKEND: oneOf(['embedded', 'sagemaker'], 'embedded'),
  MODEL_VERSION: optional(),
  SAGEMAKER_ENDPOINT_NAME: optional(),
  MODEL_TIMEOUT_MS: millis(300), // the same default as lib/config.ts scoring.model.timeoutMs
  MODEL_FALLBACK: oneOf(['embedded', 'error'], 'embedded'),
  CHALLENGER_MODE: oneOf(['off', 'shadow', 'split'], 'off'),
  CHALLENGER_VERSION: optional(),
  CHALLENGER_ENDPOINT_NAME: optional(),
  CHALLENGER_TIMEOUT_MS: millis(300), // as MODEL_TIMEOUT_MS
  CHALLENGER_WEIGHT: share(),
  FEATURE_LOG_STREAM: optional(),
  FEATURE_LOG_PARTITION_FIELDS: oneOf(['none', 'dt-hour'], 'none'),
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

/** The challenger's model: an embedded version, or a SageMaker endpoint. */
export type ChallengerModelConfig =
  | { readonly backend: 'embedded'; readonly version: string }
  | { readonly backend: 'sagemaker'; readonly endpointName: string; readonly timeoutMs: number };

export type ChallengerConfig =
  | { readonly mode: 'off' }
  | { readonly mode: 'shadow'; readonly model: ChallengerModelConfig }
  | {
      readonly mode: 'split';
      readonly model: ChallengerModelConfig;
      /** The share of entity keys the challenger answers. */
      readonly weight: number;
    };

interface Common {
  readonly tableName: string;
  /** The embedded model's version (MODEL_VERSION); none: the one built into the bundle. */
  readonly modelVersion: string | undefined;
  readonly challenger: ChallengerConfig;
  /** Firehose delivery stream for the feature + prediction log; none: no log. */
  readonly featureLogStream: string | undefined;
  /**
   * `dt-hour`: each feature-log record carries `dt` and `hour` of its request time (an Iceberg table partitions
   * on them); `none`: the S3 prefix Firehose writes carries them (Parquet).
   */
  readonly featureLogPartitionFields: 'none' | 'dt-hour';
}

export function readScoreConfig(env: Env): ScoreConfig {
  const c = readEnv(schema, env, 'score');
  const problems: string[] = [];
  const challenger = challengerOf(c, problems);
  if (c.MODEL_BACKEND === 'sagemaker' && !c.SAGEMAKER_ENDPOINT_NAME) {
    problems.push('SAGEMAKER_ENDPOINT_NAME: required when MODEL_BACKEND is "sagemaker"');
  }
  if (problems.length > 0 || !challenger) throw new ConfigError('score', problems);
  const common: Common = {
    tableName: c.TABLE_NAME,
    modelVersion: c.MODEL_VERSION,
    challenger,
    featureLogStream: c.FEATURE_LOG_STREAM,
    featureLogPartitionFields: c.FEATURE_LOG_PARTITION_FIELDS,
  };
  if (c.MODEL_BACKEND === 'embedded') return { ...common, backend: 'embedded' };
  return {
    ...common,
    backend: 'sagemaker',
    endpointName: c.SAGEMAKER_ENDPOINT_NAME as string,
    timeoutMs: c.MODEL_TIMEOUT_MS,
    fallback: c.MODEL_FALLBACK,
  };
}

/** The challenger; with CHALLENGER_MODE off its other variables are ignored (rollback touches one variable). */
function challengerOf(c: z.output<typeof schema>, problems: string[]): ChallengerConfig | undefined {
  const mode = c.CHALLENGER_MODE;
  if (mode === 'off') return { mode };
  const { CHALLENGER_VERSION: version, CHALLENGER_ENDPOINT_NAME: endpointName } = c;
  let model: ChallengerModelConfig | undefined;
  if (version && endpointName) {
    problems.push(
      `CHALLENGER_VERSION, CHALLENGER_ENDPOINT_NAME: set only one with CHALLENGER_MODE "${mode}" ` +
        `(got ${JSON.stringify(version)} and ${JSON.stringify(endpointName)})`,
    );
  } else if (version) model = { backend: 'embedded', version };
  else if (endpointName) model = { backend: 'sagemaker', endpointName, timeoutMs: c.CHALLENGER_TIMEOUT_MS };
  else {
    problems.push(
      `CHALLENGER_VERSION or CHALLENGER_ENDPOINT_NAME: required when CHALLENGER_MODE is "${mode}"`,
    );
  }
  if (mode === 'split' && c.CHALLENGER_WEIGHT === undefined) {
    problems.push('CHALLENGER_WEIGHT: required when CHALLENGER_MODE is "split"');
  }
  if (!model) return undefined;
  if (mode === 'shadow') return { mode, model };
  return c.CHALLENGER_WEIGHT === undefined ? undefined : { mode, model, weight: c.CHALLENGER_WEIGHT };
}
