#!/usr/bin/env node
/**
 * The CDK app: reads the config from the context (cdk.json, `-c`), loads the spec, builds the stack, and checks
 * it with cdk-nag's AwsSolutions pack and AWS Control Tower's proactive controls (a finding fails the synth).
 * See lib/config.ts for every setting.
 */
import { resolve } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadSpecFile } from '../adapters/files/spec-file.js';
import { SpecError } from '../core/index.js';
import { ConfigError, configFromContext } from '../lib/config.js';
import { ControlTowerChecks } from '../lib/control-tower-checks.js';
import { InvalidPropsError } from '../lib/errors.js';
import { StreamfeaturesStack } from '../lib/streamfeatures-stack.js';

const app = new App();
try {
  const config = configFromContext(app.node.getAllContext());
  const spec = await loadSpecFile(resolve(config.specFile));
  new StreamfeaturesStack(app, `streamfeatures-${config.stage}`, { config, spec });
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
