/**
 * The local cloud's CloudFormation and SSM Parameter Store through the SDK v3 clients and the AWS CLI (v1 on the
 * PATH, and Debian's v2 where installed), with nothing but the endpoint, dummy credentials and a region.
 */

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  GetTemplateCommand,
  ListStackResourcesCommand,
  UpdateStackCommand,
  ValidateTemplateCommand,
} from '@aws-sdk/client-cloudformation';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  DeleteParameterCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../src/local-cloud.js';
import { awsCli, localClientConfig, settled as settledStack } from '../support/harness.js';

let cloud: LocalCloud;
let cfn: CloudFormationClient;
let ssm: SSMClient;
let sqs: SQSClient;
let work: string;

const queueTemplate = (extra: Record<string, unknown> = {}, visibility = 30, prefix = 'api') =>
  JSON.stringify({
    Parameters: { Prefix: { Type: 'String', Default: prefix } },
    Resources: {
      Queue: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: visibility } },
      Name: {
        Type: 'AWS::SSM::Parameter',
        Properties: {
          Name: { 'Fn::Join': ['', ['/', { Ref: 'Prefix' }, '/queue']] },
          Type: 'String',
          Value: { 'Fn::GetAtt': ['Queue', 'QueueName'] },
        },
      },
      ...extra,
    },
    Outputs: { QueueUrl: { Value: { Ref: 'Queue' } } },
  });

const settled = (stackName: string) => settledStack(cfn, stackName);

/** Debian's AWS CLI 2.9 predates AWS_ENDPOINT_URL (2.13): it is given --endpoint-url. */
function cli(aws: string, args: string[]) {
  const endpoint = aws === '/usr/bin/aws' ? ['--endpoint-url', cloud.endpoint] : [];
  return awsCli(cloud.endpoint, [...endpoint, ...args], aws);
}

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  const config = localClientConfig(cloud.endpoint);
  cfn = new CloudFormationClient(config);
  ssm = new SSMClient(config);
  sqs = new SQSClient(config);
  work = mkdtempSync(resolve('.tmp/cfn-api-'));
}, 120_000);

