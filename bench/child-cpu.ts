/**
 * CPU time of a child process of the bench (DynamoDB Local's java), from /proc on Linux: to tell, per batch, how
 * much of a DynamoDB Local call's time was its own work and how much waiting for a core. Undefined where /proc is
 * not there or no such child runs.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks a second in /proc/<pid>/stat: USER_HZ, 100 on Linux. */
const TICKS_PER_SECOND = 100;

/** The CPU ms so far of the bench's child named `command`, or undefined. */
export function childCpuMs(command: string): (() => number | undefined) | undefined {
  const pid = childPid(command);
  if (pid === undefined) return undefined;
  return () => {
    const fields = statFields(pid);
    if (!fields) return undefined;
    // utime and stime: fields 14 and 15 of stat, 11 and 12 after the command's closing parenthesis.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  };
}

function childPid(command: string): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (stat?.command === command && Number(stat.fields[1]) === process.pid) return Number(entry);
  }
  return undefined;
}

function statFields(pid: number): string[] | undefined {
  return readStat(String(pid))?.fields;
}

/** /proc/<pid>/stat: the command in parentheses, then the fields from state on (state, ppid, ...). */
function readStat(pid: string): { command: string; fields: string[] } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  return {
    command: text.slice(open + 1, close),
    fields: text
      .slice(close + 2)
      .trim()
      .split(' '),
  };
}
