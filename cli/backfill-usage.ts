import { type Command, durationFlag, parseFlags, timeFlag, usageError } from './flags.js';

/** `streamfeatures backfill`: its usage and flags; the work is in backfill-command.ts, loaded when it runs. */
export function backfillCommandEntry(): Command {
  const usage = `usage: streamfeatures backfill --spec S --archive A --table T [--features f1,f2] [--from T]
                                [--checkpoint F] [--reorder-window D]

Replays the raw archive into the online store for the named features only (default: all), beside the live
features function, exactly once in effect (README, "Changing the spec"). Progress on stderr; resumable.

  --archive A         the raw archive: a Parquet file, a directory, s3://bucket/prefix
                      or an Iceberg table (its location, or its current metadata.json)
  --table T           the online-store table
  --features f1,f2    the features to fill (default: every feature of the spec)
  --from T            skip records that arrived before T: epoch ms or ISO-8601 with a zone
  --checkpoint F      where progress is kept, so a rerun resumes
  --reorder-window D  how far out of arrival order records may be (default 5m)
`;
  return {
    usage,
    summary: 'fill features in the online store from the archive, beside live traffic',
    run: async (args, io) => {
      const { values } = parseFlags(usage, args, {
        spec: { type: 'string' },
        archive: { type: 'string' },
        table: { type: 'string' },
        features: { type: 'string' },
        from: { type: 'string' },
        checkpoint: { type: 'string' },
        'reorder-window': { type: 'string' },
      });
      const { spec, archive, table } = values;
      if (!spec || !archive || !table)
        throw usageError('backfill needs --spec, --archive and --table', usage);
      const { backfillCommand } = await import('./backfill-command.js');
      return backfillCommand(
        {
          spec,
          archive,
          table,
          features: values.features?.split(',').filter((name) => name !== ''),
          from: timeFlag('--from', values.from),
          checkpoint: values.checkpoint,
          reorderWindowMs: durationFlag('--reorder-window', values['reorder-window']),
        },
        io,
      );
    },
  };
}
