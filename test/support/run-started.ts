/**
 * Vitest's global setup: marks the start of a test run for scripts/test-summary.mjs, which refuses a JSON report
 * written before it (a run that died before writing its own would otherwise be summarized with an earlier run's
 * totals). The earlier report is removed too, so nothing reads it as this run's. The mark is the file's time.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

/** Where vitest writes its JSON report, and where the run's start is marked (scripts/test-summary.mjs reads both). */
export const RESULTS_FILE = '.tmp/vitest-results.json';
export const RUN_STARTED_FILE = '.tmp/vitest-run-started';

export default function markRunStarted(): void {
  mkdirSync('.tmp', { recursive: true });
  rmSync(RESULTS_FILE, { force: true });
  writeFileSync(RUN_STARTED_FILE, `${new Date().toISOString()}\n`);
}
