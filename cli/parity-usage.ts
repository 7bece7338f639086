import { type Command, durationFlag, parseFlags, positiveInteger, timeFlag, usageError } from './flags.js';

/** `streamfeatures parity`: its usage and flags; the work is in parity-command.ts, loaded when it runs. */
export function parityCommandEntry(): Command {
  const usage = `usage: streamfeatures parity --spec S --archive A [--table T] [--feature-log F] [--models DIR]
                              [--sample N] [--at T] [--seed N] [--report R.json] [--arrival-field F]
                              [--reorder-window D]

Replays the archive and compares, for sampled keys and times, the online store (read at T, default now) and the
logged features and scores with it. Exit 1 on skew. When the archive has not yet reached the read time (Firehose
buffers), differences it can explain are reported as lag, not skew. The archive and the feature log may be Iceberg
tables (a table's location, or its current metadata.json).
`;
  return {
    usage,
    summary: 'compare the online store and the feature log with a replay of the archive',
    run: async (args, io) => {
      const { values } = parseFlags(usage, args, {
        spec: { type: 'string' },
        archive: { type: 'string' },
        table: { type: 'string' },
        'feature-log': { type: 'string' },
        models: { type: 'string' },
        sample: { type: 'string' },
        at: { type: 'string' },
        seed: { type: 'string' },
        report: { type: 'string' },
        'arrival-field': { type: 'string' },
        'reorder-window': { type: 'string' },
      });
      const { spec, archive } = values;
      if (!spec || !archive) throw usageError('parity needs --spec and --archive', usage);
      const { parityCommand } = await import('./parity-command.js');
      return parityCommand(
        {
          spec,
          archive,
          table: values.table,
          featureLog: values['feature-log'],
          models: values.models,
          sample: values.sample === undefined ? undefined : positiveInteger('--sample', values.sample),
          at: timeFlag('--at', values.at),
          seed: values.seed === undefined ? undefined : positiveInteger('--seed', values.seed),
          report: values.report,
          arrivalField: values['arrival-field'],
          reorderWindowMs: durationFlag('--reorder-window', values['reorder-window']),
        },
        io,
      );
    },
  };
}
