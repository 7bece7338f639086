import { checkModelName } from '../adapters/model/model-version.js';
import { LABEL_CLOCK_SLACK_MS } from '../adapters/monitoring/label-files.js';
import { type Command, parseFlags, timeFlag, usageError } from './flags.js';
import { CliError } from './io.js';

const USAGE = `usage: streamfeatures retrain --spec S --archive A --labels L --models DIR|s3://bucket/prefix
                               [--feature-log F] [--from T] [--to T] [--holdout-share 0.2] [--champion VERSION]
                               [--threshold 0.5] [--features a,b] [--name N] [--min-holdout-positives 10]
                               [--all-labels] [--json]

Builds a training set from the archive and the delayed labels whose event time is in [--from, --to), trains a
model like train does (the champion's features and name unless told), scores it and the champion on the same
holdout, registers it, and prints the commands that deploy it as a shadow challenger, promote it, and roll back.
The holdout is the last --holdout-share of the labels by label_time: the model learns only from labels known
before the first holdout label was. Nothing is registered unless every step succeeds.

  --archive A           the raw archive: a Parquet file, a folder, s3://bucket/prefix (or JSON Lines events)
                        or an Iceberg table (its location, or its current metadata.json)
  --labels L            delayed labels, as monitor reads them: a JSON Lines file, a folder, or s3://bucket/labels/;
                        each names its event by entity key fields and the spec's time field, with "label" and
                        "label_time"; one naming its request by request_id only needs --feature-log
  --feature-log F       the scoring log (as monitor reads it): the keys and time of the requests labels name by id
  --models M            the model registry: a folder or s3://bucket/prefix of <version>.json
  --champion V          the version to compare with (default: the only version, or the one its document records
                        as trained on the newest data; required when that is ambiguous: name the deployed one)
  --from, --to T        the window of event time: epoch ms or ISO-8601 with a zone (default: every label)
  --holdout-share X     the share of labels, the last known, held out (default 0.2)
  --threshold X         the score at or above which a request counts as flagged, for precision and recall (0.5)
  --features a,b        the features to train on (default: the champion's)
  --name N              the new version's name (default: the champion's, e.g. fraud-lr)
  --min-holdout-positives N  refuse a holdout with fewer positives (default 10)
  --all-labels          read every label file; by default, with --from, a folder's files and S3 objects last
                        modified over ${LABEL_CLOCK_SLACK_MS / 60_000} min before --from are left unread (a label is written after the event
                        it labels, so they hold none in the window)
  --json                the report as JSON
`;

/** `streamfeatures retrain`: its usage and flags; the work is in retrain-command.ts, loaded when it runs. */
export function retrainCommandEntry(): Command {
  return {
    usage: USAGE,
    summary:
      'train a new model from the archive and delayed labels, compare it with the champion, register it',
    run: async (args, io) => {
      const { values } = parseFlags(USAGE, args, {
        spec: { type: 'string' },
        archive: { type: 'string' },
        labels: { type: 'string' },
        models: { type: 'string' },
        'feature-log': { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        'holdout-share': { type: 'string' },
        champion: { type: 'string' },
        threshold: { type: 'string' },
        features: { type: 'string' },
        name: { type: 'string' },
        'min-holdout-positives': { type: 'string' },
        'all-labels': { type: 'boolean' },
        json: { type: 'boolean' },
      });
      const { spec, archive, labels, models } = values;
      if (!spec || !archive || !labels || !models) {
        throw usageError('retrain needs --spec, --archive, --labels and --models', USAGE);
      }
      const fromMs = timeFlag('--from', values.from);
      const toMs = timeFlag('--to', values.to);
      if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs) {
        throw new CliError(`--from must be before --to (got ${values.from} and ${values.to})`, 2);
      }
      const { retrainCommand } = await import('./retrain-command.js');
      return retrainCommand(
        {
          spec,
          archive,
          labels,
          models,
          featureLog: values['feature-log'],
          fromMs,
          toMs,
          holdoutShare: share('--holdout-share', values['holdout-share'], false),
          champion: values.champion,
          threshold: share('--threshold', values.threshold, true),
          features: featureList(values.features),
          name: modelNameFlag(values.name),
          minHoldoutPositives: wholeNumber('--min-holdout-positives', values['min-holdout-positives']),
          allLabels: values['all-labels'] === true,
          json: values.json === true,
        },
        io,
      );
    },
  };
}

/** A number in (0, 1), or [0, 1] when the ends are allowed. */
function share(flag: string, raw: string | undefined, ends: boolean): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  const ok = raw.trim() !== '' && (ends ? value >= 0 && value <= 1 : value > 0 && value < 1);
  if (!ok) {
    throw new CliError(
      `${flag} must be a number ${ends ? 'from 0 to 1' : 'between 0 and 1'} (got ${JSON.stringify(raw)})`,
      2,
    );
  }
  return value;
}

function featureList(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const names = raw.split(',').map((name) => name.trim());
  if (names.some((name) => name === '')) {
    throw new CliError(`--features must be names separated by commas (got ${JSON.stringify(raw)})`, 2);
  }
  return names;
}

function modelNameFlag(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  try {
    checkModelName(raw);
  } catch (error) {
    throw new CliError(`--name: ${(error as Error).message}`, 2);
  }
  return raw;
}

function wholeNumber(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new CliError(`${flag} must be a whole number, 0 or more (got ${JSON.stringify(raw)})`, 2);
  }
  return Number(raw);
}
