/**
 * Where the Worker's code (worker.ts) is found: next to the CLI's bundle as `lambda-worker.mjs`
 * (scripts/build.mjs builds it), or, when the local cloud runs from source (tests, tsx), transpiled from
 * worker.ts with esbuild (a devDependency, there whenever the sources are) into a `data:` URL.
 */

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

let script: Promise<URL> | undefined;

/** The URL a Worker of a local function loads (worked out once per process). */
export function workerScript(): Promise<URL> {
  script ??= locate();
  return script;
}

async function locate(): Promise<URL> {
  const bundled = new URL('./lambda-worker.mjs', import.meta.url);
  if (existsSync(fileURLToPath(bundled))) return bundled;
  const source = new URL('./worker.ts', import.meta.url);
  if (!existsSync(fileURLToPath(source))) {
    throw new Error(
      `The Lambda worker is missing: neither ${bundled.pathname} nor ${source.pathname} exists`,
    );
  }
  const { transform } = await import('esbuild');
  const { code } = await transform(readFileSync(source, 'utf8'), {
    loader: 'ts',
    format: 'esm',
    target: 'node20',
    sourcefile: fileURLToPath(source),
  });
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}
