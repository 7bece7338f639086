import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { portIsFree } from '../packages/local-cloud/src/emulator-process.js';
import {
  DEFAULT_PORT,
  DEFAULT_STATE_DIR,
  type EmulatorInfo,
  LOCAL_CLOUD_SERVICES,
  type LocalCloud,
  localCloudClientEnv,
  localCloudStatus,
  prepareStateDir,
  startLocalCloud,
  stopLocalCloud,
} from '../packages/local-cloud/src/local-cloud.js';
import { CliError, type CliIO } from './io.js';

const LOG_FILE = 'cloud.log';
const UP_TIMEOUT_MS = 180_000;

/** What the cloud's process tells `up` (over the IPC channel) once it is ready or has failed. */
type UpMessage =
  | { type: 'ready'; endpoint: string; startupMs: number; emulators: EmulatorInfo[] }
  | { type: 'failed'; message: string };

/**
 * `streamfeatures local up|down|status [--port P] [--state-dir D]`: the embedded local cloud in the background.
 * `up --foreground` runs it in this process until SIGINT/SIGTERM (what `up` starts, detached, with its output in
 * <state-dir>/cloud.log).
 */
export async function localCommand(args: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      port: { type: 'string' },
      'state-dir': { type: 'string' },
      foreground: { type: 'boolean' },
    },
    allowPositionals: true,
    strict: true,
  });
  const [verb, ...extra] = positionals;
  if (extra.length > 0 || (verb !== 'up' && verb !== 'down' && verb !== 'status')) {
    throw new CliError(
      'usage: streamfeatures local up|down|status [--port P] [--state-dir D]\n' +
        `  --port       the endpoint's port on 127.0.0.1 (default ${DEFAULT_PORT}; 0 picks a free one)\n` +
        `  --state-dir  where up records pids, ports and its log (default ${DEFAULT_STATE_DIR})\n` +
        '  --foreground (up) run in this process until Ctrl-C instead of in the background\n',
      2,
    );
  }
  const stateDir = resolve(values['state-dir'] ?? DEFAULT_STATE_DIR);
  const port = values.port === undefined ? DEFAULT_PORT : portNumber(values.port);
  if (verb === 'status') return status(stateDir, values.port === undefined ? undefined : port, io);
  if (verb === 'down') return down(stateDir, values.port === undefined ? undefined : port, io);
  return values.foreground ? foreground(port, stateDir, io) : up(port, stateDir, io);
}

function portNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n > 65_535) {
    throw new CliError(`--port must be a port number from 0 to 65535 (got ${JSON.stringify(value)})`, 2);
  }
  return n;
}

function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') ? rel : path;
}

