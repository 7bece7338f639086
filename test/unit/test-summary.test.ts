/**
 * scripts/test-summary.mjs prints a run's totals only from that run's report: it is run in a temporary folder whose
 * `.tmp/` holds the run's start mark (as test/support/run-started.ts writes it) and a report with chosen file times.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { RESULTS_FILE, RUN_STARTED_FILE } from '../support/run-started.js';

const run = promisify(execFile);
const SCRIPT = resolve('scripts/test-summary.mjs');
const STARTED = new Date('2026-01-02T03:04:05Z');

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A folder with the run's start marked at STARTED and, when given, a report written at `reportWritten`. */
function folder(reportWritten?: Date): string {
  dir = mkdtempSync(join(tmpdir(), 'test-summary-'));
  mkdirSync(join(dir, '.tmp'));
  writeFileSync(join(dir, RUN_STARTED_FILE), `${STARTED.toISOString()}\n`);
  utimesSync(join(dir, RUN_STARTED_FILE), STARTED, STARTED);
  if (reportWritten !== undefined) {
    const test = (status: string) => ({ status });
    const report = {
      testResults: [
        { name: 'a.test.ts', assertionResults: [test('passed'), test('passed'), test('skipped')] },
      ],
    };
    writeFileSync(join(dir, RESULTS_FILE), JSON.stringify(report));
    utimesSync(join(dir, RESULTS_FILE), reportWritten, reportWritten);
  }
  return dir;
}

/** The summary's exit code and what it printed. */
async function summary(cwd: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(process.execPath, [SCRIPT], { cwd });
    return { code: 0, out: stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string };
    return { code: e.code, out: e.stdout };
  }
}

describe('test-summary', () => {
  it("prints the totals of a report written after the run's start", async () => {
    const result = await summary(folder(new Date(STARTED.getTime() + 60_000)));
    expect(result).toEqual({ code: 0, out: 'tests: 2 passed, 0 failed, 1 skipped\n' });
  });

  it("fails on a report written before the run's start, naming both times and saying it is an earlier run's", async () => {
    const result = await summary(folder(new Date(STARTED.getTime() - 60_000)));
    expect(result.code).toBe(1);
    expect(result.out).toBe(
      `tests: no totals: ${RESULTS_FILE} was written at 2026-01-02T03:03:05.000Z, before this run started at ` +
        "2026-01-02T03:04:05.000Z: it is an earlier run's report, and this run ended before writing its own\n",
    );
  });

  it('fails when the run wrote no report, naming when it started', async () => {
    const result = await summary(folder());
    expect(result.code).toBe(1);
    expect(result.out).toBe(
      `tests: no totals: the run started at 2026-01-02T03:04:05.000Z wrote no ${RESULTS_FILE}: ` +
        'it ended before reporting (killed, or crashed)\n',
    );
  });

  it('fails when no run has started in the folder', async () => {
    dir = mkdtempSync(join(tmpdir(), 'test-summary-'));
    const result = await summary(dir);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/^tests: no totals: \.tmp\/vitest-run-started is missing/);
  });
});
