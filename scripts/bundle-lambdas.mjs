#!/usr/bin/env node
// Bundles the Lambda handlers with esbuild the way the CDK app does (NodejsFunction, Node 22, ESM), into
// dist/lambdas/<name>/index.mjs (+ index.mjs.map), and prints each bundle's minified size with what makes it up
// (the esbuild metafile is kept as dist/lambdas/<name>.meta.json, for https://esbuild.github.io/analyze/).
//
//   node scripts/bundle-lambdas.mjs [--spec examples/fraud/spec.json] [--outdir dist/lambdas]
//     [--registry DIR] [--model VERSION] [--challenger VERSION] [name ...]
//
// The normalized spec is built in as a constant (__STREAMFEATURES_SPEC__), so a bundle needs no spec file; the
// score bundle also gets its models (__STREAMFEATURES_MODELS__): the model VERSION of the registry and, when
// named, an embedded challenger, read and checked as the CDK app does (lib/model-registry.ts). The registry and
// the model default to the app's (lib/config.ts).
// `@aws-sdk/*` stays external: the Node 22 Lambda runtime ships SDK v3 (the local cloud runs the bundles on
// Node 20 with the SDK from node_modules).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { tsImport } from 'tsx/esm/api';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));

export const HANDLERS = {
  features: 'lambdas/features/handler.ts',
  score: 'lambdas/score/handler.ts',
  ingest: 'lambdas/ingest/handler.ts',
};

/** The size a bundle should stay under, minified. */
export const TARGET_BYTES = 150 * 1024;

/** ESM on Lambda: CommonJS dependencies still call require(), which an ES module lacks. */
export const REQUIRE_BANNER =
  "import { createRequire as __sfCreateRequire } from 'node:module'; const require = __sfCreateRequire(import.meta.url);";

/**
 * The esbuild options of one handler, mirroring the CDK's NodejsFunction bundling: platform node, target
 * node22, ESM with a createRequire banner, minified, AWS SDK v3 external, the spec defined. The source map is
 * its own file with a `sourceMappingURL` comment in the bundle (esbuild "linked", the CDK's SourceMapMode.DEFAULT):
 * Node's --enable-source-maps finds a map only through that comment, which "external" leaves out.
 */
export function esbuildOptions(name, normalizedSpec, outdir, constants = {}) {
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
    define: Object.fromEntries(
      Object.entries({ __STREAMFEATURES_SPEC__: normalizedSpec, ...constants }).map(([key, value]) => [
        key,
        JSON.stringify(JSON.stringify(value)),
      ]),
    ),
    metafile: true,
    logLevel: 'warning',
  };
}

/** Reads, validates and normalizes a spec file with the project's own parser. */
export async function normalizedSpecOf(specPath) {
  const core = await tsImport(pathToFileURL(join(root, 'core/index.ts')).href, import.meta.url);
  return core.parseSpecJson(readFileSync(specPath, 'utf8'), specPath);
}

/**
 * The score bundle's models, as the CDK app builds them in (lib/scoring-api.ts): the registry and model version
 * default to the app config's defaults.
 */
export async function modelsOf({ registry, model, challenger } = {}) {
  const config = await tsImport(pathToFileURL(join(root, 'lib/config.ts')).href, import.meta.url);
  const registryModule = await tsImport(
    pathToFileURL(join(root, 'lib/model-registry.ts')).href,
    import.meta.url,
  );
  const defaults = config.parseConfig({}).scoring.model;
  return registryModule.modelsToBuildIn(
    registry ?? join(root, defaults.registry),
    model ?? defaults.version,
    challenger,
  );
}

/**
 * Bundles the handlers; returns per bundle its path, its size in bytes and the bytes each package (or the
 * project) puts in it.
 */
export async function bundleLambdas({
  spec = join(root, 'examples/fraud/spec.json'),
  outdir = join(root, 'dist/lambdas'),
  names = Object.keys(HANDLERS),
  registry,
  model,
  challenger,
} = {}) {
  const normalized = await normalizedSpecOf(spec);
  const results = [];
  for (const name of names) {
    if (!HANDLERS[name])
      throw new Error(`unknown handler ${JSON.stringify(name)} (known: ${Object.keys(HANDLERS).join(', ')})`);
    const constants =
      name === 'score' ? { __STREAMFEATURES_MODELS__: await modelsOf({ registry, model, challenger }) } : {};
    const options = esbuildOptions(name, normalized, outdir, constants);
    const { metafile } = await build(options);
    // Beside the function's folder, not in it: the folder is what gets deployed.
    mkdirSync(outdir, { recursive: true });
    writeFileSync(join(outdir, `${name}.meta.json`), JSON.stringify(metafile));
    const output = Object.entries(metafile.outputs).find(([path]) => path.endsWith('.mjs'));
    const [, info] = output;
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

async function main(argv) {
  const options = { names: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--spec') options.spec = resolve(argv[++i]);
    else if (arg === '--outdir') options.outdir = resolve(argv[++i]);
    else if (arg === '--registry') options.registry = resolve(argv[++i]);
    else if (arg === '--model') options.model = argv[++i];
    else if (arg === '--challenger') options.challenger = argv[++i];
    else if (arg === '--help' || arg === '-h') {
      console.log(
        'usage: node scripts/bundle-lambdas.mjs [--spec FILE] [--outdir DIR] [--registry DIR] [--model VERSION] ' +
          '[--challenger VERSION] [features|score|ingest ...]',
      );
      return 0;
    } else options.names.push(arg);
  }
  if (options.names.length === 0) delete options.names;
  const results = await bundleLambdas(options);

  console.log(`bundle     bytes (minified)        target < ${kb(TARGET_BYTES)}`);
  for (const { name, bytes } of results) {
    const verdict = bytes <= TARGET_BYTES ? 'ok' : `OVER by ${kb(bytes - TARGET_BYTES)}`;
    console.log(`${name.padEnd(10)} ${String(bytes).padStart(8)}  ${kb(bytes).padStart(9)}   ${verdict}`);
  }
  for (const { name, breakdown: parts } of results) {
    const shown = parts.filter(([, bytes]) => bytes >= 1024).map(([pkg, bytes]) => `${pkg} ${kb(bytes)}`);
    console.log(`\n${name}: ${shown.join(', ')}`);
  }
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
