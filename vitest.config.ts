import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The JSON report feeds the one-line summary CI prints (scripts/test-summary.mjs).
    reporters: ['default', 'json'],
    outputFile: { json: '.tmp/vitest-results.json' },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/property/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
          // `fileParallelism` is a root-only option in vitest 3.2 (not allowed per project); a single fork
          // runs this project's files one after another, which is the same effect for these tests.
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
