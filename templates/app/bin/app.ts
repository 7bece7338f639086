#!/usr/bin/env node
/** The CDK app: one stack per stage (`cdk deploy -c stage=prod`), checked by cdk-nag's AwsSolutions pack. */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { featuresStack, type Stage } from '../lib/features-stack.js';

const app = new App();
const stage = app.node.tryGetContext('stage') as string;
if (stage !== 'dev' && stage !== 'prod') {
  throw new Error(`stage must be "dev" or "prod" (got ${JSON.stringify(stage)}): see cdk.json`);
}
featuresStack(app, stage as Stage);
// A finding fails the synth: fix it, or acknowledge it with Validations.of(construct).acknowledge(...).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
