import { parseArgs } from 'node:util';
import { parseDuration } from '../core/duration.js';
import { parseEventTime, SpecError } from '../core/index.js';
import { CliError, type CliIO } from './io.js';
import { replayCommand } from './replay-command.js';
import { specCheck, specPrint } from './spec-commands.js';
import { specDiffCommand } from './spec-diff-command.js';

const USAGE = `usage: streamfeatures <command>

  spec check <spec>       validate a feature spec (JSON, or a JS module exporting one)
  spec print <spec>       print the normalized spec JSON
  spec diff <old> <new> [--json]
                          what deploying <new> over <old> does to stored features: added, removed, changed;
                          which need a backfill and from how much archive; exit 0 safe, 3 needs a backfill,
                          4 breaking (refused, with the reason)
  replay --spec S --events E --queries Q --out O [--arrival-field F] [--reorder-window D]
                          point-in-time features for each query from a replay of the events
                          (E: JSON Lines, or the raw archive: a Parquet file, a directory, s3://bucket/prefix)
  training-set --spec S --archive A --labels L --out O.parquet [--label-field F] [--entities a,b]
               [--arrival-field F] [--reorder-window D]
                          one row per label with its entities' features as of the label's time, from a
                          replay of the archive (A as E above); streams, reports progress
  train --training-set F --out-dir D [--name N] [--holdout-fraction 0.2] [--features a,b,c] [--label label]
                          fits the embedded logistic model on the earlier rows, reports ROC AUC and PR AUC on the
                          later ones, and writes it to the registry D as <name>-<content hash>.json
  parity --spec S --archive A [--table T] [--feature-log F] [--models DIR] [--sample N] [--at T]
         [--report R.json]
                          replays the archive and compares the online store (read at T, default now) and
                          the logged features and scores with it for sampled keys and times; exit 1 on skew
  backfill --spec S --archive A --table T [--features f1,f2] [--from T] [--checkpoint F] [--reorder-window D]
                          replays the archive into the online store for the named features only (default all),
                          beside live traffic, exactly once in effect; progress on stderr; resumable
  demo [--events N] [--keep-running]
                          the fraud example on the embedded local cloud: the CDK stack deployed locally,
                          traffic on Kinesis, features, the Parquet archive and scoring, with a report
  demo --in-process [--events N]
                          the fraud example in-process: a simulated stream into DynamoDB Local and the
                          offline replay, with a report
  local up|down|status [--port P] [--state-dir D]
                          the local cloud (Kinesis, DynamoDB, S3, SQS) on one LocalStack-style endpoint
  init [dir] [--name N]   a new CDK app using the library: FeaturePipeline, a starter spec, a producer, a test
`;

