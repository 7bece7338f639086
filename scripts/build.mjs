// Bundles the CLI with esbuild into dist/. Dependencies stay in node_modules (the CLI runs where it is installed).
import { build } from 'esbuild';

await build({
  entryPoints: { streamfeatures: 'bin/streamfeatures.ts' },
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
