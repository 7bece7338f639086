#!/usr/bin/env node
/**
 * This repository's CDK app, a consumer of the library like any other: reads the stage, the spec file and any
 * overrides from the context (cdk.json, `-c`; lib/config.ts), puts a FeaturePipeline in a stack, and checks it
 * with cdk-nag's AwsSolutions pack and AWS Control Tower's proactive controls (a finding fails the synth).
 * Every setting and its default: FeaturePipelineProps.
 */
import { resolve } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadSpecFile } from '../adapters/files/spec-file.js';
import { appContext, ConfigError } from '../lib/config.js';
import { ControlTowerChecks } from '../lib/control-tower-checks.js';
import { FeaturePipeline, InvalidPropsError, SpecError } from '../lib/index.js';

const app = new App();
try {
  const { stage, specFile, overrides } = appContext(app.node.getAllContext());
  const spec = await loadSpecFile(resolve(specFile));
  const stack = new Stack(app, `streamfeatures-${stage}`, {
    description: `streamfeatures: real-time features for spec "${spec.name}" (${stage})`,
  });
  // The id `Default` is left out of logical ids: the resources keep the ids they had when the stack built them
  // itself, so stacks deployed before the pipeline became one construct update in place.
  new FeaturePipeline(stack, 'Default', { spec, stage, ...overrides });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  // AWS Control Tower's proactive controls (cfn-guard); lib/policy-acknowledgements.ts holds the reasoned exceptions.
  Validations.of(app).addPlugins(new ControlTowerChecks());
} catch (error) {
  // Bad input is the user's to fix: the message names it; a stack trace would only bury it.
  if (!(error instanceof ConfigError || error instanceof SpecError || error instanceof InvalidPropsError)) {
    throw error;
  }
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
