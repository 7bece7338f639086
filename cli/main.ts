import { SpecError } from '../core/index.js';
import {
  type Command,
  durationFlag,
  parseFlags,
  positiveInteger,
  timeFlag,
  usageError,
  wantsHelp,
} from './flags.js';
import { INIT_USAGE } from './init-usage.js';
import { CliError, type CliIO } from './io.js';
import { monitorCommandEntry } from './monitor-usage.js';
import { retrainCommandEntry } from './retrain-usage.js';

/**
 * The commands, in the order `streamfeatures --help` lists them. Each answers `--help` / `-h` with its own usage;
 * its module is imported only when it runs, so the CLI starts fast.
 */
const COMMANDS: Record<string, Command> = {
  spec: specCommand(),
  features: featuresCommand(),
  replay: replayCommand(),
  'training-set': trainingSetCommand(),
  train: trainCommand(),
  parity: parityCommand(),
  monitor: monitorCommandEntry(),
  retrain: retrainCommandEntry(),
  backfill: backfillCommand(),
  plan: planCommand(),
  demo: demoCommand(),
  local: localCommand(),
  init: initCommand(),
};

const OVERVIEW = `usage: streamfeatures <command> [flags]    (streamfeatures <command> --help for its flags)

${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(14)} ${command.summary}`)
  .join('\n')}
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
    io.err(`streamfeatures: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

async function dispatch(argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' && rest[0] !== undefined ? COMMANDS[rest[0]] : undefined;
    io.out(topic ? topic.usage : OVERVIEW);
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) throw usageError(`unknown command ${JSON.stringify(name)}`, OVERVIEW);
  if (wantsHelp(rest)) {
    io.out(command.usage);
    return 0;
  }
  return command.run(rest, io);
}

function specCommand(): Command {
  const usage = `usage: streamfeatures spec check|print <spec>
       streamfeatures spec diff <old spec> <new spec> [--json]

  check   validates a feature spec and reports every problem at once (exit 1 when invalid)
  print   prints the normalized spec JSON (defaults filled in, durations spelled canonically)
  diff    what deploying <new> over <old> does to stored features: added, removed and changed features and
          entities, event fields added or retyped, which features need a backfill and from how much archive;
          exit 0 safe, 3 needs a backfill, 4 breaking (refused, with the reason)

<spec> is a JSON file, or a module (.ts, .mts, .js, .mjs) whose default export is the spec's JSON form or a
builder (defineSpec(...)); .ts modules load through tsx when it is installed.
`;
  return {
    usage,
    summary: 'check, print or diff feature specs',
    run: async (args, io) => {
      const { positionals, values } = parseFlags(usage, args, { json: { type: 'boolean' } }, true);
      const [verb, ...paths] = positionals;
      if (verb === 'diff') {
        const [oldPath, newPath, ...extra] = paths;
        if (!oldPath || !newPath || extra.length > 0)
          throw usageError('spec diff takes the old and the new spec', usage);
        const { specDiffCommand } = await import('./spec-diff-command.js');
        return specDiffCommand(oldPath, newPath, values.json === true, io);
      }
      if (verb !== 'check' && verb !== 'print') throw usageError('spec needs check, print or diff', usage);
      if (values.json) throw usageError('--json applies to spec diff only', usage);
      const [path, ...extra] = paths;
      if (!path || extra.length > 0) throw usageError(`spec ${verb} takes one spec file`, usage);
      const { specCheck, specPrint } = await import('./spec-commands.js');
      return verb === 'check' ? specCheck(path, io) : specPrint(path, io);
    },
  };
}

function backfillCommand(): Command {
  const usage = `usage: streamfeatures backfill --spec S --archive A --table T [--features f1,f2] [--from T]
                                [--checkpoint F] [--reorder-window D]

Replays the raw archive into the online store for the named features only (default: all), beside the live
features function, exactly once in effect (README, "Changing the spec"). Progress on stderr; resumable.

  --archive A         the raw archive: a Parquet file, a directory, s3://bucket/prefix
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

function initCommand(): Command {
  return {
    usage: INIT_USAGE,
    summary: 'a new CDK app that uses the library (the cdk init habit)',
    run: async (args, io) => {
      const { initCommand } = await import('./init-command.js');
      return initCommand(args, io);
    },
  };
}

function featuresCommand(): Command {
  const usage = `usage: streamfeatures features get --spec S --table T --entity E --key F=V [--key F=V ...]
                                [--entity E2 --key ...] [--at T] [--consistent]

Reads the features of one or more entity keys from the online store (DynamoDB), in one round trip, and prints
them as JSON: {"t": ..., "at": "...", "entities": [{"entity": "card", "key": {"card_id": "c1"},
"features": {...}}, ...]}.

  --spec S       the feature spec the table was written with (as for spec check)
  --table T      the online-store table (the stack's TableName output)
  --entity E     an entity of the spec; the --key flags after it give its key fields
  --key F=V      a key field and its value (repeat for a composite key: --key card_id=c1 --key merchant_id=m1)
  --at T         read as of T: epoch ms or ISO-8601 with a zone (default now)
  --consistent   strongly consistent reads (twice the read units)

AWS: region and credentials from the usual environment and config files; AWS_ENDPOINT_URL for another
endpoint (the local cloud, LocalStack).
`;
  return {
    usage,
    summary: 'read entity features from the online store (like get-online-features)',
    run: async (args, io) => {
      const [verb, ...rest] = args;
      if (verb !== 'get') throw usageError('features needs get', usage);
      const { tokens, values } = parseFlags(usage, rest, {
        spec: { type: 'string' },
        table: { type: 'string' },
        entity: { type: 'string', multiple: true },
        key: { type: 'string', multiple: true },
        at: { type: 'string' },
        consistent: { type: 'boolean' },
      });
      if (!values.spec || !values.table || !values.entity)
        throw usageError(
          'features get needs --spec, --table and at least one --entity with its --key',
          usage,
        );
      const { entitiesFromFlags, featuresGet } = await import('./features-command.js');
      return featuresGet(
        {
          spec: values.spec,
          table: values.table,
          entities: entitiesFromFlags(tokens ?? [], usage),
          at: timeFlag('--at', values.at),
          consistent: values.consistent === true,
        },
        io,
      );
    },
  };
}

function replayCommand(): Command {
  const usage = `usage: streamfeatures replay --spec S --events E --queries Q --out O [--arrival-field F]
                              [--reorder-window D]

Point-in-time features for each query from a replay of the events through the engine; one JSON line per query.

  --events E          JSON Lines events, or the raw archive: a Parquet file, a directory, s3://bucket/prefix
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

function trainingSetCommand(): Command {
  const usage = `usage: streamfeatures training-set --spec S --archive A --labels L --out O.parquet [--label-field F]
                                    [--entities a,b] [--arrival-field F] [--reorder-window D]

One row per label with its entities' features as of the label's time, from a replay of the archive. Streams,
reports progress on stderr; the output is written whole or not at all.

  --archive A         the raw archive: a Parquet file, a directory, s3://bucket/prefix; or JSON Lines events
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

function trainCommand(): Command {
  return {
    get usage() {
      return TRAIN_HELP;
    },
    summary: 'fit the embedded fraud model on a training set and add it to a registry',
    run: async (args, io) => {
      const { parseTrainArgs, trainCommand } = await import('./train-command.js');
      return trainCommand(parseTrainArgs(args, TRAIN_HELP), io);
    },
  };
}

const TRAIN_HELP = `usage: streamfeatures train --training-set F --out-dir D [--name N] [--holdout-fraction 0.2]
                             [--features a,b,c] [--label label] [--min-holdout-positives 10]

Fits the embedded logistic model on the earlier rows, reports ROC AUC and PR AUC on the later ones, and writes it
to the registry D as <name>-<content hash>.json.

  --min-holdout-positives N  refuse when the holdout has fewer positives than N: its ROC AUC and PR AUC would
                             mean little (default 10; 0 trains whatever the holdout holds)
`;

function parityCommand(): Command {
  const usage = `usage: streamfeatures parity --spec S --archive A [--table T] [--feature-log F] [--models DIR]
                              [--sample N] [--at T] [--seed N] [--report R.json] [--arrival-field F]
                              [--reorder-window D]

Replays the archive and compares, for sampled keys and times, the online store (read at T, default now) and the
logged features and scores with it. Exit 1 on skew. When the archive has not yet reached the read time (Firehose
buffers), differences it can explain are reported as lag, not skew.
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

function demoCommand(): Command {
  const usage = `usage: streamfeatures demo [--events N] [--keep-running]
       streamfeatures demo --in-process [--events N]

The fraud example on the embedded local cloud: the CDK stack deployed locally, traffic on Kinesis, features, the
Parquet archive and scoring, with a report. --in-process: a simulated stream into DynamoDB Local and the offline
replay, without the cloud.

  --events N      base events to generate (default 5000)
  --keep-running  leave the cloud up and print its endpoint and the scoring URL
`;
  return {
    usage,
    summary: 'the fraud example end to end, on the embedded local cloud',
    run: async (args, io) => {
      const { values } = parseFlags(usage, args, {
        events: { type: 'string' },
        'in-process': { type: 'boolean' },
        'keep-running': { type: 'boolean' },
      });
      const events = values.events === undefined ? undefined : positiveInteger('--events', values.events);
      if (values['in-process']) {
        if (values['keep-running']) throw usageError('demo --in-process has no cloud to keep running', usage);
        const { runDemo } = await import('./demo-command.js');
        return runDemo({ events }, io);
      }
      const { runCloudDemo } = await import('./cloud-demo-command.js');
      return runCloudDemo({ events, keepRunning: values['keep-running'] === true }, io);
    },
  };
}

function localCommand(): Command {
  const usage = `usage: streamfeatures local up|down|status [--port P] [--state-dir D] [--foreground]

The embedded local cloud (Kinesis, DynamoDB, S3, SQS, SNS, Firehose, Lambda, HTTP API, SageMaker runtime) on one
LocalStack-style endpoint, in the background.

  --port P       the endpoint's port on 127.0.0.1 (default 4566; 0 picks a free one)
  --state-dir D  where up records pids, ports and its log
  --foreground   (up) run in this process until Ctrl-C
`;
  return {
    usage,
    summary: 'start, stop or check the embedded local cloud',
    run: async (args, io) => {
      const { localCommand } = await import('./local-command.js');
      return localCommand(args, io);
    },
  };
}

function planCommand(): Command {
  const usage = `usage: streamfeatures plan --spec S --events-per-second N [--entities card=1e6,merchant=5e4]
                            [--window-days D] [--scoring-rps R] [--figures F] [--region us-east-1] [--json]
                            [--record-bytes B] [--hot-key-share X] [--hot-item-bytes B]
                            [--writer-events-per-second W]

What a deployment needs (Kinesis shards, Lambda concurrency and GB-seconds, DynamoDB units and storage, the
hottest keys against the 1,000 write units/s per key, Firehose records and GB, S3, API requests) and what it costs a
month, from the per-event figures the bench measured. Every line shows its formula; every price and assumption is
printed. No AWS calls.

  --events-per-second N   events the stream takes a second
  --entities e=n,...      live keys per entity (default: scaled from one given, else the bench's table)
  --window-days D         days the raw archive is kept in S3 (default 365)
  --scoring-rps R         scoring requests a second (default 0)
  --figures F             the steady-state figures (default bench/results/steady-state.json, from npm run bench)
  --region R              only us-east-1: the prices held are its list prices
  --record-bytes B        bytes an event takes (default: estimated from the spec's event fields)
  --hot-key-share X       the hottest shared key's share of events (default: top of the fraud generator's Zipf)
  --hot-item-bytes B      that key's item size (default: the largest the bench measured)
  --writer-events-per-second W  events one shard's writer applies a second (default: the bench's figure)
  --json                  the plan as JSON
`;
  return {
    usage,
    summary: 'what a deployment needs and costs a month at a given event rate',
    run: async (args, io) => {
      const { values } = parseFlags(usage, args, {
        spec: { type: 'string' },
        'events-per-second': { type: 'string' },
        entities: { type: 'string' },
        'window-days': { type: 'string' },
        'scoring-rps': { type: 'string' },
        figures: { type: 'string' },
        region: { type: 'string' },
        'record-bytes': { type: 'string' },
        'hot-key-share': { type: 'string' },
        'hot-item-bytes': { type: 'string' },
        'writer-events-per-second': { type: 'string' },
        json: { type: 'boolean' },
      });
      const { spec } = values;
      const eventsPerSecond = values['events-per-second'];
      if (!spec || !eventsPerSecond) throw usageError('plan needs --spec and --events-per-second', usage);
      const { planCommand } = await import('./plan-command.js');
      return planCommand(
        {
          spec,
          eventsPerSecond,
          entities: values.entities,
          windowDays: values['window-days'],
          scoringRps: values['scoring-rps'],
          figures: values.figures,
          region: values.region,
          recordBytes: values['record-bytes'],
          hotKeyShare: values['hot-key-share'],
          hotItemBytes: values['hot-item-bytes'],
          writerEventsPerSecond: values['writer-events-per-second'],
          json: values.json === true,
        },
        io,
      );
    },
  };
}
