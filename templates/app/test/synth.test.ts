/** Synthesizes the stack as `cdk synth` does (cdk.json's context) and fails on any cdk-nag AwsSolutions finding. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { featuresStack } from '../lib/features-stack.js';

const { context } = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};

test('the stack synthesizes with no cdk-nag AwsSolutions finding', () => {
  const app = new App({ context });
  const stack = featuresStack(app, 'dev');
  const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(app);
  const findings = report.violations.map(
    (v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
  );
  assert.deepEqual(findings, []);
  const template = Template.fromStack(stack);
  template.resourceCountIs('AWS::Kinesis::Stream', 1);
  template.resourceCountIs('AWS::DynamoDB::Table', 1);
});
