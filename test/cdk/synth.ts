/** Builds this repository's app the way bin/app.ts does, for assertion tests: cdk.json's context and flags. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { parseSpecJson, type Spec } from '../../core/index.js';
import { appContext, CONTEXT_KEYS } from '../../lib/config.js';
import { FeaturePipeline, type FeaturePipelineProps } from '../../lib/index.js';
import { PACKAGE_ROOT } from '../../lib/streamfeatures-function.js';

/** cdk.json's context: the stage, the spec file and CDK's feature flags, as `cdk synth` passes them. */
export const CDK_JSON_CONTEXT = (
  JSON.parse(readFileSync(join(PACKAGE_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }
).context;

/** CDK's feature flags alone. */
export const CDK_FLAGS = Object.fromEntries(
  Object.entries(CDK_JSON_CONTEXT).filter(([key]) => !CONTEXT_KEYS.includes(key)),
);

export const FRAUD_SPEC: Spec = parseSpecJson(
  readFileSync(join(PACKAGE_ROOT, 'examples/fraud/spec.json'), 'utf8'),
  'examples/fraud/spec.json',
);

export interface Synthesized {
  readonly app: App;
  readonly stack: Stack;
  readonly pipeline: FeaturePipeline;
  readonly template: Template;
}

/** The app's stack for cdk.json's context with these props set, as bin/app.ts builds it. */
/** Props of the pipeline to set for one synth (the spec is its own argument). */
export type PipelineOverrides = Partial<Omit<FeaturePipelineProps, 'spec'>>;

export function synthesize(props: PipelineOverrides = {}, spec: Spec = FRAUD_SPEC): Synthesized {
  const app = new App({ context: CDK_JSON_CONTEXT });
  const { stage, overrides } = appContext(app.node.getAllContext());
  const stageOf = props.stage ?? stage;
  const stack = new Stack(app, `streamfeatures-${stageOf}`, {
    description: `streamfeatures: real-time features for spec "${spec.name}" (${stageOf})`,
  });
  const pipeline = new FeaturePipeline(stack, 'Default', { spec, stage, ...overrides, ...props });
  return { app, stack, pipeline, template: Template.fromStack(stack) };
}

type Resources = Record<
  string,
  { Type: string; Properties?: Record<string, unknown>; [key: string]: unknown }
>;

/** The template's resources of one type, by logical id. */
export function resourcesOf(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

/** The logical id of a construct's CloudFormation resource (an L2's default child, or the L1 itself). */
export function logicalIdOf(stack: Stack, construct: IConstruct): string {
  const element = CfnElement.isCfnElement(construct) ? construct : construct.node.defaultChild;
  if (!CfnElement.isCfnElement(element))
    throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return stack.getLogicalId(element);
}

export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

/** Every IAM statement attached to a role (its inline policies and the AWS::IAM::Policy resources naming it). */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  const statements: Statement[] = [];
  const role = resourcesOf(template, 'AWS::IAM::Role')[roleLogicalId];
  if (!role) throw new Error(`no role ${roleLogicalId}`);
  for (const policy of (role.Properties?.Policies ?? []) as {
    PolicyDocument: { Statement: Statement[] };
  }[]) {
    statements.push(...policy.PolicyDocument.Statement);
  }
  for (const policy of Object.values(resourcesOf(template, 'AWS::IAM::Policy'))) {
    const roles = (policy.Properties?.Roles ?? []) as { Ref?: string }[];
    if (roles.some((r) => r.Ref === roleLogicalId)) {
      const document = policy.Properties?.PolicyDocument as { Statement: Statement[] } | undefined;
      statements.push(...(document?.Statement ?? []));
    }
  }
  return statements;
}

export const actionsOf = (statement: Statement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

/** The template as JSON with what changes on every build (asset hashes) replaced. */
export function stableTemplate(template: Template): unknown {
  const text = JSON.stringify(template.toJSON(), null, 2)
    .replace(/[0-9a-f]{64}(\.zip|\.json)?/g, '[asset-hash]$1')
    .replace(/"S3Key": "[^"]*"/g, '"S3Key": "[asset]"');
  return JSON.parse(text);
}
