import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CloudFormationServer, startCloudFormationServer } from '../../src/cloudformation/server.js';
import { CloudFormationService } from '../../src/cloudformation/service.js';
import type { Template } from '../../src/deploy/types.js';

/**
 * Custom resources on the local CloudFormation, end to end in this process: a real function (inline code, run by
 * the local Lambda runtime) gets CloudFormation's request objects and PUTs its response to the ResponseURL, which
 * the CloudFormation server receives. The provider logs every request it gets to a file, which the tests read.
 */

const PROVIDER = `
const fs = require('node:fs');
exports.handler = async (event) => {
  const p = event.ResourceProperties;
  fs.appendFileSync(p.LogFile, JSON.stringify(event) + '\\n');
  const fail = p.FailOn === event.RequestType;
  const body = JSON.stringify({
    Status: fail ? 'FAILED' : 'SUCCESS',
    Reason: fail ? 'refused: ' + p.Message : undefined,
    PhysicalResourceId:
      event.RequestType === 'Create' ? 'thing-' + p.Name : event.RequestType === 'Update' && p.NewId ? p.NewId : event.PhysicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    Data: { Greeting: 'hello ' + p.Name, Count: Number(p.Count) + 1 },
  });
  const res = await fetch(event.ResponseURL, { method: 'PUT', body });
  if (!res.ok) throw new Error('PUT answered ' + res.status);
};
`;

function template(logFile: string, thing: Record<string, unknown>): Template {
  return {
    Resources: {
      Provider: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          Runtime: 'nodejs20.x',
          Handler: 'index.handler',
          Role: 'arn:aws:iam::000000000000:role/provider',
          Timeout: 30,
          Code: { ZipFile: PROVIDER },
        },
      },
      Thing: {
        Type: 'Custom::Thing',
        Properties: {
          ServiceToken: { 'Fn::GetAtt': ['Provider', 'Arn'] },
          LogFile: logFile,
          Count: 41,
          FailOn: 'nothing',
          ...thing,
        },
      },
    },
    Outputs: {
      Greeting: { Value: { 'Fn::GetAtt': ['Thing', 'Greeting'] } },
      Count: { Value: { 'Fn::GetAtt': ['Thing', 'Count'] } },
      Id: { Value: { Ref: 'Thing' } },
    },
  };
}

type Request = Record<string, unknown> & {
  RequestType: string;
  ResourceProperties: Record<string, unknown>;
  OldResourceProperties?: Record<string, unknown>;
};

