/**
 * EventBridge schedule rules on the local cloud: a stack deployed through CloudFormation with rate(1 minute)
 * rules whose targets are a Lambda function and an SQS queue, run on the clock (scaled 60 times with
 * STREAMFEATURES_LOCAL_SCHEDULE_SCALE, so a minute is a second), seen and switched with the AWS CLI.
 */

import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEDULE_SCALE_VARIABLE } from '../../src/events/schedule-timer.js';
import type { LocalCloud } from '../../src/local-cloud.js';
import {
  awsCli,
  type LoggedLine,
  settled as settledStack,
  startLoggedCloud,
  until,
} from '../support/harness.js';

let cloud: LocalCloud;
let cfn: CloudFormationClient;
let sqs: SQSClient;
const lines: LoggedLine[] = [];
const previousScale = process.env[SCHEDULE_SCALE_VARIABLE];

const FUNCTION_CODE = `exports.handler = async (event) => {
  if (event && event.fail) throw new Error('planned failure');
  console.log('SCHEDULED ' + JSON.stringify(event));
  return 'ok';
};`;

const template = (schedule = 'rate(1 minute)') =>
  JSON.stringify({
    Resources: {
      Fn: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          Runtime: 'nodejs20.x',
          Handler: 'index.handler',
          Role: 'arn:aws:iam::000000000000:role/any',
          Code: { ZipFile: FUNCTION_CODE },
        },
      },
      Queue: { Type: 'AWS::SQS::Queue' },
      Rule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          Name: 'every-minute',
          Description: 'runs the function and feeds the queue',
          ScheduleExpression: schedule,
          Targets: [
            { Id: 'fn', Arn: { 'Fn::GetAtt': ['Fn', 'Arn'] } },
            { Id: 'queue', Arn: { 'Fn::GetAtt': ['Queue', 'Arn'] } },
          ],
        },
      },
      FailingRule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          Name: 'every-minute-failing',
          ScheduleExpression: 'rate(1 minute)',
          Targets: [{ Id: 'fn', Arn: { 'Fn::GetAtt': ['Fn', 'Arn'] }, Input: '{"fail":true}' }],
        },
      },
      DisabledRule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          Name: 'every-minute-disabled',
          State: 'DISABLED',
          ScheduleExpression: 'rate(1 minute)',
          Targets: [{ Id: 'queue', Arn: { 'Fn::GetAtt': ['Queue', 'Arn'] } }],
        },
      },
    },
    Outputs: {
      QueueUrl: { Value: { Ref: 'Queue' } },
      RuleArn: { Value: { 'Fn::GetAtt': ['Rule', 'Arn'] } },
      RuleName: { Value: { Ref: 'Rule' } },
    },
  });

async function outputs(stackName: string): Promise<Record<string, string>> {
  const stack = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
  return Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
}

/** The scheduled events waiting in the queue (deleted once read). */
async function receive(queueUrl: string): Promise<Array<Record<string, unknown>>> {
  const answer = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
  );
  const messages = answer.Messages ?? [];
  for (const message of messages)
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
  return messages.map((m) => JSON.parse(m.Body ?? '{}') as Record<string, unknown>);
}

const failures = () => lines.filter((l) => l.source === 'FailingRule' && /planned failure/.test(l.line));

const aws = (args: string[]) => awsCli(cloud.endpoint, args);
const settled = (stackName: string) => settledStack(cfn, stackName);

beforeAll(async () => {
  process.env[SCHEDULE_SCALE_VARIABLE] = '60';
  const started = await startLoggedCloud(lines);
  cloud = started.cloud;
  const config = started.clientConfig;
  cfn = new CloudFormationClient(config);
  sqs = new SQSClient(config);
}, 120_000);

afterAll(async () => {
  if (previousScale === undefined) delete process.env[SCHEDULE_SCALE_VARIABLE];
  else process.env[SCHEDULE_SCALE_VARIABLE] = previousScale;
  for (const client of [cfn, sqs]) client?.destroy();
  await cloud?.stop();
});

