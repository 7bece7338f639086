/**
 * Two local clouds in one process (as tests start them) keep their AWS/* service metrics apart: a function invoked
 * in one cloud counts in that cloud's CloudWatch and not in the other's.
 */

import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../src/local-cloud.js';
import { localClientConfig, until } from '../support/harness.js';

const FUNCTION = 'scoped-metrics';
const template = JSON.stringify({
  Resources: {
    Fn: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        FunctionName: FUNCTION,
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: 'arn:aws:iam::000000000000:role/any',
        Code: { ZipFile: 'exports.handler = async () => ({ ok: true });' },
      },
    },
    Api: { Type: 'AWS::ApiGatewayV2::Api', Properties: { Name: 'scoped', ProtocolType: 'HTTP' } },
    Integration: {
      Type: 'AWS::ApiGatewayV2::Integration',
      Properties: {
        ApiId: { Ref: 'Api' },
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: { 'Fn::GetAtt': ['Fn', 'Arn'] },
        PayloadFormatVersion: '2.0',
      },
    },
    Route: {
      Type: 'AWS::ApiGatewayV2::Route',
      Properties: {
        ApiId: { Ref: 'Api' },
        RouteKey: 'GET /ping',
        Target: { 'Fn::Join': ['/', ['integrations', { Ref: 'Integration' }]] },
      },
    },
  },
  Outputs: { ApiId: { Value: { Ref: 'Api' } } },
});
const dimensions = [{ Name: 'FunctionName', Value: FUNCTION }];

let invoked: LocalCloud;
let other: LocalCloud;

beforeAll(async () => {
  [invoked, other] = await Promise.all([startLocalCloud({ port: 0 }), startLocalCloud({ port: 0 })]);
}, 180_000);

afterAll(async () => {
  await Promise.all([invoked?.stop(), other?.stop()]);
});

describe('service metrics of two clouds in one process', () => {
  it("land in the CloudWatch of the cloud whose function and HTTP API ran, and not in the other's", async () => {
    let apiId = '';
    const cfn = new CloudFormationClient(localClientConfig(invoked.endpoint));
    const lambda = new LambdaClient(localClientConfig(invoked.endpoint));
    try {
      await cfn.send(new CreateStackCommand({ StackName: 'scoped-metrics', TemplateBody: template }));
      apiId = await until('the stack', async () => {
        const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'scoped-metrics' })))
          .Stacks?.[0];
        if (stack?.StackStatus?.endsWith('_IN_PROGRESS')) return undefined;
        expect(stack?.StackStatus, stack?.StackStatusReason).toBe('CREATE_COMPLETE');
        return stack?.Outputs?.find((o) => o.OutputKey === 'ApiId')?.OutputValue as string;
      });
      const answer = await lambda.send(
        new InvokeCommand({ FunctionName: FUNCTION, Payload: Buffer.from('{}') }),
      );
      expect(answer.FunctionError).toBeUndefined();
      const ping = await fetch(`${invoked.apiEndpoint(apiId)}/ping`);
      expect(ping.status, await ping.text()).toBe(200);
    } finally {
      cfn.destroy();
      lambda.destroy();
    }
    const sum = (cloud: LocalCloud, metricName: string, of: typeof dimensions, namespace = 'AWS/Lambda') =>
      (cloud.services.cloudwatch.store.get(namespace, metricName, of)?.samples ?? []).reduce(
        (total, sample) => total + sample.sum,
        0,
      );
    const invocations = (cloud: LocalCloud) => sum(cloud, 'Invocations', dimensions);
    // The account-level metric, without dimension: the one a process-wide count would have mixed up.
    const running = (cloud: LocalCloud) => sum(cloud, 'ConcurrentExecutions', []);
    const requests = (cloud: LocalCloud) =>
      sum(cloud, 'Count', [{ Name: 'ApiId', Value: apiId }], 'AWS/ApiGateway');
    // Once invoked directly, once through the HTTP API.
    expect(invocations(invoked)).toBe(2);
    expect(running(invoked)).toBe(2);
    expect(requests(invoked)).toBe(1);
    expect(invocations(other)).toBe(0);
    expect(running(other)).toBe(0);
    expect(requests(other)).toBe(0);
  });
});
