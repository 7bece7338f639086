/**
 * The built CLI's `demo` (npm test builds dist first): the CDK stack deployed on the embedded local cloud, a
 * small fraud stream through it, scoring through the HTTP API, and the report.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_VERSION } from '../../lib/config.js';

const run = promisify(execFile);

describe('streamfeatures demo (the embedded local cloud)', () => {
  it('runs the fraud example end to end and reports every record accounted for', async () => {
    let result: { code: number; stdout: string; stderr: string };
    try {
      const { stdout, stderr } = await run(
        process.execPath,
        ['dist/streamfeatures.mjs', 'demo', '--events', '600'],
        {
          timeout: 280_000,
          killSignal: 'SIGINT',
        },
      );
      result = { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      result = { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
    expect(result.code, result.stderr).toBe(0);
    const { stdout } = result;

    const outcomes =
      /outcomes +counted (\d+), invalid (\d+), future (\d+), late (\d+), duplicate (\d+) = (\d+) of (\d+)/.exec(
        stdout,
      );
    expect(outcomes, stdout).not.toBeNull();
    const [counted, invalid, future, late, duplicate, accounted, total] = (outcomes as RegExpExecArray)
      .slice(1)
      .map(Number) as number[];
    expect(
      (counted as number) +
        (invalid as number) +
        (future as number) +
        (late as number) +
        (duplicate as number),
    ).toBe(total);
    expect(accounted).toBe(total);
    expect(total).toBeGreaterThan(600);
    expect(counted).toBeGreaterThan(500);

    const scoring = /scoring +(\d+) of (\d+) requests 200/.exec(stdout);
    expect(scoring, stdout).not.toBeNull();
    expect(Number(scoring?.[1])).toBe(200);
    expect(Number(scoring?.[2])).toBe(200);

    const parquet = /raw archive (\d+) Parquet files?, (\d+) rows?/.exec(stdout);
    expect(parquet, stdout).not.toBeNull();
    expect(Number(parquet?.[1])).toBeGreaterThan(0);
    expect(Number(parquet?.[2])).toBe(total);

    // Per-event freshness, from the EventFreshness values the features function emitted to CloudWatch: one value
    // per counted event in each phase, each at least 0 and no more than the phase could have taken.
    let freshnessValues = 0;
    for (const phase of ['steady traffic', 'backlog', 'recovered']) {
      const line = new RegExp(
        `${phase} .*freshness p50 (\\d+) ms, p99 (\\d+) ms, max (\\d+) ms \\(EventFreshness: (\\d+) values for (\\d+) counted events\\)`,
      ).exec(stdout);
      expect(line, `${phase}\n${stdout}`).not.toBeNull();
      const [p50, p99, max, values, countedInPhase] = (line as RegExpExecArray)
        .slice(1)
        .map(Number) as number[];
      expect(values).toBe(countedInPhase);
      expect(values).toBeGreaterThan(0);
      expect(0).toBeLessThanOrEqual(p50 as number);
      expect(p50).toBeLessThanOrEqual(p99 as number);
      expect(p99).toBeLessThanOrEqual(max as number);
      expect(max).toBeLessThan(600_000);
      freshnessValues += values as number;
    }
    expect(freshnessValues).toBe(counted);

    // A sample of events timed through the scoring API: each became readable.
    const readable =
      /readable +(\d+) of (\d+) sampled events readable through POST \/score p50 (\d+) ms/.exec(stdout);
    expect(readable, stdout).not.toBeNull();
    expect(Number(readable?.[2])).toBeGreaterThan(0);
    expect(Number(readable?.[1])).toBe(Number(readable?.[2]));
    expect(stdout).toMatch(
      /backlog +\d+ records put at once \([\d.]+ s\), drained [\d.]+ s after the first put/,
    );

    // The offline half: the training set from the archive in S3, the served model, and parity.
    const trainingSet = /training set +(\d+) rows from s3:\/\/\S+\/raw\/ \((\d+) events replayed/.exec(
      stdout,
    );
    expect(trainingSet, stdout).not.toBeNull();
    // Every base event (normal or fraud) is labelled and counted; the anomalies are neither.
    expect(Number(trainingSet?.[1])).toBe(counted);
    expect(Number(trainingSet?.[2])).toBe(total);
    expect(stdout).toMatch(
      new RegExp(`model +${DEFAULT_MODEL_VERSION} answered the scoring requests: holdout ROC AUC 0\\.\\d+`),
    );
    const parity =
      /parity +no skew: online store (\d+) keys \(0 values differ\), feature log (\d+) vectors \(0 differ\), (\d+) scores recomputed \(0 differ\)/.exec(
        stdout,
      );
    expect(parity, stdout).not.toBeNull();
    expect(Number(parity?.[1])).toBeGreaterThan(100);
    expect(Number(parity?.[2])).toBe(200);
    expect(Number(parity?.[3])).toBe(200);
  }, 300_000);
});
