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
  // The id `Default` is one CDK leaves out of logical ids, so the stack's outputs are plain `StreamName`,
  // `TableName`, `ScoringUrl`, ... in `cdk deploy`'s output and in outputs.json (as the README names them).
  new FeaturePipeline(stack, 'Default', {
    spec,
    // `prod` retains the data stores and turns on deletion protection; `dev` lets them go with the stack.
    stage,
  });
  return stack;
}
