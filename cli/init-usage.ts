/** `streamfeatures init --help`: apart from init's code, so the command table loads without it. */
export const INIT_USAGE = `usage: streamfeatures init [dir] [--name NAME]

  Writes a new CDK app into dir (default: the current folder), which must be empty (hidden entries such as
  .git aside): package.json depending on streamfeatures, cdk.json, bin/app.ts and lib/features-stack.ts with a
  FeaturePipeline, a commented starter spec (spec.mjs), a producer script, a cdk-nag synth test and a README.
  NAME (default: the folder's name) names the package and the stacks (<NAME>-dev, <NAME>-prod).
`;
