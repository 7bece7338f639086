import { defineConfig } from 'vitest/config';
import type { Vitest } from 'vitest/node';
import type { Reporter } from 'vitest/reporters';

/**
 * vitest 3.2's test worker gives every message to the main process 60 s to be answered, a limit no option sets.
 * A test that blocks its worker's event loop longer than that (a CDK synth whose cfn-guard validation runs through
 * spawnSync takes over a minute on a loaded 2-core machine) leaves the answer to its "test started" message unread,
 * and when the loop frees, Node runs the expired timer before reading it: the run reports
 * `[vitest-worker]: Timeout calling "onTaskUpdate"` and exits 1. vitest 4 drops the limit for these messages
 * (vitest-dev/vitest#8297). Until then this gate lets exactly that error through (the default reporter still
 * prints it, and the count is said below) and fails the run on any other unhandled error. That error can also end
 * the run before every test file ran (a project not yet started is never started), so it is tolerated only when
 * every test file the run selected reported a result; otherwise the run fails naming the files that never ran.
 * A real hang is still caught: by testTimeout and hookTimeout, and the test's own result.
 */
const WORKER_TASK_UPDATE_TIMEOUT = /^\[vitest-worker\]: Timeout calling "onTaskUpdate"$/;
let runner: Vitest | undefined;
const unhandledErrorGate: Reporter = {
  onInit(vitest) {
    runner = vitest;
  },
  async onFinished(files, errors) {
    const messageOf = (error: unknown) =>
      String((error as { message?: unknown } | undefined)?.message ?? error);
    const tolerated = errors.filter((error) => WORKER_TASK_UPDATE_TIMEOUT.test(messageOf(error)));
    if (tolerated.length < errors.length) process.exitCode = 1;
    if (tolerated.length === 0 || runner === undefined) return;
    // The command line's file filters, as vitest itself keeps them (not in its typed API).
    const filters = (runner as unknown as { filenamePattern?: string[] }).filenamePattern;
    const selected = await runner.globTestSpecifications(filters);
    const reported = new Set(files.filter((file) => file.result !== undefined).map((file) => file.filepath));
    const neverRan = [...new Set(selected.map((spec) => spec.moduleId))].filter(
      (file) => !reported.has(file),
    );
    if (neverRan.length > 0) {
      console.error(
        `unhandled errors: a worker task-update timeout ended the run before ${neverRan.length} test files ran: ` +
          neverRan.join(', '),
      );
      process.exitCode = 1;
      return;
    }
    console.warn(
      `unhandled errors: ${tolerated.length} worker task-update timeouts tolerated, every test file reported ` +
        "(a test blocked its worker's event loop over 60 s: see vitest.config.ts)",
    );
  },
};

export default defineConfig({
  test: {
    // The JSON report feeds the one-line summary CI prints (scripts/test-summary.mjs).
    reporters: ['default', 'json', unhandledErrorGate],
    // Unhandled errors fail the run through unhandledErrorGate, which tolerates only the worker's task-update timeout.
    dangerouslyIgnoreUnhandledErrors: true,
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
