import type { Command } from './flags.js';

/** `streamfeatures init --help`: apart from init's code, so the command table loads without it. */
export const INIT_USAGE = `usage: streamfeatures init [dir] [--name NAME]

  Writes a new CDK app into dir (default: the current folder), which must be empty (hidden entries such as
  .git aside): package.json depending on streamfeatures, cdk.json, bin/app.ts and lib/features-stack.ts with a
  FeaturePipeline, a commented starter spec (spec.mjs), a producer script, a cdk-nag synth test and a README.
  NAME (default: the folder's name) names the package and the stacks (<NAME>-dev, <NAME>-prod).
`;

/** `streamfeatures init`: its usage; the work (and its flags) is in init-command.ts, loaded when it runs. */
export function initCommandEntry(): Command {
  return {
    usage: INIT_USAGE,
    summary: 'a new CDK app that uses the library (the cdk init habit)',
    run: async (args, io) => {
      const { initCommand } = await import('./init-command.js');
      return initCommand(args, io);
    },
  };
}
