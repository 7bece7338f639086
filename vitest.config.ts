import { defineConfig } from 'vitest/config';
import { RESULTS_FILE } from './test/support/run-started.js';

/**
 * Unhandled errors fail the run (vitest's default). vitest 3.2's test worker gave every message to the main process
 * 60 s to be answered, so a test that blocked its worker's event loop longer (a CDK synth whose cfn-guard validation
 * runs through spawnSync takes over a minute on a loaded 2-core machine) made a run with every test passed report
 * `[vitest-worker]: Timeout calling "onTaskUpdate"` and exit 1, and could end it before the integration project
 * started. vitest 4 no longer times out these messages (vitest-dev/vitest#8297): a test that blocks its worker for
 * 70 s passes and the run exits 0, so no error needs tolerating. A real hang is still caught by testTimeout and
 * hookTimeout.
 */
/**
 * The environment of every test process. The AWS SDK's notice that its releases from January 2027 need Node 22 is
 * printed once by each process that makes a client on Node 20 (dozens of times a run) and says nothing about the
 * tests: the CLI turns it off the same way (bin/streamfeatures.ts). test/integration/node-support.test.ts removes
 * the switch from the environments it runs the CLI in, so it still sees the notice, and the CLI turning it off.
 */
const testEnv = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

export default defineConfig({
  test: {
    // The JSON report feeds the one-line summary CI prints (scripts/test-summary.mjs).
    reporters: ['default', 'json'],
    outputFile: { json: RESULTS_FILE },
    // Marks the run's start (and removes an earlier report), so the summary never counts an earlier run's report.
    globalSetup: ['test/support/run-started.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          env: testEnv,
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
          env: testEnv,
          include: ['test/integration/**/*.test.ts', 'packages/*/test/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
          // One file at a time (vitest 4 sets this project's maxWorkers to 1 and runs its files after the unit
          // project's). vitest 3.2 did this with poolOptions.forks.singleFork, which vitest 4 removed; each file now
          // gets a fresh fork (isolate stays on), so no file sees another's module state or globals.
          fileParallelism: false,
        },
      },
    ],
  },
});
