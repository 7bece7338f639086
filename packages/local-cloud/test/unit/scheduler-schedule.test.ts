import { describe, expect, it } from 'vitest';
import { runSchedule } from '../../src/scheduler/schedule-runner.js';
import { parseSchedulerExpression } from '../../src/scheduler/scheduler-expression.js';

async function until<T>(what: string, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within 30 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('EventBridge Scheduler expressions', () => {
  it('reads at() as a UTC time, and rate() and cron() as rules do', () => {
    expect(parseSchedulerExpression('at(2027-02-28T23:59:30)')).toEqual({
      kind: 'at',
      text: 'at(2027-02-28T23:59:30)',
      atMs: Date.UTC(2027, 1, 28, 23, 59, 30),
    });
    expect(parseSchedulerExpression('rate(5 minutes)', 'UTC')).toMatchObject({
      kind: 'rate',
      periodMs: 300_000,
    });
    expect(parseSchedulerExpression('cron(0 12 * * ? *)')).toMatchObject({ kind: 'cron' });
  });

  it.each([
    ['at(2027-02-30T10:00:00)', undefined, /2027-02-30T10:00:00 is not a valid time/],
    ['at(2027-02-01 10:00)', undefined, /at\(\) takes a time as yyyy-mm-ddThh:mm:ss/],
    ['rate(1 minutes)', undefined, /rate\(1 minutes\)/],
    [
      'rate(1 hour)',
      'Europe/Amsterdam',
      /ScheduleExpressionTimezone "Europe\/Amsterdam" is not supported by the local cloud/,
    ],
  ])('refuses %s (%s), saying why', (text, timezone, message) => {
    expect(() => parseSchedulerExpression(text, timezone)).toThrow(message);
  });
});

describe('running a schedule', () => {
  it('fires an at() schedule once, at its time', async () => {
    const atMs = Math.ceil((Date.now() + 1_500) / 1000) * 1000;
    const text = `at(${new Date(atMs).toISOString().slice(0, 19)})`;
    const fires: number[] = [];
    const stop = runSchedule(parseSchedulerExpression(text), {}, (due) => fires.push(due));
    await until('the fire', () => (fires.length > 0 ? true : undefined));
    stop();
    expect(fires).toEqual([atMs]);
    expect(Date.now()).toBeGreaterThanOrEqual(atMs);
  });

  it('does not fire outside its StartDate and EndDate', async () => {
    const atMs = Math.ceil((Date.now() + 1_500) / 1000) * 1000;
    const text = `at(${new Date(atMs).toISOString().slice(0, 19)})`;
    const fires: string[] = [];
    const stopEarly = runSchedule(parseSchedulerExpression(text), { endMs: atMs - 1 }, () =>
      fires.push('ended'),
    );
    const stopInside = runSchedule(parseSchedulerExpression(text), { startMs: atMs }, () =>
      fires.push('inside'),
    );
    // Both timers are due at the same time; the one in its window fires, the one past its EndDate does not.
    await until('the fire inside the window', () => (fires.includes('inside') ? true : undefined));
    await new Promise((r) => setImmediate(r));
    stopEarly();
    stopInside();
    expect(fires).toEqual(['inside']);
  });
});
