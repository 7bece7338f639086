/** A function's `process.env`, built as Lambda builds it (see ../lambda-runtime.ts for the order). */

import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { LambdaFunctionConfig } from './types.js';

/** Variables Lambda sets itself and refuses in a function's configuration. */
export const RESERVED_ENVIRONMENT_VARIABLES: readonly string[] = [
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
];

/**
 * The environment variables an execution environment starts with. `logStreamName` is the environment's own
 * (a new one for each environment): @default a new stream name.
 */
export function functionEnvironment(
  config: LambdaFunctionConfig,
  logStreamName: string = newLogStreamName(),
): Record<string, string> {
  const own = config.environment ?? {};
  const reserved = Object.keys(own).filter((key) => RESERVED_ENVIRONMENT_VARIABLES.includes(key));
  if (reserved.length > 0) {
    throw new Error(
      `Function ${config.functionName}: Lambda reserves the environment variable(s) ${reserved.join(', ')}; ` +
        'remove them from its configuration.',
    );
  }
  const region = config.region ?? 'us-east-1';
  const credentials = config.credentials ?? { accessKeyId: 'test', secretAccessKey: 'test' };
  const runtime = config.runtime ?? 'nodejs22.x';
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    // Defaults a function's configuration may override.
    AWS_NODEJS_CONNECTION_REUSE_ENABLED: '1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // No X-Ray daemon and no trace header here: the X-Ray SDK would log an error per traced call.
    POWERTOOLS_TRACE_ENABLED: 'false',
    AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
    ...own,
    // What Lambda sets.
    _HANDLER: config.handler,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: config.functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(config.memorySize ?? 128),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: logGroupOf(config),
    AWS_LAMBDA_LOG_STREAM_NAME: logStreamName,
    LAMBDA_TASK_ROOT: resolve(config.codeDir),
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    ...(credentials.sessionToken ? { AWS_SESSION_TOKEN: credentials.sessionToken } : {}),
    // The local cloud, last: a function's own configuration cannot point it elsewhere.
    ...(config.cloudEndpoint ? { AWS_ENDPOINT_URL: config.cloudEndpoint } : {}),
  };
}

export function logGroupOf(config: LambdaFunctionConfig): string {
  return config.logGroupName ?? `/aws/lambda/${config.functionName}`;
}

/** A log stream name as Lambda gives each execution environment: `YYYY/MM/DD/[$LATEST]<32 hex>` (UTC). */
export function newLogStreamName(now: Date = new Date()): string {
  const day = `${now.getUTCFullYear()}/${String(now.getUTCMonth() + 1).padStart(2, '0')}/${String(now.getUTCDate()).padStart(2, '0')}`;
  return `${day}/[$LATEST]${randomUUID().replaceAll('-', '')}`;
}
