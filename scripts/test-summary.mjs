// Prints the test run's totals as one plain line ("tests: N passed, N failed, N skipped"), from the JSON
// report vitest writes (see vitest.config.ts), so that any log reader finds the outcome in one place.
// A test that started but never ended (its worker died: killed, out of memory) has the status "pending" in the
// report, which counts it nowhere or as skipped and keeps `success` true: it is counted here as unfinished, its
// file named, and fails the summary.
// The report must be this run's: vitest's global setup (test/support/run-started.ts) marks each run's start and
// removes the earlier report; a report missing, or written before the run started (the run died before writing
// its own), is refused, so an earlier run's totals are never printed as this one's.
import { existsSync, readFileSync, statSync } from 'node:fs';

// The paths vitest.config.ts and test/support/run-started.ts use.
const RESULTS_FILE = '.tmp/vitest-results.json';
const RUN_STARTED_FILE = '.tmp/vitest-run-started';

/** Says why there are no totals to print, and fails. */
function refuse(message) {
  console.log(`tests: no totals: ${message}`);
  process.exit(1);
}

/** When a file was last written: both files' times come from the same file system, at the same granularity. */
const writtenMs = (path) => statSync(path).mtimeMs;
const iso = (ms) => new Date(ms).toISOString();

if (!existsSync(RUN_STARTED_FILE)) {
  refuse(`${RUN_STARTED_FILE} is missing: no test run has started here (run \`npx vitest run\` first)`);
}
const startedMs = writtenMs(RUN_STARTED_FILE);
if (!existsSync(RESULTS_FILE)) {
  refuse(
    `the run started at ${iso(startedMs)} wrote no ${RESULTS_FILE}: it ended before reporting (killed, or crashed)`,
  );
}
if (writtenMs(RESULTS_FILE) < startedMs) {
  refuse(
    `${RESULTS_FILE} was written at ${iso(writtenMs(RESULTS_FILE))}, before this run started at ${iso(startedMs)}: ` +
      "it is an earlier run's report, and this run ended before writing its own",
  );
}
const report = JSON.parse(readFileSync(RESULTS_FILE, 'utf8'));
const statusCounts = new Map();
const unfinishedFiles = [];
for (const file of report.testResults) {
  for (const test of file.assertionResults)
    statusCounts.set(test.status, (statusCounts.get(test.status) ?? 0) + 1);
  if (file.assertionResults.some((test) => test.status === 'pending')) unfinishedFiles.push(file.name);
}
const count = (status) => statusCounts.get(status) ?? 0;
const passed = count('passed');
const failed = count('failed');
const skipped = count('skipped') + count('todo');
const unfinished = count('pending');
const counts = `${passed} passed, ${failed} failed, ${skipped} skipped`;
console.log(`tests: ${counts}${unfinished > 0 ? `, ${unfinished} unfinished` : ''}`);
if (unfinished > 0) console.log(`unfinished tests in: ${unfinishedFiles.join(', ')}`);
process.exitCode = failed > 0 || unfinished > 0 || passed === 0 ? 1 : 0;
