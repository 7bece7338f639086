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

/**
 * Three fraud transactions a card (amounts 10, 250 and 40), stamped about two seconds ago, as Kinesis PutRecords
 * entries: what the deploy tests put to see each card's `card_txn_count_10m` reach 3.
 */
export function threeTransactionsEach(
  cards: readonly string[],
): { Data: Uint8Array; PartitionKey: string }[] {
  const now = Date.now();
  return cards.flatMap((card, i) =>
    [10, 250, 40].map((amount, j) => ({
      Data: Buffer.from(
        JSON.stringify({
          event_id: `${card}-${j}`,
          ts: now - 2_000 + i + j,
          card_id: card,
          merchant_id: `m${i % 3}`,
          amount,
          status: 'approved',
          geo: { country: 'NL' },
        }),
      ),
      PartitionKey: card,
    })),
  );
}
