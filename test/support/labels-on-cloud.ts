/**
 * What the label tests on the local cloud ask the user's tools, through a UserSession: the keys under a prefix
 * (AWS CLI), waited for until one appears, and `streamfeatures monitor` run until it joins as many labels as sent.
 */
import { until } from './until.js';
import type { UserSession } from './user-session.js';

const MINUTES = 60_000;

/** The keys under `prefix` in `bucket` (`aws s3api list-objects-v2`), none when there are none yet. */
export async function keysUnder(session: UserSession, bucket: string, prefix: string): Promise<string[]> {
  const { stdout } = await session.sh('list', 'aws', [
    's3api',
    'list-objects-v2',
    '--bucket',
    bucket,
    '--prefix',
    prefix,
    '--output',
    'json',
  ]);
  const answer = JSON.parse(stdout || '{}') as { Contents?: { Key: string }[] };
  return (answer.Contents ?? []).map((c) => c.Key);
}

/** The keys under `prefix` once there is one (Firehose delivers after its buffer); fails after five minutes. */
export function untilKeysUnder(session: UserSession, bucket: string, prefix: string): Promise<string[]> {
  return until(
    `an object under s3://${bucket}/${prefix}`,
    async () => {
      const listed = await keysUnder(session, bucket, prefix);
      return listed.length > 0 ? listed : undefined;
    },
    { timeoutMs: 5 * MINUTES },
  );
}

/**
 * `streamfeatures monitor --feature-log s3://<bucket>/features/ --labels s3://<bucket>/labels/ --json`, run until
 * it joins `joined` labels; its `labels` figures. Fails after five minutes with the last run's output.
 */
export async function untilMonitorJoins(
  session: UserSession,
  specFile: string,
  bucket: string,
  joined: number,
): Promise<Record<string, number>> {
  let last = '';
  const report = await until(
    `the monitor to join ${joined} labelled requests`,
    async () => {
      const result = await session.streamfeatures([
        'monitor',
        '--spec',
        specFile,
        '--feature-log',
        `s3://${bucket}/features/`,
        '--labels',
        `s3://${bucket}/labels/`,
        '--json',
      ]);
      last = `exit ${result.code}\n${result.stdout}\n${result.stderr}`;
      if (result.code !== 0) return undefined;
      const parsed = JSON.parse(result.stdout) as { labels: Record<string, number> };
      return parsed.labels.joined === joined ? parsed : undefined;
    },
    { timeoutMs: 5 * MINUTES, pollMs: 3_000 },
  ).catch((error: Error) => {
    throw new Error(`${error.message}; the last monitor run: ${last}`);
  });
  return report.labels;
}