function megabytes(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MB`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function describeEmulators(emulators: readonly EmulatorInfo[]): string {
  return emulators
    .map(
      (e) =>
        `  ${e.services.join(', ').padEnd(18)} ${e.name.padEnd(15)} pid ${`${e.pid}`.padEnd(8)} ready in ${seconds(e.readyMs)}\n`,
    )
    .join('');
}

function exportLine(endpoint: string): string {
  // AWS_DEFAULT_REGION too: the AWS CLI v1 reads no AWS_REGION.
  const env = { ...localCloudClientEnv(endpoint), AWS_DEFAULT_REGION: 'us-east-1' };
  return `export ${Object.entries(env)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')}\n`;
}

/** Starts the cloud in a detached process of its own and returns once it answers (or has failed). */
async function up(port: number, stateDir: string, io: CliIO): Promise<number> {
  const current = await localCloudStatus(stateDir);
  if (current.running) {
    if (current.endpoint === `http://127.0.0.1:${port}` || port === 0) {
      io.out(`local cloud already up at ${current.endpoint} (pid ${current.ownerPid})\n`);
      return current.up ? 0 : 1;
    }
    throw new CliError(
      `a local cloud from ${shown(stateDir)} already runs at ${current.endpoint} (pid ${current.ownerPid}); stop it first with \`streamfeatures local down\``,
    );
  }
  if (port !== 0 && !(await portIsFree(port))) {
    throw new CliError(
      `the local cloud cannot listen on port ${port}: the port is already in use (another local cloud or LocalStack?). Stop it, or pass --port.`,
    );
  }

  prepareStateDir(stateDir);
  const logPath = resolve(stateDir, LOG_FILE);
  const log = openSync(logPath, 'w');
  let child: ChildProcess;
  try {
    // Run this same CLI (the bundle, or the sources through the loader that runs them) in the foreground mode.
    const nodeArgs = process.execArgv.filter((a) => !a.startsWith('--inspect'));
    const entry = process.argv[1];
    if (entry === undefined)
      throw new CliError('cannot tell which script runs this CLI (no process.argv[1])');
    child = spawn(
      process.execPath,
      [...nodeArgs, entry, 'local', 'up', '--foreground', '--port', `${port}`, '--state-dir', stateDir],
      { detached: true, stdio: ['ignore', log, log, 'ipc'], env: process.env },
    );
  } finally {
    closeSync(log);
  }

  const message = await new Promise<UpMessage>((resolveMessage) => {
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
      resolveMessage({
        type: 'failed',
        message: `the local cloud did not come up within ${UP_TIMEOUT_MS / 1000} s`,
      });
    }, UP_TIMEOUT_MS);
    child.on('message', (m: UpMessage) => {
      clearTimeout(timer);
      resolveMessage(m);
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      resolveMessage({
        type: 'failed',
        message: `could not start the local cloud's process: ${error.message}`,
      });
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolveMessage({
        type: 'failed',
        message: `the local cloud's process exited before it was ready (exit code ${code ?? 'none'}, signal ${signal ?? 'none'}).${logTail(logPath)}`,
      });
    });
  });
  if (child.connected) child.disconnect();
  child.unref();

  if (message.type === 'failed') throw new CliError(`${message.message}\n(log: ${shown(logPath)})`);
  io.out(
    `local cloud up at ${message.endpoint} in ${seconds(message.startupMs)}\n${describeEmulators(message.emulators)}` +
      `state and log in ${shown(stateDir)}; stop it with \`${downCommand(stateDir)}\`\n` +
      `clients need only: ${exportLine(message.endpoint)}`,
  );
  return 0;
}

/** The `down` that stops this cloud: `--state-dir` named when it is not the default, or `down` would not find it. */
function downCommand(stateDir: string): string {
  const custom = stateDir !== resolve(DEFAULT_STATE_DIR);
  return `streamfeatures local down${custom ? ` --state-dir ${shown(stateDir)}` : ''}`;
}

function logTail(path: string): string {
  try {
    const lines = readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    return lines.length === 0 ? '' : `\n${lines.slice(-15).join('\n')}`;
  } catch {
    return '';
  }
}

