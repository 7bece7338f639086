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
          include: [
            'test/unit/**/*.test.ts',
            'test/property/**/*.test.ts',
            // The local cloud's own tests live in its package (packages/local-cloud).
            'packages/*/test/unit/**/*.test.ts',
          ],
          // CI machines are shared and sometimes slow: a unit test that trains a model or synthesizes a stack
          // takes seconds on a quiet machine and many times that under load. The limit catches a hang, not
          // slowness; no test may depend on the machine's speed.
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'packages/*/test/integration/**/*.test.ts'],
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
