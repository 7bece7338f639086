/**
 * The CDK app the demo deploys: synthesized with the CDK CLI, as a user would (`cdk synth`), once for the default
 * stack (kept in cdk.out while it is newer than the sources) and once more with a challenger model in shadow mode
 * (`-c modelRegistry=… -c challenger=…`, into a scratch folder).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, type CliIO } from './io.js';
import { cdkCli, packagePath, packageRoot } from './package-files.js';

/** The sources a synthesized template and its bundles are built from. */
const SOURCES = ['lib', 'lambdas', 'core', 'adapters', 'bin/app.ts'].map(packagePath);

/** Runs `cdk synth --quiet` when `cdkOut` lacks the stack or is older than a source; its duration, if run. */
export async function synthesizeIfStale(
  cdkOut: string,
  stack: string,
  io: CliIO,
): Promise<number | undefined> {
  const template = join(cdkOut, `${stack}.template.json`);
  const builtAt = existsSync(template) ? statSync(template).mtimeMs : 0;
  const newest = Math.max(...SOURCES.map((s) => (existsSync(s) ? newestMtime(s) : 0)));
  if (builtAt > newest) return undefined;
  io.err(
    `synthesizing the CDK app (${builtAt === 0 ? 'no cdk.out' : 'cdk.out is older than the sources'})...\n`,
  );
  return cdkSynth([]);
}

/**
 * `cdk synth --quiet -o <out> -c modelRegistry=<registry> -c challenger={"version":…,"mode":"shadow"}`: the same
 * app with a challenger scored beside the champion on every request and logged, never answered. Its duration.
 */
export function synthesizeWithShadow(out: string, registry: string, challenger: string): Promise<number> {
  return cdkSynth([
    '-o',
    out,
    '-c',
    `modelRegistry=${registry}`,
    '-c',
    `challenger=${JSON.stringify({ version: challenger, mode: 'shadow' })}`,
  ]);
}

async function cdkSynth(args: readonly string[]): Promise<number> {
  const started = performance.now();
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [cdkCli(), 'synth', '--quiet', ...args], {
      cwd: packageRoot(),
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (status) => resolve(status ?? 1));
  });
  if (code !== 0) {
    throw new CliError(`cdk synth --quiet ${args.join(' ')} in ${packageRoot()} failed (exit ${code})`);
  }
  return performance.now() - started;
}

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}
