import { type Command, durationFlag, parseFlags, usageError } from './flags.js';

/** `streamfeatures replay`: its usage and flags; the work is in replay-command.ts, loaded when it runs. */
export function replayCommandEntry(): Command {
  const usage = `usage: streamfeatures replay --spec S --events E --queries Q --out O [--arrival-field F]
                              [--reorder-window D]

Point-in-time features for each query from a replay of the events through the engine; one JSON line per query.

  --events E          JSON Lines events, or the raw archive: a Parquet file, a directory, s3://bucket/prefix
                      or an Iceberg table (its location, or its current metadata.json)
  --queries Q         JSON Lines: {"entity": "card", "key": {"card_id": "c1"}, "t": 1793491200000}
  --out O             the answers (written whole, or not at all)
  --arrival-field F   JSON Lines events only: the field holding the arrival time (default: the event time)
  --reorder-window D  Parquet archives only: how far out of arrival order records may be (default 5m)
`;
  return {
    usage,
    summary: 'point-in-time features for queries, from a replay of events',
    run: async (args, io) => {
      const { values } = parseFlags(usage, args, {
        spec: { type: 'string' },
        events: { type: 'string' },
        queries: { type: 'string' },
        out: { type: 'string' },
        'arrival-field': { type: 'string' },
        'reorder-window': { type: 'string' },
      });
      const { spec, events, queries, out } = values;
      if (!spec || !events || !queries || !out)
        throw usageError('replay needs --spec, --events, --queries and --out', usage);
      const { replayCommand } = await import('./replay-command.js');
      return replayCommand(
        {
          spec,
          events,
          queries,
          out,
          arrivalField: values['arrival-field'],
          reorderWindowMs: durationFlag('--reorder-window', values['reorder-window']),
        },
        io,
      );
    },
  };
}
