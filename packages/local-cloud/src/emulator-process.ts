/**
 * Starts the Node-based emulators of the local cloud (kinesis-mock, fauxqs) as child processes that never
 * outlive us, with the care src/dynamodb-local.ts takes for java:
 * - each runs in its own process group (detached) and is stopped by signalling the whole group: SIGTERM,
 *   then SIGKILL after a grace period (kinesis-mock can hang in its shutdown hooks after a broken HTTP/2
 *   connection, so the grace period is what ends it);
 * - a tiny `sh` watchdog per process SIGKILLs the group when this Node process dies without running its
 *   'exit' handlers (SIGKILL), and an 'exit' handler covers the ordinary exits;
 * - ports are checked before the start (so a port taken is named, and a server already there cannot answer
 *   our readiness probe), and an emulator that exits before it is ready fails with its last output lines.
 * Also: finding a package's folder in node_modules. Reading processes (pid, group, RSS, start time) for the
 * state file, `down` and the tests is process-table.ts's (re-exported here).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export { isSameProcess, listProcesses, type ProcessInfo, processStartId } from './process-table.js';

export interface EmulatorProcessOptions {
  /** Names the emulator in errors and logs, e.g. `kinesis-mock`. */
  name: string;
  /** Arguments to `node` (the emulators are Node programs; we run them on the Node running us). */
  args: string[];
  cwd?: string;
  /** The child's whole environment (not merged with ours: emulators read generic names like LOG_LEVEL). */
  env: NodeJS.ProcessEnv;
  /** Every port it will listen on: checked free before the start, named when taken. */
  ports: number[];
  /** Resolves true once the emulator answers; polled every 100 ms until then. */
  probe(signal: AbortSignal): Promise<boolean>;
  /** @default 30_000 */
  readyTimeoutMs?: number;
  /** How long SIGTERM gets before SIGKILL. @default 2_000 */
  stopGraceMs?: number;
  /** Each line the emulator prints (stdout and stderr), for a log. */
  onOutput?: (line: string) => void;
}

export interface EmulatorProcess {
  readonly name: string;
  readonly pid: number;
  /** Resolves once the process has exited. */
  readonly exited: Promise<void>;
  running(): boolean;
  /** Its last output lines (stderr preferred), formatted for an error message. */
  lastOutput(): string;
  /** Stops the process group (SIGTERM, then SIGKILL after the grace period); resolves once it has exited. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const OUTPUT_LINES_KEPT = 30;
const isWindows = process.platform === 'win32';

/** A port someone else holds. The message names the port and the emulator that wanted it. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    what: string,
    hint = 'Stop whatever is using it.',
  ) {
    super(`${what} cannot listen on port ${port}: the port is already in use. ${hint}`);
    this.name = 'PortInUseError';
  }
}

/** The folder of an installed npm package, found the way Node does: node_modules/<name> up from here. */
export function packageDir(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(
        `The npm package ${name} is not installed (looked in node_modules up from ${dir}). Run npm ci.`,
      );
    }
    dir = parent;
  }
}

/** Resolves true when `host:port` can be bound right now (then releases it). */
export async function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Free on loopback and on all interfaces (the emulators bind 0.0.0.0 or ::, which we cannot change). */
export async function portIsFree(port: number): Promise<boolean> {
  return (await canBind(port, HOST)) && (await canBind(port, '0.0.0.0'));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A started process that must not outlive this Node process. */
interface Running {
  child: ChildProcess;
  watchdog: ChildProcess | undefined;
}
const running = new Set<Running>();
let exitHandlerInstalled = false;

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    if (isWindows) child.kill(signal);
    else process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function killWatchdog(entry: Running): void {
  const watchdog = entry.watchdog;
  if (watchdog?.pid === undefined || watchdog.exitCode !== null || watchdog.signalCode !== null) return;
  try {
    watchdog.kill('SIGKILL');
  } catch {
    // Already gone.
  }
}

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  // 'exit' handlers must be synchronous: signal and forget. The watchdogs cover deaths that skip 'exit'.
  process.on('exit', () => {
    for (const entry of running) {
      killWatchdog(entry);
      signalGroup(entry.child, 'SIGKILL');
    }
  });
}

/**
 * A detached `sh` blocked reading a pipe from us: when this process dies for any reason the kernel closes
 * the pipe, `read` returns, and it SIGKILLs the emulator's process group.
 */
function startWatchdog(pgid: number): ChildProcess | undefined {
  if (isWindows) return undefined;
  try {
    const watchdog = spawn(
      '/bin/sh',
      ['-c', 'read _ignored; kill -KILL -"$1" 2>/dev/null', 'sh', `${pgid}`],
      {
        detached: true,
        stdio: ['pipe', 'ignore', 'ignore'],
      },
    );
    watchdog.on('error', () => {});
    (watchdog.stdin as Socket | null)?.unref();
    watchdog.unref();
    return watchdog;
  } catch {
    return undefined;
  }
}

