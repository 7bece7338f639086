import { type Command, durationFlag, parseFlags, usageError } from './flags.js';

/** `streamfeatures training-set`: its usage and flags; the work is in training-set-command.ts, loaded when it runs. */
export function trainingSetCommandEntry(): Command {
  const usage = `usage: streamfeatures training-set --spec S --archive A --labels L --out O.parquet [--label-field F]
                                    [--entities a,b] [--arrival-field F] [--reorder-window D]

One row per label with its entities' features as of the label's time, from a replay of the archive. Streams,
reports progress on stderr; the output is written whole or not at all.

  --archive A         the raw archive: a Parquet file, a directory, s3://bucket/prefix; or JSON Lines events
                      or an Iceberg table (its location, or its current metadata.json)
  --labels L          JSON Lines labels carrying the entity key fields, the time field and the label
  --label-field F     the label's field (default label)
  --entities a,b      the entities to join (default: every entity whose keys the first label carries)
  --arrival-field F   JSON Lines events only: the field holding the arrival time (default: the event time)
  --reorder-window D  Parquet archives only: how far out of arrival order records may be (default 5m)
`;
  return {
    usage,
    summary: 'a point-in-time training set (Parquet) from the archive and labels',
    run: async (args, io) => {
      const { values } = parseFlags(usage, args, {
        spec: { type: 'string' },
        archive: { type: 'string' },
        labels: { type: 'string' },
        out: { type: 'string' },
        'label-field': { type: 'string' },
        entities: { type: 'string' },
        'arrival-field': { type: 'string' },
        'reorder-window': { type: 'string' },
      });
      const { spec, archive, labels, out } = values;
      if (!spec || !archive || !labels || !out)
        throw usageError('training-set needs --spec, --archive, --labels and --out', usage);
      const { trainingSetCommand } = await import('./training-set-command.js');
      return trainingSetCommand(
        {
          spec,
          archive,
          labels,
          out,
          labelField: values['label-field'],
          entities: values.entities?.split(',').map((name) => name.trim()),
          arrivalField: values['arrival-field'],
          reorderWindowMs: durationFlag('--reorder-window', values['reorder-window']),
        },
        io,
      );
    },
  };
}