/** Runs one CLI command; returns the exit code. Errors a user can fix print as one clear message. */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (error instanceof SpecError || error instanceof CliError) {
      io.err(`streamfeatures: ${error.message}\n`);
      return error instanceof CliError ? error.exitCode : 1;
    }
    if (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      io.err(`streamfeatures: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    io.err(`streamfeatures: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

async function dispatch(argv: readonly string[], io: CliIO): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'backfill':
      return backfill(rest, io);
    case 'spec': {
      const [verb, path, ...extra] = rest;
      if (verb === 'diff') return specDiff(rest.slice(1), io);
      if (!path || extra.length > 0 || (verb !== 'check' && verb !== 'print'))
        throw usage('spec check|print <spec>');
      return verb === 'check' ? specCheck(path, io) : specPrint(path, io);
    }
    case 'replay': {
      const { values } = parseArgs({
        args: [...rest],
        options: {
          spec: { type: 'string' },
          events: { type: 'string' },
          queries: { type: 'string' },
          out: { type: 'string' },
          'arrival-field': { type: 'string' },
          'reorder-window': { type: 'string' },
        },
        strict: true,
      });
      const { spec, events, queries, out } = values;
      if (!spec || !events || !queries || !out)
        throw usage('replay needs --spec, --events, --queries and --out');
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
    }
    case 'training-set': {
      const { values } = parseArgs({
        args: [...rest],
        options: {
          spec: { type: 'string' },
          archive: { type: 'string' },
          labels: { type: 'string' },
          out: { type: 'string' },
          'label-field': { type: 'string' },
          entities: { type: 'string' },
          'arrival-field': { type: 'string' },
          'reorder-window': { type: 'string' },
        },
        strict: true,
      });
      const { spec, archive, labels, out } = values;
      if (!spec || !archive || !labels || !out)
        throw usage('training-set needs --spec, --archive, --labels and --out');
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
    }
    case 'train': {
      const { parseTrainArgs, trainCommand } = await import('./train-command.js');
      return trainCommand(parseTrainArgs(rest), io);
    }
    case 'parity': {
      const { values } = parseArgs({
        args: [...rest],
        options: {
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
        },
        strict: true,
      });
      const { spec, archive } = values;
      if (!spec || !archive) throw usage('parity needs --spec and --archive');
      const at =
        values.at === undefined
          ? undefined
          : parseEventTime(/^\d+$/.test(values.at) ? Number(values.at) : values.at);
      if (values.at !== undefined && at === undefined) {
        throw new CliError(
          `--at must be epoch ms or ISO-8601 with a zone (got ${JSON.stringify(values.at)})`,
          2,
        );
      }
      const { parityCommand } = await import('./parity-command.js');
      return parityCommand(
        {
          spec,
          archive,
          table: values.table,
          featureLog: values['feature-log'],
          models: values.models,
          sample: values.sample === undefined ? undefined : positiveInteger('--sample', values.sample),
          at,
          seed: values.seed === undefined ? undefined : positiveInteger('--seed', values.seed),
          report: values.report,
          arrivalField: values['arrival-field'],
          reorderWindowMs: durationFlag('--reorder-window', values['reorder-window']),
        },
        io,
      );
    }
    case 'demo': {
      const { values } = parseArgs({
        args: [...rest],
        options: {
          events: { type: 'string' },
          'in-process': { type: 'boolean' },
          'keep-running': { type: 'boolean' },
        },
        strict: true,
      });
      const events = values.events === undefined ? undefined : positiveInteger('--events', values.events);
      if (values['in-process']) {
        if (values['keep-running']) throw usage('demo --in-process has no cloud to keep running');
        const { runDemo } = await import('./demo-command.js');
        return runDemo({ events }, io);
      }
      const { runCloudDemo } = await import('./cloud-demo-command.js');
      return runCloudDemo({ events, keepRunning: values['keep-running'] === true }, io);
    }
    case 'local': {
      const { localCommand } = await import('./local-command.js');
      return localCommand(rest, io);
    }
    case 'init': {
      const { initCommand } = await import('./init-command.js');
      return initCommand(rest, io);
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      io.out(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw usage(`unknown command ${JSON.stringify(command)}`);
  }
}

function usage(problem: string): CliError {
  return new CliError(`${problem}\n\n${USAGE}`, 2);
}

/** A duration flag (`30s`, `5m`, `1h`, or milliseconds); undefined when not given. */
function durationFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = parseDuration(/^\d+$/.test(value) ? Number(value) : value);
  if ('error' in parsed) throw new CliError(`${flag}: ${parsed.error}`, 2);
  return parsed.ms;
}

export function positiveInteger(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new CliError(`${flag} must be a positive whole number (got ${JSON.stringify(value)})`, 2);
  return n;
}

async function specDiff(args: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: { json: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  const [oldPath, newPath, ...extra] = positionals;
  if (!oldPath || !newPath || extra.length > 0) throw usage('spec diff <old spec> <new spec> [--json]');
  return specDiffCommand(oldPath, newPath, values.json === true, io);
}

async function backfill(args: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      spec: { type: 'string' },
      archive: { type: 'string' },
      table: { type: 'string' },
      features: { type: 'string' },
      from: { type: 'string' },
      checkpoint: { type: 'string' },
      'reorder-window': { type: 'string' },
    },
    strict: true,
  });
  const { spec, archive, table } = values;
  if (!spec || !archive || !table) throw usage('backfill needs --spec, --archive and --table');
  const from =
    values.from === undefined
      ? undefined
      : parseEventTime(/^\d+$/.test(values.from) ? Number(values.from) : values.from);
  if (values.from !== undefined && from === undefined) {
    throw new CliError(
      `--from must be epoch ms or ISO-8601 with a zone (got ${JSON.stringify(values.from)})`,
      2,
    );
  }
  const { backfillCommand } = await import('./backfill-command.js');
  return backfillCommand(
    {
      spec,
      archive,
      table,
      features: values.features?.split(',').filter((name) => name !== ''),
      from,
      checkpoint: values.checkpoint,
      reorderWindowMs: durationFlag('--reorder-window', values['reorder-window']),
    },
    io,
  );
}