/** A child spawned detached (its own process group) that this module makes sure does not outlive us. */
export interface OwnedProcess {
  /** Resolves once the process has exited (or failed to spawn). */
  readonly exited: Promise<void>;
  hasExited(): boolean;
  /** The spawn's 'error', if any (ENOENT: no such executable). */
  spawnError(): Error | undefined;
  /** Stops the process group (SIGTERM, then SIGKILL after the grace period); resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * Takes charge of a child spawned detached: a watchdog and the 'exit' handler kill its group if we die, and
 * `stop()` signals the group. Idempotent stop.
 */
export function ownProcess(child: ChildProcess, stopGraceMs: number): OwnedProcess {
  let spawnError: Error | undefined;
  let hasExited = false;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      spawnError = error;
      if (child.pid === undefined) resolve(); // 'exit' may not follow a spawn failure
    });
  });
  void exited.then(() => {
    hasExited = true;
  });

  const entry: Running = { child, watchdog: undefined };
  if (child.pid !== undefined) {
    installExitHandler();
    entry.watchdog = startWatchdog(child.pid);
    running.add(entry);
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      child.ref();
      if (!hasExited) {
        signalGroup(child, 'SIGTERM');
        const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), stopGraceMs);
        await exited;
        clearTimeout(timer);
      }
      // The emulators and java start no processes of their own, so the group ends with its leader.
      // (Signalling the group id again now could reach an unrelated group that reused the id.)
      killWatchdog(entry);
      running.delete(entry);
    })();
    return stopping;
  };
  return { exited, hasExited: () => hasExited, spawnError: () => spawnError, stop };
}

/** Keeps the last lines of a stream and passes each line on. */
export function collectLines(
  stream: NodeJS.ReadableStream | null,
  lines: string[],
  onLine: ((line: string) => void) | undefined,
): void {
  if (stream === null) return;
  let partial = '';
  const take = (line: string) => {
    lines.push(line);
    if (lines.length > OUTPUT_LINES_KEPT) lines.shift();
    onLine?.(line);
  };
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) take(line.replace(/\r$/, ''));
  });
  stream.on('end', () => {
    if (partial !== '') take(partial);
  });
}

export function formatOutput(stderrLines: readonly string[], stdoutLines: readonly string[]): string {
  const stderr = stderrLines.filter((l) => l.trim() !== '').slice(-15);
  if (stderr.length > 0) return `\nLast stderr lines:\n${stderr.join('\n')}`;
  const stdout = stdoutLines.filter((l) => l.trim() !== '').slice(-10);
  return stdout.length > 0 ? `\nLast stdout lines:\n${stdout.join('\n')}` : '\n(no output)';
}

const ADDRESS_IN_USE = /EADDRINUSE|Address already in use/i;

/**
 * Starts `node <args>` as an emulator and resolves once `probe` answers. Rejects with a PortInUseError when
 * one of `ports` is taken (before starting, or when the emulator says so), and otherwise with the emulator's
 * last output lines if it exits or does not answer in time. Never leaves the process running on failure.
 */
export async function startEmulatorProcess(options: EmulatorProcessOptions): Promise<EmulatorProcess> {
  const { name } = options;
  for (const port of options.ports) {
    if (!(await portIsFree(port))) throw new PortInUseError(port, name);
  }

  const child = spawn(process.execPath, options.args, {
    cwd: options.cwd,
    env: options.env,
    detached: !isWindows,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdoutLines: string[] = [];
  const stderrLines: string[] = [];
  collectLines(child.stdout, stdoutLines, options.onOutput);
  collectLines(child.stderr, stderrLines, options.onOutput);

  const owned = ownProcess(child, options.stopGraceMs ?? 2_000);
  const { exited, stop } = owned;

  const lastOutput = () => formatOutput(stderrLines, stdoutLines);
  const onExit = new AbortController();
  void exited.then(() => onExit.abort());
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const deadline = Date.now() + readyTimeoutMs;
  let lastProbeError: unknown;
  for (;;) {
    if (owned.hasExited() || owned.spawnError() !== undefined) break;
    try {
      const ok = await options.probe(AbortSignal.any([onExit.signal, AbortSignal.timeout(2_000)]));
      await sleep(0);
      if (ok && !owned.hasExited() && child.pid !== undefined) {
        child.unref();
        (child.stdout as Socket | null)?.unref();
        (child.stderr as Socket | null)?.unref();
        const pid = child.pid;
        return { name, pid, exited, running: () => !owned.hasExited(), lastOutput, stop };
      }
    } catch (error) {
      lastProbeError = error;
    }
    if (Date.now() >= deadline) {
      await stop();
      const reason = lastProbeError instanceof Error ? ` (last error: ${lastProbeError.message})` : '';
      throw new Error(`${name} did not answer within ${readyTimeoutMs} ms${reason}.${lastOutput()}`);
    }
    await sleep(100);
  }

  await stop();
  const spawnError = owned.spawnError();
  if (spawnError !== undefined) throw new Error(`Could not start ${name} (node): ${spawnError.message}`);
  const output = [...stderrLines, ...stdoutLines].join('\n');
  if (ADDRESS_IN_USE.test(output)) {
    const port = options.ports.find((p) => output.includes(`:${p}`)) ?? options.ports[0] ?? 0;
    throw new PortInUseError(port, name);
  }
  throw new Error(
    `${name} exited before it was ready (exit code ${child.exitCode ?? 'none'}, signal ${child.signalCode ?? 'none'}).${lastOutput()}`,
  );
}

/** Starts with fresh free ports, retrying when one is taken between the check and the bind. */
export async function withFreePorts<T>(count: number, start: (ports: number[]) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const ports: number[] = [];
    while (ports.length < count) {
      const port = await findFreePort();
      if (!ports.includes(port)) ports.push(port);
    }
    try {
      return await start(ports);
    } catch (error) {
      // Only a port we picked can be swapped for another; a port the caller asked for cannot.
      if (!(error instanceof PortInUseError) || !ports.includes(error.port) || attempt >= 3) throw error;
    }
  }
}

/** Binds port 0 on loopback, reads the port the OS chose, and releases it. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host: HOST, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() =>
        port === undefined ? reject(new Error('Could not read a free port')) : resolve(port),
      );
    });
  });
}
