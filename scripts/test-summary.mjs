// Prints the test run's totals as one plain line ("tests: N passed, N failed, N skipped"), from the JSON
// report vitest writes (see vitest.config.ts), so that any log reader finds the outcome in one place.
// A test that started but never ended (its worker died: killed, out of memory) has the status "pending" in the
// report, which counts it nowhere or as skipped and keeps `success` true: it is counted here as unfinished, its
// file named, and fails the summary.
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync('.tmp/vitest-results.json', 'utf8'));
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