describe('custom resources on the local CloudFormation', () => {
  let dir: string;
  let server: CloudFormationServer;
  let receiver: CloudFormationService;
  let service: CloudFormationService;
  let s3: S3Client;
  const requests = (logFile: string): Request[] =>
    existsSync(logFile)
      ? readFileSync(logFile, 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as Request)
      : [];
  const deploy = (stackName: string, t: Template) =>
    service.deploy({ stackName, template: t, body: JSON.stringify(t) });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sf-custom-resources-'));
    s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } });
    // The server that receives the responses; the stacks run in another service of this process, pointed at it.
    receiver = new CloudFormationService({ cloudEndpoint: 'http://127.0.0.1:9' });
    server = await startCloudFormationServer(receiver, s3);
    service = new CloudFormationService({ cloudEndpoint: server.origin });
  });

  afterAll(async () => {
    await service?.stop();
    await receiver?.stop();
    await server?.stop();
    s3?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates, updates and deletes through the function, Data answering Fn::GetAtt and properties sent as strings', async () => {
    const log = join(dir, 'lifecycle.jsonl');
    const created = await deploy('lifecycle', template(log, { Name: 'a' }));
    expect(created.outputs).toEqual({ Greeting: 'hello a', Count: '42', Id: 'thing-a' });
    const [create] = requests(log);
    expect(create).toMatchObject({
      RequestType: 'Create',
      ResourceType: 'Custom::Thing',
      LogicalResourceId: 'Thing',
      StackId: service.get('lifecycle').stackId,
      ResourceProperties: { Name: 'a', Count: '41' },
    });
    expect(create).not.toHaveProperty('PhysicalResourceId');
    expect(create).not.toHaveProperty('OldResourceProperties');
    expect(String(create?.ResponseURL)).toMatch(
      new RegExp(`^${server.origin}/cloudformation-custom-resource-response-useast1/.+X-Amz-Signature=`),
    );

    const updated = await deploy('lifecycle', template(log, { Name: 'b' }));
    expect(updated.outputs).toEqual({ Greeting: 'hello b', Count: '42', Id: 'thing-a' });
    expect(requests(log)[1]).toMatchObject({
      RequestType: 'Update',
      PhysicalResourceId: 'thing-a',
      ResourceProperties: { Name: 'b' },
      OldResourceProperties: { Name: 'a' },
    });

    service.deleteStack('lifecycle');
    const record = await service.settled(service.get('lifecycle').stackId);
    expect(record.status).toBe('DELETE_COMPLETE');
    expect(requests(log)[2]).toMatchObject({
      RequestType: 'Delete',
      PhysicalResourceId: 'thing-a',
      ResourceProperties: { Name: 'b' },
    });
  });

  it('fails an update answered FAILED with its Reason in the stack events, and rolls the resource back', async () => {
    const log = join(dir, 'failed-update.jsonl');
    await deploy('failed-update', template(log, { Name: 'a' }));
    await expect(
      deploy('failed-update', template(log, { Name: 'b', FailOn: 'Update', Message: 'not today' })),
    ).rejects.toThrow(/UPDATE_ROLLBACK_COMPLETE/);
    const record = service.get('failed-update');
    const failed = record.events.find((e) => e.ResourceStatus === 'UPDATE_FAILED');
    expect(failed?.LogicalResourceId).toBe('Thing');
    expect(failed?.ResourceStatusReason).toMatch(
      /^Received response status \[FAILED\] from custom resource\. Message returned: refused: not today \(RequestId: /,
    );
    // The rollback asks the provider to go back to what it had, from what was tried.
    expect(requests(log).map((r) => r.RequestType)).toEqual(['Create', 'Update', 'Update']);
    expect(requests(log)[2]).toMatchObject({
      PhysicalResourceId: 'thing-a',
      ResourceProperties: { Name: 'a', FailOn: 'nothing' },
      OldResourceProperties: { Name: 'b', FailOn: 'Update' },
    });
    expect(record.live.outputs).toEqual({ Greeting: 'hello a', Count: '42', Id: 'thing-a' });
  });

  it('sends a Delete to a resource whose Create failed when the stack rolls back', async () => {
    const log = join(dir, 'failed-create.jsonl');
    await expect(
      deploy('failed-create', template(log, { Name: 'a', FailOn: 'Create', Message: 'no' })),
    ).rejects.toThrow(/ROLLBACK_COMPLETE/);
    const record = service.get('failed-create');
    expect(record.events.find((e) => e.ResourceStatus === 'CREATE_FAILED')?.ResourceStatusReason).toMatch(
      /Message returned: refused: no/,
    );
    expect(requests(log).map((r) => r.RequestType)).toEqual(['Create', 'Delete']);
  });

  it('deletes what an update replaced (another PhysicalResourceId) once the update is done', async () => {
    const log = join(dir, 'replaced.jsonl');
    await deploy('replaced', template(log, { Name: 'a' }));
    const updated = await deploy('replaced', template(log, { Name: 'b', NewId: 'thing-b' }));
    expect(updated.outputs.Id).toBe('thing-b');
    expect(requests(log).map((r) => `${r.RequestType} ${r.PhysicalResourceId ?? ''}`)).toEqual([
      'Create ',
      'Update thing-a',
      'Delete thing-a',
    ]);
    expect(requests(log)[2]?.ResourceProperties).toMatchObject({ Name: 'a' });
  });

  it('fails a resource whose function returns without responding, and one whose ServiceToken names no function', async () => {
    const silent: Template = {
      Resources: {
        Provider: {
          Type: 'AWS::Lambda::Function',
          Properties: {
            Runtime: 'nodejs20.x',
            Handler: 'index.handler',
            Role: 'arn:aws:iam::000000000000:role/provider',
            Code: { ZipFile: 'exports.handler = async () => "done";' },
          },
        },
        Thing: {
          Type: 'AWS::CloudFormation::CustomResource',
          Properties: { ServiceToken: { 'Fn::GetAtt': ['Provider', 'Arn'] } },
        },
      },
    };
    await expect(deploy('silent', silent)).rejects.toThrow(/returned without sending a response/);
    const unknown: Template = {
      Resources: {
        Thing: {
          Type: 'Custom::Thing',
          Properties: { ServiceToken: 'arn:aws:lambda:us-east-1:000000000000:function:nowhere' },
        },
      },
    };
    await expect(deploy('unknown-token', unknown)).rejects.toThrow(/function:nowhere names no function/);
  });
});
