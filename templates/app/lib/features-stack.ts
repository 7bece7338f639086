import { type App, Stack } from 'aws-cdk-lib';
import { FeaturePipeline } from 'streamfeatures';
import spec from '../spec.mjs';

export type Stage = 'dev' | 'prod';

/**
 * The app's stack: the whole streamfeatures pipeline for spec.mjs. Every FeaturePipeline prop has a default
 * (batch size, stream retention, model, alarm thresholds, ...); set the ones you need here.
 */
export function featuresStack(app: App, stage: Stage): Stack {
  const stack = new Stack(app, `{{name}}-${stage}`, {
    description: `{{name}}: real-time features (${stage})`,
  });
  new FeaturePipeline(stack, 'Features', {
    spec,
    // `prod` retains the data stores and turns on deletion protection; `dev` lets them go with the stack.
    stage,
  });
  return stack;
}
