#!/usr/bin/env node
// Bundles the Lambda handlers with esbuild into generic bundles, dist/lambdas/<name>/index.mjs (+ index.mjs.map),
// once per build: no spec and no model is compiled in. At synth the constructs stage a function directory with
// the bundle, the normalized spec.json and, for score, models.json beside it (lib/streamfeatures-function.ts);
// the handler reads them from its own directory at cold start (lambdas/shared/spec.ts). So a consumer's
// `cdk synth` needs neither esbuild nor these sources. Prints each bundle's minified size with what makes it up
// (the esbuild metafile is kept as .tmp/bundle-meta/<name>.meta.json, for https://esbuild.github.io/analyze/).
//
//   node scripts/bundle-lambdas.mjs [--outdir dist/lambdas] [--quiet] [name ...]
//
// This repository's cdk.json runs it before the app, so a synth here always deploys the handlers' current code.
//
// `@aws-sdk/*` stays external: the Node 22 Lambda runtime ships SDK v3 (the local cloud runs the bundles on
// Node 20 with the SDK from node_modules).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));

export const HANDLERS = {
  features: 'lambdas/features/handler.ts',
  score: 'lambdas/score/handler.ts',
  ingest: 'lambdas/ingest/handler.ts',
  labels: 'lambdas/labels/handler.ts',
  'labels-stream': 'lambdas/labels/stream-handler.ts',
  'spec-guard': 'lambdas/spec-guard/handler.ts',
  monitor: 'lambdas/monitor/handler.ts',
};

/** The size a bundle should stay under, minified. */
export const TARGET_BYTES = 150 * 1024;

/** ESM on Lambda: CommonJS dependencies still call require(), which an ES module lacks. */
export const REQUIRE_BANNER =
  "import { createRequire as __sfCreateRequire } from 'node:module'; const require = __sfCreateRequire(import.meta.url);";

/**
 * The esbuild options of one handler: platform node, target node22 (the functions' runtime), ESM with a
 * createRequire banner, minified, AWS SDK v3 external, and `__STREAMFEATURES_BUNDLE__` defined so the handler
 * reads its spec and models from its own directory. The source map is its own file with a `sourceMappingURL`
 * comment in the bundle (esbuild "linked"): Node's --enable-source-maps finds a map only through that comment.
 */
export function esbuildOptions(name, outdir) {
  return {
    entryPoints: [join(root, HANDLERS[name])],
    outfile: join(outdir, name, 'index.mjs'),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    mainFields: ['module', 'main'],
    banner: { js: REQUIRE_BANNER },
    minify: true,
    sourcemap: 'linked',
    sourcesContent: false,
    external: ['@aws-sdk/*'],
    define: { __STREAMFEATURES_BUNDLE__: 'true' },
    metafile: true,
    logLevel: 'warning',
  };
}

/**
 * Bundles the handlers; returns per bundle its path, its size in bytes and the bytes each package (or the
 * project) puts in it.
 */
export async function bundleLambdas({
  outdir = join(root, 'dist/lambdas'),
  names = Object.keys(HANDLERS),
} = {}) {
  const metaDir = join(root, '.tmp/bundle-meta');
  mkdirSync(metaDir, { recursive: true });
  const results = [];
  for (const name of names) {
    if (!HANDLERS[name])
      throw new Error(`unknown handler ${JSON.stringify(name)} (known: ${Object.keys(HANDLERS).join(', ')})`);
    const options = esbuildOptions(name, outdir);
    const { metafile } = await build(options);
    // Outside the function's folder and the package: the folder is what gets deployed.
    writeFileSync(join(metaDir, `${name}.meta.json`), JSON.stringify(metafile));
    const [, info] = Object.entries(metafile.outputs).find(([path]) => path.endsWith('.mjs'));
    results.push({ name, file: options.outfile, bytes: info.bytes, breakdown: breakdown(info.inputs) });
  }
  return results;
}

/** Bytes in the output per npm package, with the project's own files as `(project)`. */
function breakdown(inputs) {
  const byPackage = new Map();
  for (const [path, { bytesInOutput }] of Object.entries(inputs)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    const name = match ? match[1] : '(project)';
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
  return [...byPackage.entries()].sort((a, b) => b[1] - a[1]);
}

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;

/** The size report: each bundle against the target, then what makes it up. */
export function sizeReport(results) {
  const lines = [`bundle     bytes (minified)        target < ${kb(TARGET_BYTES)}`];
  for (const { name, bytes } of results) {
    const verdict = bytes <= TARGET_BYTES ? 'ok' : `OVER by ${kb(bytes - TARGET_BYTES)}`;
    lines.push(`${name.padEnd(10)} ${String(bytes).padStart(8)}  ${kb(bytes).padStart(9)}   ${verdict}`);
  }
  for (const { name, breakdown: parts } of results) {
    const shown = parts.filter(([, bytes]) => bytes >= 1024).map(([pkg, bytes]) => `${pkg} ${kb(bytes)}`);
    lines.push('', `${name}: ${shown.join(', ')}`);
  }
  return lines.join('\n');
}

async function main(argv) {
  const options = { names: [] };
  let quiet = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--outdir') options.outdir = resolve(argv[++i]);
    else if (arg === '--quiet') quiet = true;
    else if (arg === '--help' || arg === '-h') {
      console.log(
        'usage: node scripts/bundle-lambdas.mjs [--outdir DIR] [--quiet] [features|score|ingest|labels|spec-guard|monitor ...]',
      );
      return 0;
    } else options.names.push(arg);
  }
  if (options.names.length === 0) delete options.names;
  const results = await bundleLambdas(options);
  if (!quiet) console.log(sizeReport(results));
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
