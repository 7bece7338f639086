import { parseArgs } from 'node:util';
import { SpecError } from '../core/index.js';
import { CliError, type CliIO } from './io.js';
import { replayCommand } from './replay-command.js';
import { specCheck, specPrint } from './spec-commands.js';

const USAGE = `usage: streamfeatures <command>

  spec check <spec>       validate a feature spec (JSON, or a JS module exporting one)
  spec print <spec>       print the normalized spec JSON
  replay --spec S --events E --queries Q --out O [--arrival-field F]
                          point-in-time features for each query from a replay of the events
  demo [--events N] [--keep-running]
                          the fraud example on the embedded local cloud: the CDK stack deployed locally,
                          traffic on Kinesis, features, the Parquet archive and scoring, with a report
  demo --in-process [--events N]
                          the fraud example in-process: a simulated stream into DynamoDB Local and the
                          offline replay, with a report
  local up|down|status [--port P] [--state-dir D]
                          the local cloud (Kinesis, DynamoDB, S3, SQS) on one LocalStack-style endpoint
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
    case 'spec': {
      const [verb, path, ...extra] = rest;
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
        },
        strict: true,
      });
      const { spec, events, queries, out } = values;
      if (!spec || !events || !queries || !out)
        throw usage('replay needs --spec, --events, --queries and --out');
      const arrivalField = values['arrival-field'];
      return replayCommand(
        arrivalField ? { spec, events, queries, out, arrivalField } : { spec, events, queries, out },
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

export function positiveInteger(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new CliError(`${flag} must be a positive whole number (got ${JSON.stringify(value)})`, 2);
  return n;
}