afterAll(async () => {
  for (const client of [cfn, ssm, sqs]) client?.destroy();
  await cloud?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('CloudFormation through the SDK', () => {
  it('creates a stack in the background, with events per resource, outputs and the template back', async () => {
    const created = await cfn.send(
      new CreateStackCommand({ StackName: 'api-one', TemplateBody: queueTemplate() }),
    );
    expect(created.StackId).toMatch(/^arn:aws:cloudformation:us-east-1:000000000000:stack\/api-one\//);
    expect(await settled('api-one')).toBe('CREATE_COMPLETE');
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'api-one' }))).Stacks?.[0];
    const url = stack?.Outputs?.find((o) => o.OutputKey === 'QueueUrl')?.OutputValue as string;
    const queue = await sqs.send(new GetQueueUrlCommand({ QueueName: url.split('/').at(-1) as string }));
    expect(queue.QueueUrl).toBeDefined();
    const events =
      (await cfn.send(new DescribeStackEventsCommand({ StackName: 'api-one' }))).StackEvents ?? [];
    const steps = events.map((e) => `${e.LogicalResourceId} ${e.ResourceStatus}`).reverse();
    expect(steps).toEqual([
      'api-one CREATE_IN_PROGRESS',
      'Queue CREATE_IN_PROGRESS',
      'Queue CREATE_COMPLETE',
      'Name CREATE_IN_PROGRESS',
      'Name CREATE_COMPLETE',
      'api-one CREATE_COMPLETE',
    ]);
    const parameter = await ssm.send(new GetParameterCommand({ Name: '/api/queue' }));
    expect(url.endsWith(`/${parameter.Parameter?.Value}`)).toBe(true);
    const template = await cfn.send(new GetTemplateCommand({ StackName: 'api-one' }));
    expect(template.TemplateBody).toBe(queueTemplate());
    const resources = await cfn.send(new ListStackResourcesCommand({ StackName: 'api-one' }));
    expect(resources.StackResourceSummaries?.map((r) => r.LogicalResourceId).sort()).toEqual([
      'Name',
      'Queue',
    ]);
  });

  it('updates through a change set only what changed, and answers a change set without changes as AWS does', async () => {
    const changeSet = await cfn.send(
      new CreateChangeSetCommand({
        StackName: 'api-one',
        ChangeSetName: 'longer',
        TemplateBody: queueTemplate({}, 60),
      }),
    );
    const described = await cfn.send(new DescribeChangeSetCommand({ ChangeSetName: changeSet.Id }));
    expect(described.Status).toBe('CREATE_COMPLETE');
    expect(
      described.Changes?.map((c) => `${c.ResourceChange?.Action} ${c.ResourceChange?.LogicalResourceId}`),
    ).toEqual(['Modify Queue']);
    const eventsBefore =
      (await cfn.send(new DescribeStackEventsCommand({ StackName: 'api-one' }))).StackEvents?.length ?? 0;
    await cfn.send(new ExecuteChangeSetCommand({ ChangeSetName: changeSet.Id }));
    expect(await settled('api-one')).toBe('UPDATE_COMPLETE');
    const events =
      (await cfn.send(new DescribeStackEventsCommand({ StackName: 'api-one' }))).StackEvents ?? [];
    const touched = events.slice(0, events.length - eventsBefore).map((e) => e.LogicalResourceId);
    expect(new Set(touched)).toEqual(new Set(['api-one', 'Queue']));

    const same = await cfn.send(
      new CreateChangeSetCommand({
        StackName: 'api-one',
        ChangeSetName: 'same',
        TemplateBody: queueTemplate({}, 60),
      }),
    );
    const none = await cfn.send(new DescribeChangeSetCommand({ ChangeSetName: same.Id }));
    expect(none.Status).toBe('FAILED');
    expect(none.StatusReason).toMatch(/didn't contain changes/);
  });

  it('fails a resource of a type the local cloud cannot create, naming the type, and rolls the stack back', async () => {
    await cfn.send(
      new CreateStackCommand({
        StackName: 'api-vpc',
        TemplateBody: queueTemplate(
          {
            Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.0.0.0/16' }, DependsOn: 'Name' },
          },
          30,
          'vpc',
        ),
      }),
    );
    expect(await settled('api-vpc')).toBe('ROLLBACK_COMPLETE');
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'api-vpc' }))).Stacks?.[0];
    expect(stack?.StackStatusReason).toMatch(/AWS::EC2::VPC is not supported by the local cloud/);
    const events =
      (await cfn.send(new DescribeStackEventsCommand({ StackName: 'api-vpc' }))).StackEvents ?? [];
    const failed = events.find((e) => e.ResourceStatus === 'CREATE_FAILED');
    expect(failed?.LogicalResourceId).toBe('Vpc');
    expect(failed?.ResourceStatusReason).toMatch(/AWS::EC2::VPC/);
    // What the create made was deleted again: the parameter, and the queue.
    await expect(ssm.send(new GetParameterCommand({ Name: '/vpc/queue' }))).rejects.toThrow(/not found/);
    expect(
      events
        .filter((e) => e.ResourceStatus === 'DELETE_COMPLETE')
        .map((e) => e.LogicalResourceId)
        .sort(),
    ).toEqual(['Name', 'Queue']);
    // A rolled-back stack is deleted as on AWS.
    await cfn.send(new DeleteStackCommand({ StackName: 'api-vpc' }));
    expect(await settled('api-vpc')).toBe('GONE');
  });

  it('rolls a failed update back: what it added is deleted, what ran before still runs', async () => {
    const before = (await cfn.send(new DescribeStacksCommand({ StackName: 'api-one' }))).Stacks?.[0];
    await cfn.send(
      new UpdateStackCommand({
        StackName: 'api-one',
        TemplateBody: queueTemplate(
          {
            Extra: {
              Type: 'AWS::SSM::Parameter',
              Properties: { Name: '/api/extra', Type: 'String', Value: 'x' },
            },
            Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.0.0.0/16' }, DependsOn: 'Extra' },
          },
          60,
        ),
      }),
    );
    expect(await settled('api-one')).toBe('UPDATE_ROLLBACK_COMPLETE');
    await expect(ssm.send(new GetParameterCommand({ Name: '/api/extra' }))).rejects.toThrow(/not found/);
    const after = (await cfn.send(new DescribeStacksCommand({ StackName: 'api-one' }))).Stacks?.[0];
    expect(after?.Outputs).toEqual(before?.Outputs);
    const url = after?.Outputs?.[0]?.OutputValue as string;
    expect(
      (await sqs.send(new GetQueueUrlCommand({ QueueName: url.split('/').at(-1) as string }))).QueueUrl,
    ).toBe(url);
    const template = await cfn.send(new GetTemplateCommand({ StackName: 'api-one' }));
    expect(template.TemplateBody).toBe(queueTemplate({}, 60));
  });

  it('answers a missing stack and a bad template with the errors the CLI expects', async () => {
    await expect(cfn.send(new DescribeStacksCommand({ StackName: 'nope' }))).rejects.toThrow(
      'Stack with id nope does not exist',
    );
    await expect(cfn.send(new ValidateTemplateCommand({ TemplateBody: '{"Resources": ' }))).rejects.toThrow(
      /Template format error/,
    );
    const valid = await cfn.send(new ValidateTemplateCommand({ TemplateBody: queueTemplate() }));
    expect(valid.Parameters?.map((p) => p.ParameterKey)).toEqual(['Prefix']);
  });

  it('deletes a stack: its resources leave the cloud', async () => {
    await cfn.send(new DeleteStackCommand({ StackName: 'api-one' }));
    expect(await settled('api-one')).toBe('GONE');
    await expect(ssm.send(new GetParameterCommand({ Name: '/api/queue' }))).rejects.toThrow(/not found/);
  });
});

