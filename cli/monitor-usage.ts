import { LABEL_CLOCK_SLACK_MS } from '../adapters/monitoring/label-files.js';
import { type Command, parseFlags, timeFlag, usageError } from './flags.js';
import { CliError } from './io.js';

const USAGE = `usage: streamfeatures monitor --spec S --feature-log F --labels L [--archive A] [--side-outputs P]
                               [--models DIR] [--from T] [--to T] [--threshold 0.5] [--all-labels] [--json]

Closes the loop on a window [--from, --to) (default: everything): joins delayed labels to the feature log and
reports, per model version and variant (champion, challenger, shadow), ROC AUC, PR AUC, calibration by score
decile, precision and recall at the threshold, label coverage and label delay; the served features against the
same window a week earlier (PSI, nulls); a shadow challenger's scores against the champion's (PSI, disagreement
at the threshold, Spearman rank correlation); with --models, the features drifting most from each model's
training distributions (PSI); with --archive, the stream's data quality (volume per hour against a week earlier,
set-aside rates by rule with --side-outputs, per-field null and invalid rates).

  --feature-log F   the scoring log: Parquet file, folder, s3://bucket/prefix, or JSON Lines
                    (an Iceberg table's location or metadata.json too)
  --labels L        delayed labels: a JSON Lines file, a folder of them, or s3://bucket/labels/
                    ({"request_id"} or entity keys + the spec's time field, "label" 0/1, "label_time")
  --archive A       the raw archive: a Parquet file, a folder, s3://bucket/prefix (or JSON Lines events)
                    or an Iceberg table (its location, or its current metadata.json)
  --side-outputs P  the side-output bucket or folder holding quarantine/ and late/
  --models DIR      the model registry: training distributions for drift
  --from, --to T    the window: epoch ms or ISO-8601 with a zone
  --all-labels      read every label file; by default, with --from, a folder's files and S3 objects last
                    modified over ${LABEL_CLOCK_SLACK_MS / 60_000} min before --from are left unread (they hold no label known in the window)
  --threshold X     the score at or above which a request counts as flagged (default 0.5: the API decides nothing)
  --json            the report as JSON
`;

/** `streamfeatures monitor`: its usage and flags; the work is in monitor-command.ts, loaded when it runs. */
export function monitorCommandEntry(): Command {
  return {
    usage: USAGE,
    summary: 'model quality from delayed labels, feature drift and stream data quality',
    run: async (args, io) => {
      const { values } = parseFlags(USAGE, args, {
        spec: { type: 'string' },
        'feature-log': { type: 'string' },
        labels: { type: 'string' },
        archive: { type: 'string' },
        'side-outputs': { type: 'string' },
        models: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        threshold: { type: 'string' },
        'all-labels': { type: 'boolean' },
        json: { type: 'boolean' },
      });
      const { spec, labels } = values;
      const featureLog = values['feature-log'];
      if (!spec || !featureLog || !labels) {
        throw usageError('monitor needs --spec, --feature-log and --labels', USAGE);
      }
      if (values['side-outputs'] && !values.archive) {
        throw usageError(
          '--side-outputs needs --archive (set-aside rates are shares of the archived records)',
          USAGE,
        );
      }
      const fromMs = timeFlag('--from', values.from);
      const toMs = timeFlag('--to', values.to);
      if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs) {
        throw new CliError(`--from must be before --to (got ${values.from} and ${values.to})`, 2);
      }
      let threshold: number | undefined;
      if (values.threshold !== undefined) {
        threshold = Number(values.threshold);
        if (values.threshold.trim() === '' || !(threshold >= 0 && threshold <= 1)) {
          throw new CliError(
            `--threshold must be a number from 0 to 1 (got ${JSON.stringify(values.threshold)})`,
            2,
          );
        }
      }
      const { monitorCommand } = await import('./monitor-command.js');
      return monitorCommand(
        {
          spec,
          featureLog,
          labels,
          archive: values.archive,
          sideOutputs: values['side-outputs'],
          models: values.models,
          fromMs,
          toMs,
          threshold,
          allLabels: values['all-labels'] === true,
          json: values.json === true,
        },
        io,
      );
    },
  };
}
