import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { CliIO } from '../../cli/io.js';

const run = promisify(execFile);

/** The built CLI: `npm test` builds it first. */
export const CLI = resolve('dist/streamfeatures.mjs');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI in a child process, as `npx streamfeatures` would; resolves with the exit code (-1 when it was
 * killed, at `timeoutMs` say) and output, never rejects.
 */
export async function runCli(
  args: readonly string[],
  env?: NodeJS.ProcessEnv,
  cwd?: string,
  timeoutMs?: number,
): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      ...(env ? { env } : {}),
      ...(cwd ? { cwd } : {}),
      ...(timeoutMs ? { timeout: timeoutMs } : {}),
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as Partial<CliResult>;
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Runs the CLI's code in this process (no build needed), capturing what it prints; resolves with the exit code. */
export async function runCliInProcess(...argv: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
  };
  // Loaded on first use: the tests that run the built CLI in a child process need none of its code here.
  const { runCli: runCliMain } = await import('../../cli/main.js');
  const code = await runCliMain(argv, io);
  return { code, stdout, stderr };
}
