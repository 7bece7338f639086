/**
 * The CDK CLI as a user runs it against the local cloud: their environment with only the cloud's variables set, the
 * `npx cdk` they would type, and SDK clients pointed at the same endpoint.
 */

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { localCloudClientEnv } from '../../packages/local-cloud/src/local-cloud.js';

const run = promisify(execFile);

/** The user's environment before any cloud: theirs, minus any AWS or CDK setting. */
export function withoutAwsSettings(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_') && !key.startsWith('CDK_')),
  );
}

/** The user's environment: theirs, minus any AWS or CDK setting, plus the cloud's four variables. */
export function userEnv(endpoint: string): NodeJS.ProcessEnv {
  return { ...withoutAwsSettings(), ...localCloudClientEnv(endpoint) };
}

/** What an SDK client needs to reach the local cloud at `endpoint`. */
export function localClientConfig(endpoint: string) {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
}

export interface CdkResult {
  code: number;
  /** stdout, then stderr (and the error message on a failure). */
  output: string;
  ms: number;
}

/** Runs `npx cdk ...args` in `env`; resolves with its exit code, output and duration, never rejects. */
export async function runCdk(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CdkResult> {
  const started = performance.now();
  try {
    const { stdout, stderr } = await run('npx', ['cdk', ...args], {
      env,
      timeout: 300_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, output: `${stdout}\n${stderr}`, ms: performance.now() - started };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string; message: string };
    return {
      code: typeof e.code === 'number' ? e.code : 1,
      output: `${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`,
      ms: performance.now() - started,
    };
  }
}
