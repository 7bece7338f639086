/**
 * The local cloud seen from another process, through its state file (local-cloud-state.ts): `localCloudStatus`
 * (the CLI's `local status`: its processes checked by pid and start time, its health endpoint asked) and
 * `stopLocalCloud` (`local down`: SIGTERM to the cloud's process, SIGKILL to any emulator left, the state removed).
 */

import { resolve } from 'node:path';
import { sleep } from './emulator-process.js';
import { DEFAULT_STATE_DIR, readState, removeState } from './local-cloud-state.js';
import { isSameProcess, listProcesses } from './process-table.js';

/** A state whose owner is gone: ends what it left behind (the watchdogs normally have) and forgets it. */
export async function clearStaleState(stateDir: string): Promise<void> {
  const state = readState(stateDir);
  if (state === undefined) return;
  if (isSameProcess(state.owner.pid, state.owner.startId)) {
    throw new Error(
      `A local cloud is already running at ${state.endpoint} (pid ${state.owner.pid}, state in ${stateDir}). Stop it first (streamfeatures local down).`,
    );
  }
  await stopLocalCloud(stateDir);
}

export interface LocalCloudStatus {
  /** True when the cloud's process runs and every service answers its probe. */
  up: boolean;
  /** True when the process that owns the recorded cloud runs (it may still be unhealthy). */
  running: boolean;
  stateDir: string;
  /** Why it is not up. */
  problem?: string;
  endpoint?: string;
  ownerPid?: number;
  /** Of the cloud's own process (the endpoint), when it runs. */
  ownerRssBytes?: number;
  startedAt?: string;
  startupMs?: number;
  /** From `/_localstack/health`; empty when the endpoint does not answer. */
  services: Record<string, string>;
  emulators: Array<{ name: string; services: string[]; pid: number; running: boolean; rssBytes?: number }>;
}

/** What the state in `stateDir` says runs, checked against the processes and the health endpoint. */
export async function localCloudStatus(stateDir: string = DEFAULT_STATE_DIR): Promise<LocalCloudStatus> {
  const dir = resolve(stateDir);
  const state = readState(dir);
  if (state === undefined) {
    return {
      up: false,
      running: false,
      stateDir: dir,
      problem: `no local cloud recorded in ${dir}`,
      services: {},
      emulators: [],
    };
  }
  const rss = new Map(listProcesses().map((p) => [p.pid, p.rssBytes]));
  const emulators = state.emulators.map((e) => {
    const alive = isSameProcess(e.pid, e.startId);
    const rssBytes = alive ? rss.get(e.pid) : undefined;
    return {
      name: e.name,
      services: e.services,
      pid: e.pid,
      running: alive,
      ...(rssBytes === undefined ? {} : { rssBytes }),
    };
  });
  const ownerRss = rss.get(state.owner.pid);
  const base = {
    stateDir: dir,
    endpoint: state.endpoint,
    ownerPid: state.owner.pid,
    ...(ownerRss === undefined ? {} : { ownerRssBytes: ownerRss }),
    startedAt: state.startedAt,
    startupMs: state.startupMs,
    emulators,
  };
  if (!isSameProcess(state.owner.pid, state.owner.startId)) {
    return {
      ...base,
      up: false,
      running: false,
      problem: `the local cloud's process (pid ${state.owner.pid}) is gone; \`streamfeatures local down\` clears what it left`,
      services: {},
    };
  }
  let services: Record<string, string>;
  try {
    const response = await fetch(`${state.endpoint}/_localstack/health`, {
      signal: AbortSignal.timeout(5_000),
    });
    services = ((await response.json()) as { services?: Record<string, string> }).services ?? {};
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      ...base,
      up: false,
      running: true,
      problem: `${state.endpoint} does not answer (${reason})`,
      services: {},
    };
  }
  const down = Object.entries(services).filter(([, s]) => s !== 'running');
  return {
    ...base,
    up: down.length === 0 && Object.keys(services).length > 0,
    running: true,
    ...(down.length === 0
      ? {}
      : { problem: `not running: ${down.map(([name, s]) => `${name} (${s})`).join(', ')}` }),
    services,
  };
}

export interface StopResult {
  /** False when no cloud was recorded in the state directory. */
  wasRecorded: boolean;
  /** The cloud's process had died already (killed, or the machine slept through a reboot). */
  stale: boolean;
  endpoint?: string;
  /** Processes ended: the cloud's own and each emulator. */
  stopped: string[];
  /** Processes still running after everything was tried (empty on success). */
  remaining: string[];
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    if (process.platform === 'win32') process.kill(pid, signal);
    else process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

async function waitGone(
  pids: Array<{ pid: number; startId: string | undefined }>,
  ms: number,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (pids.some((p) => isSameProcess(p.pid, p.startId)) && Date.now() < deadline) await sleep(100);
}

/**
 * Stops the cloud recorded in `stateDir` from any process: SIGTERM to the cloud's own process (which stops
 * its emulators), SIGKILL to the process group of any emulator still running after that, and the state file
 * removed. Safe to run when nothing runs. Refuses a cloud embedded in a running program (that program must
 * stop it).
 */
export async function stopLocalCloud(stateDir: string = DEFAULT_STATE_DIR): Promise<StopResult> {
  const dir = resolve(stateDir);
  const state = readState(dir);
  if (state === undefined) return { wasRecorded: false, stale: false, stopped: [], remaining: [] };
  const stopped: string[] = [];
  const owner = state.owner;
  const aliveAtStart = state.emulators.filter((e) => e.pid > 0 && isSameProcess(e.pid, e.startId));
  const ownerAlive = isSameProcess(owner.pid, owner.startId);
  if (ownerAlive) {
    if (owner.kind !== 'cli') {
      throw new Error(
        `The local cloud at ${state.endpoint} runs inside process ${owner.pid}, which started it with startLocalCloud: stop it there.`,
      );
    }
    process.kill(owner.pid, 'SIGTERM');
    await waitGone([owner], 30_000);
    if (isSameProcess(owner.pid, owner.startId)) {
      // Its watchdogs SIGKILL the emulators when it dies.
      process.kill(owner.pid, 'SIGKILL');
      await waitGone([owner], 5_000);
    }
    stopped.push(`local cloud (pid ${owner.pid})`);
  }
  const left = state.emulators.filter((e) => e.pid > 0 && isSameProcess(e.pid, e.startId));
  for (const emulator of left) signalGroup(emulator.pid, 'SIGKILL');
  await waitGone(left, 5_000);
  for (const emulator of aliveAtStart) stopped.push(`${emulator.name} (pid ${emulator.pid})`);
  const remaining = [owner, ...state.emulators]
    .filter((p) => p.pid > 0 && isSameProcess(p.pid, p.startId))
    .map((p) => `pid ${p.pid}`);
  if (remaining.length === 0) removeState(dir, owner.pid);
  return { wasRecorded: true, stale: !ownerAlive, endpoint: state.endpoint, stopped, remaining };
}
