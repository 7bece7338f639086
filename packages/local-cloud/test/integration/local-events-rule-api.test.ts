/**
 * EventBridge rules made through the API, as engineers make them with their own tools: `aws events put-rule`,
 * `put-targets`, `list-targets-by-rule`, `remove-targets`, `delete-rule` (options the AWS CLI v1 and Debian's v2.9
 * both accept) and the SDK for JavaScript v3. A schedule rule sends the scheduled event to its queue, a pattern
 * rule on a custom bus sends matching events to a function a stack deployed and to a queue, as deployed rules do;
 * errors carry EventBridge's codes; and each local cloud of the process keeps its own rules, buses and alarms.
 */

import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import {
  CreateEventBusCommand,
  DeleteRuleCommand,
  DescribeRuleCommand,
  EventBridgeClient,
  ListRulesCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEDULE_SCALE_VARIABLE } from '../../src/events/schedule-timer.js';
import { type LocalCloud, startLocalCloud } from '../../src/local-cloud.js';
import {
  awsCli,
  type LoggedLine,
  receiveBodies,
  settled,
  startLoggedCloud,
  until,
} from '../support/harness.js';

let cloud: LocalCloud;
let events: EventBridgeClient;
let sqs: SQSClient;
let cfn: CloudFormationClient;
const lines: LoggedLine[] = [];
const scaleBefore = process.env[SCHEDULE_SCALE_VARIABLE];

const aws = async (args: string[], endpoint = cloud.endpoint) => {
  const { stdout } = await awsCli(endpoint, args);
  return stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>);
};

/** The AWS error code `aws` reports for a refused call (it exits non-zero). */
async function cliError(args: string[]): Promise<string> {
  try {
    await awsCli(cloud.endpoint, args);
  } catch (error) {
    return (error as { stderr: string }).stderr;
  }
  throw new Error(`aws ${args.join(' ')} succeeded`);
}

async function makeQueue(name: string): Promise<{ url: string; arn: string }> {
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl as string;
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  return { url, arn: attributes.Attributes?.QueueArn as string };
}

const receive = (queueUrl: string, count: number) => receiveBodies(sqs, queueUrl, count);

beforeAll(async () => {
  // rate(1 minute) fires every second (read by this process's cloud when the rule is put).
  process.env[SCHEDULE_SCALE_VARIABLE] = '60';
  const started = await startLoggedCloud(lines);
  cloud = started.cloud;
  events = new EventBridgeClient(started.clientConfig);
  sqs = new SQSClient(started.clientConfig);
  cfn = new CloudFormationClient(started.clientConfig);
}, 120_000);

afterAll(async () => {
  for (const client of [events, sqs, cfn]) client?.destroy();
  await cloud?.stop();
  if (scaleBefore === undefined) delete process.env[SCHEDULE_SCALE_VARIABLE];
  else process.env[SCHEDULE_SCALE_VARIABLE] = scaleBefore;
});

