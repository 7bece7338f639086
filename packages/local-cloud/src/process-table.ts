/**
 * The processes of this machine as `ps` and /proc show them: pid, parent, group, RSS and command line, and the
 * start time that tells a process apart from a later one given the same pid (the state file, `down`, the tests).
 */

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** A process as `ps` sees it. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  rssBytes: number;
  args: string;
}

/** Every process of this machine (`ps -eo pid,ppid,pgid,rss,args`); empty where `ps` is missing. */
export function listProcesses(): ProcessInfo[] {
  let output: string;
  try {
    output = execFileSync('ps', ['-eo', 'pid=,ppid=,pgid=,rss=,args='], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch {
    return [];
  }
  const processes: ProcessInfo[] = [];
  for (const line of output.split('\n')) {
    const match = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (match === null) continue;
    processes.push({
      pid: Number(match[1]),
      ppid: Number(match[2]),
      pgid: Number(match[3]),
      rssBytes: Number(match[4]) * 1024,
      args: match[5] ?? '',
    });
  }
  return processes;
}

/**
 * What tells this process apart from a later one given the same pid: its start time (clock ticks since boot
 * on Linux, from /proc; `ps -o lstart` elsewhere). Undefined when no such process is running.
 */
export function processStartId(pid: number): string | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command (which may hold spaces and parentheses): state is field 3, starttime 22.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') return undefined; // exited, not yet reaped
      return fields[19];
    } catch {
      return undefined;
    }
  }
  try {
    const started = execFileSync('ps', ['-o', 'lstart=', '-p', `${pid}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return started === '' ? undefined : started;
  } catch {
    return undefined;
  }
}

/** True when `pid` runs and is the process that had `startId` (not a later one with the same pid). */
export function isSameProcess(pid: number, startId: string | undefined): boolean {
  const now = processStartId(pid);
  return now !== undefined && (startId === undefined || now === startId);
}
