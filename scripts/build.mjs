// Builds what the package ships, into dist/: the CLI bundle, the generic Lambda bundles (dist/lambdas/<name>/),
// the library compiled by tsc with its declarations (dist/lib/index.js + .d.ts, and the core and adapters it
// imports), and the default model registry (dist/models/). `--quiet` leaves out the bundle-size report.
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';
import { bundleLambdas, sizeReport } from './bundle-lambdas.mjs';

const quiet = process.argv.includes('--quiet');

// Dependencies stay in node_modules (the CLI runs where it is installed).
await build({
  entryPoints: {
    streamfeatures: 'bin/streamfeatures.ts',
    // The code each local Lambda execution environment runs in its Worker (packages/local-cloud/src/lambda/worker-script.ts).
    'lambda-worker': 'packages/local-cloud/src/lambda/worker.ts',
  },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  packages: 'external',
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  // Stack traces need the mappings only; the sources would double the package.
  sourcesContent: false,
  logLevel: 'warning',
});

const bundles = await bundleLambdas();
if (!quiet) console.log(sizeReport(bundles));

// The models the scoring function embeds by default (lib/model-registry.ts DEFAULT_MODEL_REGISTRY).
rmSync('dist/models', { recursive: true, force: true });
cpSync('examples/fraud/models', 'dist/models', { recursive: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
