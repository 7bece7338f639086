import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError } from './io.js';

/**
 * Files the CLI ships with (the fraud example, the CDK app) and the tools it runs (the CDK CLI), found from this
 * package's own folder rather than the working directory, so every command works from any folder. The CLI runs
 * from its sources (cli/) or bundled (dist/streamfeatures.mjs): both sit one folder below the package root, but
 * the root is found by its package.json, whatever the depth.
 */

let root: string | undefined;

/** The folder of the streamfeatures package this code belongs to. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'streamfeatures'
    ) {
      root = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(`cannot find the streamfeatures package above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** A path inside the package, e.g. `packagePath('examples/fraud/spec.json')`. */
export function packagePath(relative: string): string {
  return join(packageRoot(), relative);
}

/**
 * The CDK CLI's entry script, from this package's own dependencies (never `npx cdk`, which outside this package
 * fetches an unrelated `cdk` package). Run it with `node`.
 */
export function cdkCli(): string {
  try {
    return createRequire(packagePath('package.json')).resolve('aws-cdk/bin/cdk');
  } catch {
    throw new CliError(
      `the AWS CDK CLI (npm package aws-cdk) is not installed where streamfeatures is (${packageRoot()}): ` +
        'install it beside streamfeatures (npm install aws-cdk)',
    );
  }
}