describe('EventBridge rules made through the API on the local cloud', () => {
  it('runs a schedule rule put with the AWS CLI: its queue target gets the scheduled event, until it is removed', async () => {
    const queue = await makeQueue('api-schedule');
    const put = await aws([
      'events',
      'put-rule',
      '--name',
      'api-every-minute',
      '--schedule-expression',
      'rate(1 minute)',
    ]);
    expect(put.RuleArn).toBe('arn:aws:events:us-east-1:000000000000:rule/api-every-minute');
    const targets = JSON.stringify([{ Id: 'queue', Arn: queue.arn }]);
    expect(await aws(['events', 'put-targets', '--rule', 'api-every-minute', '--targets', targets])).toEqual({
      FailedEntryCount: 0,
      FailedEntries: [],
    });
    const [event] = await receive(queue.url, 1);
    expect(event).toMatchObject({
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      resources: [put.RuleArn],
      detail: {},
    });

    const described = await aws(['events', 'describe-rule', '--name', 'api-every-minute']);
    expect(described).toMatchObject({
      Name: 'api-every-minute',
      State: 'ENABLED',
      ScheduleExpression: 'rate(1 minute)',
    });
    const listed = await aws(['events', 'list-targets-by-rule', '--rule', 'api-every-minute']);
    expect(listed.Targets).toEqual([{ Id: 'queue', Arn: queue.arn }]);
    // Put again: changed, targets kept.
    await aws([
      'events',
      'put-rule',
      '--name',
      'api-every-minute',
      '--schedule-expression',
      'rate(1 minute)',
      '--state',
      'DISABLED',
    ]);
    expect((await aws(['events', 'describe-rule', '--name', 'api-every-minute'])).State).toBe('DISABLED');
    expect(
      (await aws(['events', 'list-targets-by-rule', '--rule', 'api-every-minute'])).Targets,
    ).toHaveLength(1);

    expect(await cliError(['events', 'delete-rule', '--name', 'api-every-minute'])).toMatch(
      /ValidationException.*has targets/,
    );
    await aws(['events', 'remove-targets', '--rule', 'api-every-minute', '--ids', 'queue']);
    expect((await aws(['events', 'list-targets-by-rule', '--rule', 'api-every-minute'])).Targets).toEqual([]);
    await aws(['events', 'delete-rule', '--name', 'api-every-minute']);
    expect(await cliError(['events', 'describe-rule', '--name', 'api-every-minute'])).toMatch(
      /ResourceNotFoundException.*Rule api-every-minute does not exist on EventBus default/,
    );
  });

  it('sends events matching a pattern rule put with the SDK on a custom bus to a deployed function and a queue', async () => {
    const template = {
      Resources: {
        Fn: {
          Type: 'AWS::Lambda::Function',
          Properties: {
            Runtime: 'nodejs20.x',
            Handler: 'index.handler',
            Role: 'arn:aws:iam::000000000000:role/any',
            Code: { ZipFile: "exports.handler = async (e) => { console.log('GOT ' + JSON.stringify(e)); };" },
          },
        },
      },
      Outputs: { FnArn: { Value: { 'Fn::GetAtt': ['Fn', 'Arn'] } } },
    };
    await cfn.send(
      new CreateStackCommand({ StackName: 'api-rule-fn', TemplateBody: JSON.stringify(template) }),
    );
    expect(await settled(cfn, 'api-rule-fn')).toBe('CREATE_COMPLETE');
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'api-rule-fn' }))).Stacks?.[0];
    const fnArn = stack?.Outputs?.find((o) => o.OutputKey === 'FnArn')?.OutputValue as string;
    const queue = await makeQueue('api-pattern');

    await events.send(new CreateEventBusCommand({ Name: 'orders' }));
    const { RuleArn } = await events.send(
      new PutRuleCommand({
        Name: 'large-orders',
        EventBusName: 'orders',
        EventPattern: JSON.stringify({ source: ['shop'], detail: { amount: [{ numeric: ['>', 100] }] } }),
      }),
    );
    expect(RuleArn).toBe('arn:aws:events:us-east-1:000000000000:rule/orders/large-orders');
    await events.send(
      new PutTargetsCommand({
        Rule: 'large-orders',
        EventBusName: 'orders',
        Targets: [
          { Id: 'fn', Arn: fnArn },
          { Id: 'queue', Arn: queue.arn, InputPath: '$.detail' },
        ],
      }),
    );
    const entry = (id: string, amount: number) => ({
      EventBusName: 'orders',
      Source: 'shop',
      DetailType: 'Order',
      Detail: JSON.stringify({ id, amount }),
    });
    const put = await events.send(
      new PutEventsCommand({ Entries: [entry('small', 5), entry('large', 500)] }),
    );
    expect(put.FailedEntryCount).toBe(0);
    expect(await receive(queue.url, 1)).toEqual([{ id: 'large', amount: 500 }]);
    const got = await until('the function to get the large order', () =>
      lines.find((l) => l.source === 'Fn' && l.line.includes('GOT ')),
    );
    expect(JSON.parse(got.line.slice(got.line.indexOf('GOT ') + 4)).detail).toEqual({
      id: 'large',
      amount: 500,
    });
    expect(lines.some((l) => l.line.includes('"small"'))).toBe(false);

    const rules = await events.send(new ListRulesCommand({ EventBusName: 'orders' }));
    expect(rules.Rules?.map((r) => r.Name)).toEqual(['large-orders']);
    const described = await events.send(
      new DescribeRuleCommand({ Name: 'large-orders', EventBusName: 'orders' }),
    );
    expect(described.Arn).toBe(RuleArn);
  });

  it('refuses bad rules and targets with EventBridge’s codes, naming the value', async () => {
    await expect(events.send(new PutRuleCommand({ Name: 'no-trigger' }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/ScheduleExpression or EventPattern/),
    });
    await expect(
      events.send(new PutRuleCommand({ Name: 'bad-rate', ScheduleExpression: 'rate(1 minutes)' })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/rate\(1 minutes\)/),
    });
    await expect(
      events.send(new PutRuleCommand({ Name: 'bad-pattern', EventPattern: '{"source": "not-a-list"}' })),
    ).rejects.toMatchObject({ name: 'InvalidEventPatternException' });
    await expect(
      events.send(new PutRuleCommand({ Name: 'bad name!', EventPattern: '{"source":["a"]}' })),
    ).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/bad name!/) });
    await expect(
      events.send(
        new PutRuleCommand({
          Name: 'on-missing-bus',
          EventBusName: 'nope',
          EventPattern: '{"source":["a"]}',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException', message: 'Event bus nope does not exist.' });
    await expect(
      events.send(
        new PutTargetsCommand({
          Rule: 'no-such-rule',
          Targets: [{ Id: 'a', Arn: 'arn:aws:sqs:us-east-1:000000000000:q' }],
        }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await events.send(new PutRuleCommand({ Name: 'retries', EventPattern: '{"source":["a"]}' }));
    await expect(
      events.send(
        new PutTargetsCommand({
          Rule: 'retries',
          Targets: [
            {
              Id: 'q',
              Arn: 'arn:aws:sqs:us-east-1:000000000000:q',
              RetryPolicy: { MaximumRetryAttempts: 999 },
            },
          ],
        }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/MaximumRetryAttempts.*999/),
    });
    // As EventBridge: deleting a rule that is not there succeeds.
    await events.send(new DeleteRuleCommand({ Name: 'never-made' }));
  });

  it('keeps each cloud’s rules, buses and alarms to itself', async () => {
    const other = await startLocalCloud({ port: 0 });
    try {
      await aws(['events', 'create-event-bus', '--name', 'only-in-other'], other.endpoint);
      await aws(
        ['events', 'put-rule', '--name', 'only-in-other', '--event-pattern', '{"source":["x"]}'],
        other.endpoint,
      );
      const here = await aws(['events', 'list-event-buses']);
      expect((here.EventBuses as Array<{ Name: string }>).map((b) => b.Name)).not.toContain('only-in-other');
      expect(await cliError(['events', 'describe-rule', '--name', 'only-in-other'])).toMatch(
        /ResourceNotFoundException/,
      );
      const alarm = ['--alarm-name', 'only-in-other', '--namespace', 'App', '--metric-name', 'M'];
      const rule = ['--statistic', 'Sum', '--period', '60', '--evaluation-periods', '1', '--threshold', '1'];
      await aws(
        [
          'cloudwatch',
          'put-metric-alarm',
          ...alarm,
          ...rule,
          '--comparison-operator',
          'GreaterThanThreshold',
        ],
        other.endpoint,
      );
      const alarmsHere = await aws(['cloudwatch', 'describe-alarms', '--alarm-names', 'only-in-other']);
      expect(alarmsHere.MetricAlarms).toEqual([]);
      const alarmsThere = await aws(
        ['cloudwatch', 'describe-alarms', '--alarm-names', 'only-in-other'],
        other.endpoint,
      );
      expect(alarmsThere.MetricAlarms).toHaveLength(1);
      const there = await aws(['events', 'list-rules'], other.endpoint);
      expect((there.Rules as Array<{ Name: string }>).map((r) => r.Name)).toEqual(['only-in-other']);
    } finally {
      await other.stop();
    }
  }, 120_000);
});
