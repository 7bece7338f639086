// Bundles the CLI with esbuild into dist/. Dependencies stay in node_modules (the CLI runs where it is installed).
import { build } from 'esbuild';

await build({
  entryPoints: {
    streamfeatures: 'bin/streamfeatures.ts',
    // The code each local Lambda execution environment runs in its Worker (local/lambda/worker-script.ts).
    'lambda-worker': 'local/lambda/worker.ts',
  },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  packages: 'external',
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  logLevel: 'warning',
});