/** Runs the cloud in this process until SIGINT, SIGTERM or SIGHUP. */
async function foreground(port: number, stateDir: string, io: CliIO): Promise<number> {
  const send = (message: UpMessage) => {
    if (process.send !== undefined && process.connected) process.send(message);
  };
  let cloud: LocalCloud;
  try {
    cloud = await startLocalCloud({
      port,
      stateDir,
      owner: 'cli',
      onOutput: (source, line) => io.err(`[${source}] ${line}\n`),
      // The deployed stacks' function logs, and each failed CloudFormation call, go to the cloud's log.
      cloudFormation: {
        onLog: (source, line) => io.err(`[${source}] ${line}\n`),
        onCall: (action, error) => {
          if (error !== undefined) io.err(`[cloudformation] ${action}: ${error}\n`);
        },
      },
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    send({ type: 'failed', message });
    throw new CliError(message);
  }
  io.out(
    `${new Date().toISOString()} local cloud up at ${cloud.endpoint} in ${seconds(cloud.startupMs)} (pid ${process.pid})\n` +
      describeEmulators(cloud.emulators),
  );
  send({
    type: 'ready',
    endpoint: cloud.endpoint,
    startupMs: cloud.startupMs,
    emulators: [...cloud.emulators],
  });

  const signal = await new Promise<NodeJS.Signals>((resolveSignal) => {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(s, () => resolveSignal(s));
  });
  io.out(`${new Date().toISOString()} ${signal}: stopping the local cloud\n`);
  await cloud.stop();
  io.out(`${new Date().toISOString()} local cloud stopped\n`);
  return 0;
}

/** The port of a recorded endpoint (`http://127.0.0.1:<port>`). */
function portOf(endpoint: string): number {
  return Number(new URL(endpoint).port);
}

async function status(stateDir: string, port: number | undefined, io: CliIO): Promise<number> {
  const s = await localCloudStatus(stateDir);
  if (s.endpoint === undefined) {
    io.out(`local cloud is not up (nothing recorded in ${shown(stateDir)})\n`);
    return 1;
  }
  if (port !== undefined && portOf(s.endpoint) !== port) {
    io.out(
      `local cloud is not up on port ${port} (the one recorded in ${shown(stateDir)} listens at ${s.endpoint})\n`,
    );
    return 1;
  }
  const since = s.startedAt === undefined ? '' : `, up since ${s.startedAt}`;
  const ownRss = s.running && s.ownerRssBytes !== undefined ? `, ${megabytes(s.ownerRssBytes)} RSS` : '';
  io.out(
    `local cloud at ${s.endpoint} (pid ${s.ownerPid}${ownRss}${since})${s.up ? '' : `: NOT UP, ${s.problem}`}\n`,
  );
  for (const e of s.emulators) {
    const rss = e.rssBytes === undefined ? '' : `, ${megabytes(e.rssBytes)} RSS`;
    const states = e.services
      .filter((service) => (LOCAL_CLOUD_SERVICES as readonly string[]).includes(service))
      .map((service) => `${service} ${s.services[service] ?? 'stopped'}`)
      .join(', ');
    io.out(
      `  ${e.name.padEnd(15)} pid ${`${e.pid}`.padEnd(8)} ${e.running ? 'alive' : 'GONE'}${rss}: ${states}\n`,
    );
  }
  const emulated = new Set(s.emulators.flatMap((e) => e.services));
  const inProcess = Object.entries(s.services).filter(([service]) => !emulated.has(service));
  if (inProcess.length > 0) {
    const states = inProcess.map(([service, state]) => `${service} ${state}`).join(', ');
    io.out(
      `  ${'in process'.padEnd(15)} pid ${`${s.ownerPid}`.padEnd(8)} ${s.running ? 'alive' : 'GONE'}: ${states}\n`,
    );
  }
  return s.up ? 0 : 1;
}

async function down(stateDir: string, port: number | undefined, io: CliIO): Promise<number> {
  if (port !== undefined) {
    const recorded = (await localCloudStatus(stateDir)).endpoint;
    if (recorded !== undefined && portOf(recorded) !== port) {
      throw new CliError(
        `the local cloud recorded in ${shown(stateDir)} listens at ${recorded}, not on port ${port}: nothing stopped (pass its --port, or none)`,
      );
    }
  }
  const result = await stopLocalCloud(stateDir);
  if (!result.wasRecorded) {
    io.out(`local cloud is not running (nothing recorded in ${shown(stateDir)})\n`);
    return 0;
  }
  if (result.remaining.length > 0) {
    throw new CliError(
      `could not stop every process of the local cloud: ${result.remaining.join(', ')} still running`,
    );
  }
  const what = result.stopped.length === 0 ? 'nothing was running any more' : result.stopped.join(', ');
  io.out(`local cloud ${result.stale ? 'state cleared (its process had died)' : 'stopped'}: ${what}\n`);
  return 0;
}
