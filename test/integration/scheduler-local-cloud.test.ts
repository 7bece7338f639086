/**
 * EventBridge Scheduler on the local cloud, deployed with the CDK CLI: a small CDK app (written to a temporary
 * folder) with two `AWS::Scheduler::Schedule`s, rate(1 minute) to a Lambda function and rate(1 minute) to an
 * SQS queue with the scheduler's context attributes in its Input; `cdk bootstrap`, `cdk deploy`, both targets get
 * their invocations, `cdk destroy` stops them. Rates run 60 times faster (STREAMFEATURES_LOCAL_SCHEDULE_SCALE=60).
 * The one-time at() expression is tested in packages/local-cloud/test/unit/scheduler-schedule.test.ts.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEDULE_SCALE_VARIABLE } from '../../packages/local-cloud/src/events/schedule-timer.js';
import { type LocalCloud, startLocalCloud } from '../../packages/local-cloud/src/local-cloud.js';
import { localClientConfig, runCdk, userEnv } from '../support/cdk-cli.js';

const STACK = 'scheduler-demo';
const APP = `
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';

const app = new App();
const stack = new Stack(app, '${STACK}', { env: { account: '000000000000', region: 'us-east-1' } });
const fn = new lambda.Function(stack, 'Job', {
  runtime: lambda.Runtime.NODEJS_20_X,
  handler: 'index.handler',
  code: lambda.Code.fromInline("exports.handler = async (event) => { console.log('JOB ' + JSON.stringify(event)); };"),
});
const queue = new sqs.Queue(stack, 'Queue');
const role = new iam.Role(stack, 'SchedulerRole', { assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com') });
new CfnSchedule(stack, 'EveryMinuteJob', {
  scheduleExpression: 'rate(1 minute)',
  flexibleTimeWindow: { mode: 'OFF' },
  target: { arn: fn.functionArn, roleArn: role.roleArn, input: JSON.stringify({ job: 'compact' }) },
});
const toQueue = new CfnSchedule(stack, 'EveryMinuteMessage', {
  scheduleExpression: 'rate(1 minute)',
  flexibleTimeWindow: { mode: 'OFF' },
  target: {
    arn: queue.queueArn,
    roleArn: role.roleArn,
    input: JSON.stringify({ due: '<aws.scheduler.scheduled-time>', by: '<aws.scheduler.schedule-arn>' }),
  },
});
new CfnOutput(stack, 'QueueUrl', { value: queue.queueUrl });
new CfnOutput(stack, 'ScheduleArn', { value: toQueue.attrArn });
`;

let cloud: LocalCloud;
let work: string;
let env: NodeJS.ProcessEnv;
const lines: Array<{ source: string; line: string }> = [];
const scaleBefore = process.env[SCHEDULE_SCALE_VARIABLE];

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within 90 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function cdk(args: string[]): Promise<string> {
  const result = await runCdk([...args, '--app', `node ${resolve(work, 'app.mjs')}`], env);
  if (result.code !== 0) throw new Error(`cdk ${args.join(' ')} failed: ${result.output}`);
  return result.output;
}

beforeAll(async () => {
  process.env[SCHEDULE_SCALE_VARIABLE] = '60';
  cloud = await startLocalCloud({
    port: 0,
    cloudFormation: { onLog: (source, line) => lines.push({ source, line }) },
  });
  env = userEnv(cloud.endpoint);
  work = mkdtempSync(resolve('.tmp/scheduler-'));
  writeFileSync(resolve(work, 'app.mjs'), APP);
}, 120_000);

afterAll(async () => {
  await cloud?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
  if (scaleBefore === undefined) delete process.env[SCHEDULE_SCALE_VARIABLE];
  else process.env[SCHEDULE_SCALE_VARIABLE] = scaleBefore;
});

describe('EventBridge Scheduler schedules deployed with the CDK CLI', () => {
  it('invokes the function with its Input and sends the queue its Input with the context attributes filled in', async () => {
    await cdk(['bootstrap', 'aws://000000000000/us-east-1', '--output', resolve(work, 'out0')]);
    const out = await cdk([
      'deploy',
      STACK,
      '--require-approval',
      'never',
      '--output',
      resolve(work, 'out1'),
    ]);
    expect(out).toMatch(/scheduler-demo\.QueueUrl = /);
    const stack = cloud.cloudFormation.service.get(STACK);
    expect(stack.status).toBe('CREATE_COMPLETE');
    const queueUrl = stack.live.outputs.QueueUrl as string;
    const scheduleArn = stack.live.outputs.ScheduleArn as string;
    expect(scheduleArn).toMatch(
      /^arn:aws:scheduler:us-east-1:000000000000:schedule\/default\/scheduler-demo-EveryMinuteMessage-/,
    );

    const logged = await until('the function to run', () => lines.find((l) => l.line.includes('JOB ')));
    expect(JSON.parse(logged.line.slice(logged.line.indexOf('JOB ') + 4))).toEqual({ job: 'compact' });

    const sqs = new SQSClient(localClientConfig(cloud.endpoint));
    try {
      const body = await until('a scheduled message', async () => {
        const answer = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }),
        );
        const message = answer.Messages?.[0];
        if (message === undefined) return undefined;
        await sqs.send(
          new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
        );
        return JSON.parse(message.Body ?? '{}') as { due: string; by: string };
      });
      expect(body.by).toBe(scheduleArn);
      expect(body.due).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    } finally {
      sqs.destroy();
    }
  }, 600_000);

  it('stops the schedules when the stack is destroyed', async () => {
    await cdk(['destroy', STACK, '--force', '--output', resolve(work, 'out2')]);
    const before = lines.filter((l) => l.line.includes('JOB ')).length;
    // Three scaled periods (3 s) after the destroy, no new run: the count is the same as right after it.
    const settled = Date.now() + 3_000;
    await until('three periods to pass', () => (Date.now() >= settled ? true : undefined));
    expect(lines.filter((l) => l.line.includes('JOB ')).length).toBe(before);
  }, 300_000);
});
