/**
 * What the local cloud's integration tests share: the user's AWS CLI pointed at a running cloud, polling with a
 * deadline instead of a fixed sleep, a stack's status as CloudFormation reports it, and a cloud whose deploy logs a
 * test reads.
 */

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type LocalCloud, localCloudClientEnv, startLocalCloud } from '../../src/local-cloud.js';

const run = promisify(execFile);

/**
 * Runs `aws` (the one on PATH, or `bin`) against the cloud at `endpoint`, with none of the caller's AWS_
 * settings, so a developer's profile or region never leaks into a test.
 */
export function awsCli(endpoint: string, args: readonly string[], bin = 'aws') {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  return run(bin, [...args], {
    env: { ...env, ...localCloudClientEnv(endpoint), AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '' },
    timeout: 60_000,
  });
}

export interface UntilOptions {
  /** How long to keep trying, ms; default a minute. */
  readonly timeoutMs?: number;
  /** The pause between tries, ms; default 100 ms. */
  readonly pollMs?: number;
}

/** Polls `probe` until it answers (anything but undefined), failing with `what` past the deadline. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  { timeoutMs = 60_000, pollMs = 100 }: UntilOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** The stack's status, or `GONE` once CloudFormation no longer knows it. */
export async function stackStatus(cfn: CloudFormationClient, stackName: string): Promise<string> {
  try {
    const answer = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    return answer.Stacks?.[0]?.StackStatus ?? '?';
  } catch (error) {
    if (/does not exist/.test((error as Error).message)) return 'GONE';
    throw error;
  }
}

/** The stack's status once no operation is in progress on it (`GONE` once deleted). */
export function settled(cfn: CloudFormationClient, stackName: string): Promise<string> {
  return until(
    `${stackName} to settle`,
    async () => {
      const status = await stackStatus(cfn, stackName);
      return status.endsWith('_IN_PROGRESS') ? undefined : status;
    },
    { pollMs: 200 },
  );
}

/** The SDK client settings that reach the cloud at `endpoint` (its static credentials). */
export function localClientConfig(endpoint: string) {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
}

/** A line a deployed resource (a function, a rule's delivery) logged, by its logical id. */
export interface LoggedLine {
  readonly source: string;
  readonly line: string;
}

/**
 * A cloud on a free port whose deployed resources' log lines are appended to `lines`, and the SDK client
 * settings that reach it.
 */
export async function startLoggedCloud(lines: LoggedLine[]) {
  const cloud: LocalCloud = await startLocalCloud({
    port: 0,
    cloudFormation: { onLog: (source, line) => lines.push({ source, line }) },
  });
  return { cloud, clientConfig: localClientConfig(cloud.endpoint) };
}

/** Reads and deletes a queue's messages until `count` have come (within until's deadline); their bodies, parsed. */
export async function receiveBodies(
  sqs: SQSClient,
  queueUrl: string,
  count: number,
): Promise<Array<Record<string, unknown>>> {
  const bodies: Array<Record<string, unknown>> = [];
  await until(`${count} messages in ${queueUrl}`, async () => {
    const answer = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    for (const message of answer.Messages ?? []) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
      bodies.push(JSON.parse(message.Body ?? '{}') as Record<string, unknown>);
    }
    return bodies.length >= count ? true : undefined;
  });
  return bodies;
}
