// Prints the test run's totals as one plain line ("tests: N passed, N failed, N skipped"), from the JSON
// report vitest writes (see vitest.config.ts), so that any log reader finds the outcome in one place.
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync('.tmp/vitest-results.json', 'utf8'));
const skipped = report.numPendingTests + report.numTodoTests;
console.log(`tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`);
process.exitCode = report.numFailedTests > 0 || report.numPassedTests === 0 ? 1 : 0;