describe('scheduled EventBridge rules on the local cloud', () => {
  it('runs a rate(1 minute) rule: its function and its queue get the scheduled event AWS sends', async () => {
    await cfn.send(new CreateStackCommand({ StackName: 'schedules', TemplateBody: template() }));
    expect(await settled('schedules')).toBe('CREATE_COMPLETE');
    const out = await outputs('schedules');
    expect(out.RuleName).toBe('every-minute');
    expect(out.RuleArn).toBe('arn:aws:events:us-east-1:000000000000:rule/every-minute');

    const [event] = await until('a scheduled event in the queue', async () => {
      const events = await receive(out.QueueUrl as string);
      return events.length > 0 ? events : undefined;
    });
    expect(event).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      region: 'us-east-1',
      resources: [out.RuleArn],
      detail: {},
    });
    const invoked = await until('the function invoked by the rule', () =>
      lines.find((l) => l.source === 'Fn' && l.line.includes('SCHEDULED ')),
    );
    const received = JSON.parse(invoked.line.slice(invoked.line.indexOf('SCHEDULED ') + 10));
    expect(received['detail-type']).toBe('Scheduled Event');
    expect(received.resources).toEqual([out.RuleArn]);
  });

  it('logs a target that fails and keeps firing the rule', async () => {
    await until('two failed deliveries', () => (failures().length >= 2 ? true : undefined));
    expect(failures()[0]?.line).toMatch(
      /rule every-minute-failing: delivery to target fn .* failed: Error: planned failure/,
    );
  });

  it('never fires a rule deployed DISABLED', async () => {
    const disabledArn = 'arn:aws:events:us-east-1:000000000000:rule/every-minute-disabled';
    const { QueueUrl } = await outputs('schedules');
    // Three more fires of the enabled rule: the disabled one, on the same rate, sent nothing meanwhile.
    const seen: Array<Record<string, unknown>> = [];
    await until('three more scheduled events', async () => {
      seen.push(...(await receive(QueueUrl as string)));
      return seen.length >= 3 ? true : undefined;
    });
    expect(seen.map((e) => (e.resources as string[])[0])).not.toContain(disabledArn);
    expect(cloud.eventRules.firesOf(disabledArn)).toEqual([]);
  });

  it('lists, describes, disables and enables the rules with the AWS CLI', async () => {
    const { QueueUrl, RuleArn } = await outputs('schedules');
    const listed = JSON.parse((await aws(['events', 'list-rules', '--name-prefix', 'every-minute'])).stdout);
    expect(listed.Rules.map((r: { Name: string; State: string }) => `${r.Name} ${r.State}`)).toEqual([
      'every-minute ENABLED',
      'every-minute-disabled DISABLED',
      'every-minute-failing ENABLED',
    ]);
    const described = JSON.parse((await aws(['events', 'describe-rule', '--name', 'every-minute'])).stdout);
    expect(described).toMatchObject({
      Name: 'every-minute',
      Arn: RuleArn,
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Description: 'runs the function and feeds the queue',
      EventBusName: 'default',
    });
    const targets = JSON.parse(
      (await aws(['events', 'list-targets-by-rule', '--rule', 'every-minute'])).stdout,
    );
    expect(targets.Targets.map((t: { Id: string }) => t.Id)).toEqual(['fn', 'queue']);

    await aws(['events', 'disable-rule', '--name', 'every-minute']);
    const disabled = JSON.parse((await aws(['events', 'describe-rule', '--name', 'every-minute'])).stdout);
    expect(disabled.State).toBe('DISABLED');
    const firesWhenDisabled = cloud.eventRules.firesOf(RuleArn as string).length;
    // Two more fires of the failing rule (same rate) while the disabled one stays silent.
    const failed = failures().length;
    await until('two more fires of the other rule', () =>
      failures().length >= failed + 2 ? true : undefined,
    );
    expect(cloud.eventRules.firesOf(RuleArn as string).length).toBe(firesWhenDisabled);
    await receive(QueueUrl as string);

    await aws(['events', 'enable-rule', '--name', 'every-minute']);
    const [again] = await until('a scheduled event after enabling', async () => {
      const events = await receive(QueueUrl as string);
      return events.length > 0 ? events : undefined;
    });
    expect(again?.resources).toEqual([RuleArn]);

    const missing = await aws(['events', 'describe-rule', '--name', 'no-such-rule']).catch(
      (error: { stderr: string }) => error,
    );
    expect((missing as { stderr: string }).stderr).toMatch(
      /ResourceNotFoundException.*Rule no-such-rule does not exist on EventBus default/,
    );
  });

  it('stops the schedules when the stack is deleted', async () => {
    const { RuleArn } = await outputs('schedules');
    await cfn.send(new DeleteStackCommand({ StackName: 'schedules' }));
    expect(await settled('schedules')).toBe('GONE');
    expect(cloud.eventRules.find('every-minute')).toBeUndefined();
    expect(cloud.eventRules.nextFireOf(RuleArn as string)).toBeUndefined();
    const listed = JSON.parse((await aws(['events', 'list-rules', '--name-prefix', 'every-minute'])).stdout);
    expect(listed.Rules).toEqual([]);
  });

  it('fails a rule whose ScheduleExpression AWS refuses, naming it, and rolls the stack back', async () => {
    await cfn.send(
      new CreateStackCommand({ StackName: 'bad-schedule', TemplateBody: template('rate(1 minutes)') }),
    );
    expect(await settled('bad-schedule')).toBe('ROLLBACK_COMPLETE');
    const events =
      (await cfn.send(new DescribeStackEventsCommand({ StackName: 'bad-schedule' }))).StackEvents ?? [];
    const failed = events.find((e) => e.ResourceStatus === 'CREATE_FAILED');
    expect(failed?.LogicalResourceId).toBe('Rule');
    expect(failed?.ResourceStatusReason).toContain('ScheduleExpression "rate(1 minutes)"');
    expect(failed?.ResourceStatusReason).toContain('singular');
    expect(cloud.eventRules.find('every-minute-failing')).toBeUndefined();
  });
});
