import type { Command } from './flags.js';

const TRAIN_HELP = `usage: streamfeatures train --training-set F --out-dir D [--name N] [--holdout-fraction 0.2]
                             [--features a,b,c] [--label label] [--min-holdout-positives 10]

Fits the embedded logistic model on the earlier rows, reports ROC AUC and PR AUC on the later ones, and writes it
to the registry D as <name>-<content hash>.json.

  --min-holdout-positives N  refuse when the holdout has fewer positives than N: its ROC AUC and PR AUC would
                             mean little (default 10; 0 trains whatever the holdout holds)
`;

/** `streamfeatures train`: its usage and flags; the work is in train-command.ts, loaded when it runs. */
export function trainCommandEntry(): Command {
  return {
    usage: TRAIN_HELP,
    summary: 'fit the embedded fraud model on a training set and add it to a registry',
    run: async (args, io) => {
      const { parseTrainArgs, trainCommand } = await import('./train-command.js');
      return trainCommand(parseTrainArgs(args, TRAIN_HELP), io);
    },
  };
}
