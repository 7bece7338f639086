/**
 * The local cloud's state file (`<state dir>/state.json`): where a running cloud listens, and the pid and start
 * time of its own process and of each emulator, so another process (the CLI's `local status` and `local down`)
 * finds it, and a pid reused by an unrelated process is never taken for it. Written atomically (a rename).
 */

import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_STATE_DIR = '.streamfeatures/local';

export interface EmulatorInfo {
  /** `kinesis-mock`, `DynamoDB Local`, `fauxqs` */
  name: string;
  services: string[];
  pid: number;
  /** Its own endpoint, behind the gateway. */
  endpoint: string;
  /** From the start of the cloud to this emulator answering. */
  readyMs: number;
}

export interface StateFile {
  version: 1;
  endpoint: string;
  port: number;
  owner: { pid: number; startId: string | undefined; kind: 'cli' | 'embedded' };
  startedAt: string;
  startupMs: number;
  emulators: Array<EmulatorInfo & { startId: string | undefined }>;
}

const STATE_FILE = 'state.json';

export function readState(stateDir: string): StateFile | undefined {
  let text: string;
  try {
    text = readFileSync(join(stateDir, STATE_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const state = JSON.parse(text) as StateFile;
    return state.version === 1 ? state : undefined;
  } catch {
    return undefined;
  }
}

/** Creates the state directory, with a .gitignore that keeps it (state, log) out of version control. */
export function prepareStateDir(stateDir: string): void {
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(join(stateDir, '.gitignore'), '*\n');
}

export function writeState(stateDir: string, state: StateFile): void {
  prepareStateDir(stateDir);
  const temporary = join(stateDir, `${STATE_FILE}.${process.pid}.tmp`);
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(temporary, join(stateDir, STATE_FILE));
}

/** Removes the state file if it still describes the cloud of `ownerPid`. */
export function removeState(stateDir: string, ownerPid: number): void {
  if (readState(stateDir)?.owner.pid === ownerPid) rmSync(join(stateDir, STATE_FILE), { force: true });
}