describe('a stack with a function and its Kinesis mapping', () => {
  const template = (batchSize: number, reply: string) =>
    JSON.stringify({
      Resources: {
        Stream: { Type: 'AWS::Kinesis::Stream', Properties: { ShardCount: 1 } },
        Fn: {
          Type: 'AWS::Lambda::Function',
          Properties: {
            Runtime: 'nodejs20.x',
            Handler: 'index.handler',
            Role: 'arn:aws:iam::000000000000:role/r',
            Code: {
              ZipFile: `exports.handler = async (event) => ({ reply: '${reply}', n: event.Records.length });`,
            },
          },
        },
        Mapping: {
          Type: 'AWS::Lambda::EventSourceMapping',
          Properties: {
            EventSourceArn: { 'Fn::GetAtt': ['Stream', 'Arn'] },
            FunctionName: { Ref: 'Fn' },
            StartingPosition: 'LATEST',
            BatchSize: batchSize,
          },
        },
      },
      Outputs: { StreamName: { Value: { Ref: 'Stream' } } },
    });

  async function putAndCount(stackName: string, records: number): Promise<void> {
    const deployment = [...cloud.cloudFormation.service.deployments()].find((d) => d.stackName === stackName);
    const fn = deployment?.functions.get('Fn');
    const before = fn?.stats().invocations ?? 0;
    const kinesis = new KinesisClient({
      endpoint: cloud.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      await kinesis.send(
        new PutRecordsCommand({
          StreamName: deployment?.outputs.StreamName,
          Records: Array.from({ length: records }, (_, i) => ({
            Data: Buffer.from(`r${i}`),
            PartitionKey: 'k',
          })),
        }),
      );
    } finally {
      kinesis.destroy();
    }
    const deadline = Date.now() + 60_000;
    while ((deployment?.functions.get('Fn')?.stats().invocations ?? 0) === before) {
      if (Date.now() > deadline) throw new Error('the mapping invoked nothing within 60 s');
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('applies a changed mapping setting and a changed function, keeping the stream and the mapping id', async () => {
    await cfn.send(new CreateStackCommand({ StackName: 'api-esm', TemplateBody: template(10, 'one') }));
    expect(await settled('api-esm')).toBe('CREATE_COMPLETE');
    await putAndCount('api-esm', 3);
    const record = cloud.cloudFormation.service.get('api-esm');
    const before = new Map([...record.live.resources].map(([id, r]) => [id, r.physicalId]));
    const oldMapping = record.live.mappings.get('Mapping');
    const oldFunction = record.live.functions.get('Fn');
    const eventsBefore = record.events.length;

    await cfn.send(new UpdateStackCommand({ StackName: 'api-esm', TemplateBody: template(20, 'two') }));
    expect(await settled('api-esm')).toBe('UPDATE_COMPLETE');
    const updated = record.events
      .slice(eventsBefore)
      .filter((e) => e.ResourceStatus === 'UPDATE_COMPLETE')
      .map((e) => e.LogicalResourceId)
      .sort();
    expect(updated).toEqual(['Fn', 'Mapping', 'api-esm']);
    for (const [id, physicalId] of before) expect(record.live.resources.get(id)?.physicalId).toBe(physicalId);
    expect(record.live.mappings.get('Mapping')).not.toBe(oldMapping);
    expect(record.live.functions.get('Fn')).not.toBe(oldFunction);
    await putAndCount('api-esm', 2);
    const newFunction = record.live.functions.get('Fn');
    expect(await newFunction?.invoke({ Records: [] })).toMatchObject({ ok: true, payload: { reply: 'two' } });

    await cfn.send(new DeleteStackCommand({ StackName: 'api-esm' }));
    expect(await settled('api-esm')).toBe('GONE');
    expect(record.live.mappings.size + record.live.functions.size).toBe(0);
  });
});

describe('SSM Parameter Store through the SDK', () => {
  it('puts, versions, reads by path and deletes parameters', async () => {
    const first = await ssm.send(new PutParameterCommand({ Name: '/app/a', Value: '1', Type: 'String' }));
    expect(first.Version).toBe(1);
    await expect(
      ssm.send(new PutParameterCommand({ Name: '/app/a', Value: '2', Type: 'String' })),
    ).rejects.toThrow(/already exists/);
    const second = await ssm.send(new PutParameterCommand({ Name: '/app/a', Value: '2', Overwrite: true }));
    expect(second.Version).toBe(2);
    await ssm.send(new PutParameterCommand({ Name: '/app/deep/b', Value: 'x,y', Type: 'StringList' }));
    const direct = await ssm.send(new GetParametersByPathCommand({ Path: '/app' }));
    expect(direct.Parameters?.map((p) => p.Name)).toEqual(['/app/a']);
    const all = await ssm.send(new GetParametersByPathCommand({ Path: '/app', Recursive: true }));
    expect(all.Parameters?.map((p) => `${p.Name}=${p.Value}`)).toEqual(['/app/a=2', '/app/deep/b=x,y']);
    await ssm.send(new DeleteParameterCommand({ Name: '/app/a' }));
    await expect(ssm.send(new GetParameterCommand({ Name: '/app/a' }))).rejects.toThrow(
      /ParameterNotFound|not found/,
    );
  });
});

describe('the AWS CLI', () => {
  const clis = ['aws', '/usr/bin/aws'].filter((path, i) => i === 0 || existsSync(path));
  for (const aws of clis) {
    it(`${aws} creates, describes and deletes a stack, and reads an SSM parameter`, async () => {
      const name = `cli-${clis.indexOf(aws)}`;
      const file = resolve(work, `${name}.json`);
      writeFileSync(file, queueTemplate({}, 30, name));
      await cli(aws, [
        'cloudformation',
        'create-stack',
        '--stack-name',
        name,
        '--template-body',
        `file://${file}`,
      ]);
      expect(await settled(name)).toBe('CREATE_COMPLETE');
      const described = JSON.parse(
        (await cli(aws, ['cloudformation', 'describe-stacks', '--stack-name', name, '--output', 'json']))
          .stdout,
      ) as { Stacks: Array<{ StackStatus: string; Outputs: Array<{ OutputKey: string }> }> };
      expect(described.Stacks[0]?.StackStatus).toBe('CREATE_COMPLETE');
      expect(described.Stacks[0]?.Outputs.map((o) => o.OutputKey)).toEqual(['QueueUrl']);
      const parameter = JSON.parse(
        (await cli(aws, ['ssm', 'get-parameter', '--name', `/${name}/queue`, '--output', 'json'])).stdout,
      ) as { Parameter: { Value: string } };
      expect(parameter.Parameter.Value).toMatch(new RegExp(`^${name}-Queue-`));
      await cli(aws, ['cloudformation', 'delete-stack', '--stack-name', name]);
      expect(await settled(name)).toBe('GONE');
    });
  }
});
