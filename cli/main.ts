import { SpecError } from '../core/index.js';
import { backfillCommandEntry } from './backfill-usage.js';
import { demoCommandEntry } from './demo-usage.js';
import { featuresCommandEntry } from './features-usage.js';
import { type Command, usageError, wantsHelp } from './flags.js';
import { initCommandEntry } from './init-usage.js';
import { CliError, type CliIO } from './io.js';
import { localCommandEntry } from './local-usage.js';
import { monitorCommandEntry } from './monitor-usage.js';
import { parityCommandEntry } from './parity-usage.js';
import { planCommandEntry } from './plan-usage.js';
import { replayCommandEntry } from './replay-usage.js';
import { retrainCommandEntry } from './retrain-usage.js';
import { specCommandEntry } from './spec-usage.js';
import { trainCommandEntry } from './train-usage.js';
import { trainingSetCommandEntry } from './training-set-usage.js';

/**
 * The commands, in the order `streamfeatures --help` lists them. Each answers `--help` / `-h` with its own usage
 * (its <name>-usage.ts, which also parses its flags); its module is imported only when it runs, so the CLI starts
 * fast.
 */
const COMMANDS: Record<string, Command> = {
  spec: specCommandEntry(),
  features: featuresCommandEntry(),
  replay: replayCommandEntry(),
  'training-set': trainingSetCommandEntry(),
  train: trainCommandEntry(),
  parity: parityCommandEntry(),
  monitor: monitorCommandEntry(),
  retrain: retrainCommandEntry(),
  backfill: backfillCommandEntry(),
  plan: planCommandEntry(),
  demo: demoCommandEntry(),
  local: localCommandEntry(),
  init: initCommandEntry(),
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
