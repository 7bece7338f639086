import { describe, expect, it } from 'vitest';
import {
  nextFireTime,
  parseScheduleExpression,
  ScheduleExpressionError,
} from '../../src/events/schedule-expression.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** The next `count` fire times of `text` after `from`. */
function fires(text: string, from: string, count: number): Array<string | undefined> {
  const expression = parseScheduleExpression(text);
  const out: Array<string | undefined> = [];
  let after = at(from);
  for (let i = 0; i < count; i++) {
    const next = nextFireTime(expression, after, at(from));
    out.push(iso(next));
    if (next === undefined) break;
    after = next;
  }
  return out;
}

describe('rate expressions', () => {
  it('fires one period after the start, then every period', () => {
    expect(fires('rate(1 minute)', '2026-12-06T16:59:30.500Z', 3)).toEqual([
      '2026-12-06T17:00:30.500Z',
      '2026-12-06T17:01:30.500Z',
      '2026-12-06T17:02:30.500Z',
    ]);
    expect(fires('rate(2 hours)', '2026-01-01T00:00:00Z', 2)).toEqual([
      '2026-01-01T02:00:00.000Z',
      '2026-01-01T04:00:00.000Z',
    ]);
    expect(fires('rate(1 day)', '2026-01-01T05:00:00Z', 1)).toEqual(['2026-01-02T05:00:00.000Z']);
  });

  it('answers the period after a late check, not the missed ones', () => {
    const expression = parseScheduleExpression('rate(5 minutes)');
    const start = at('2026-01-01T00:00:00Z');
    expect(iso(nextFireTime(expression, at('2026-01-01T00:12:00Z'), start))).toBe('2026-01-01T00:15:00.000Z');
  });

  it.each([
    ['rate(1 minutes)', 'singular'],
    ['rate(5 minute)', 'plural'],
    ['rate(0 minutes)', 'positive'],
    ['rate(1.5 hours)', 'rate(<positive whole number>'],
    ['rate(2 weeks)', 'rate(<positive whole number>'],
    ['rate(5  minutes)', 'rate(<positive whole number>'],
    ['every 5 minutes', 'rate(...) or cron(...)'],
  ])('refuses %s, naming it', (text, why) => {
    expect(() => parseScheduleExpression(text)).toThrow(ScheduleExpressionError);
    expect(() => parseScheduleExpression(text)).toThrow(JSON.stringify(text));
    expect(() => parseScheduleExpression(text)).toThrow(why);
  });
});

describe('cron expressions', () => {
  it('fires at the start of each matching UTC minute', () => {
    expect(fires('cron(0/15 * * * ? *)', '2026-12-06T16:46:10Z', 3)).toEqual([
      '2026-12-06T17:00:00.000Z',
      '2026-12-06T17:15:00.000Z',
      '2026-12-06T17:30:00.000Z',
    ]);
    expect(fires('cron(* * * * ? *)', '2026-12-06T16:46:00Z', 2)).toEqual([
      '2026-12-06T16:47:00.000Z',
      '2026-12-06T16:48:00.000Z',
    ]);
  });

  it('reads AWS documentation examples', () => {
    // 10:00 UTC every day.
    expect(fires('cron(0 10 * * ? *)', '2026-12-06T10:00:00Z', 2)).toEqual([
      '2026-12-07T10:00:00.000Z',
      '2026-12-08T10:00:00.000Z',
    ]);
    // 18:00 Monday to Friday (2026-12-04 is a Friday).
    expect(fires('cron(0 18 ? * MON-FRI *)', '2026-12-04T18:30:00Z', 2)).toEqual([
      '2026-12-07T18:00:00.000Z',
      '2026-12-08T18:00:00.000Z',
    ]);
    // 08:00 on the first day of each month.
    expect(fires('cron(0 8 1 * ? *)', '2026-12-06T00:00:00Z', 2)).toEqual([
      '2027-01-01T08:00:00.000Z',
      '2027-02-01T08:00:00.000Z',
    ]);
    // Every 5 minutes, Monday to Friday, 08:00-17:55.
    expect(fires('cron(0/5 8-17 ? * MON-FRI *)', '2026-12-04T17:52:00Z', 2)).toEqual([
      '2026-12-04T17:55:00.000Z',
      '2026-12-07T08:00:00.000Z',
    ]);
    // 09:00 on the first Monday of each month.
    expect(fires('cron(0 9 ? * 2#1 *)', '2026-12-06T00:00:00Z', 2)).toEqual([
      '2026-12-07T09:00:00.000Z',
      '2027-01-04T09:00:00.000Z',
    ]);
  });

  it('reads L, W, nL, month and day names, wrapping ranges and years', () => {
    expect(fires('cron(0 0 L * ? *)', '2027-01-31T00:00:00Z', 2)).toEqual([
      '2027-02-28T00:00:00.000Z',
      '2027-03-31T00:00:00.000Z',
    ]);
    // The last weekday of May 2027 (the 31st is a Monday) and of July 2027 (the 31st is a Saturday).
    expect(fires('cron(0 0 LW MAY,JUL ? *)', '2027-01-01T00:00:00Z', 2)).toEqual([
      '2027-05-31T00:00:00.000Z',
      '2027-07-30T00:00:00.000Z',
    ]);
    // The weekday nearest the 1st of May 2027 (a Saturday) is Monday the 3rd, not April 30th.
    expect(fires('cron(0 0 1W 5 ? 2027)', '2027-01-01T00:00:00Z', 2)).toEqual([
      '2027-05-03T00:00:00.000Z',
      undefined,
    ]);
    // The last Friday of December 2026.
    expect(fires('cron(30 12 ? DEC 6L 2026)', '2026-01-01T00:00:00Z', 1)).toEqual([
      '2026-12-25T12:30:00.000Z',
    ]);
    expect(fires('cron(0 22-1 ? * SAT *)', '2026-12-05T21:59:00Z', 3)).toEqual([
      '2026-12-05T22:00:00.000Z',
      '2026-12-05T23:00:00.000Z',
      '2026-12-12T00:00:00.000Z',
    ]);
  });

  it('answers nothing once its years are past', () => {
    expect(fires('cron(0 0 1 1 ? 2020)', '2026-01-01T00:00:00Z', 1)).toEqual([undefined]);
  });

  it.each([
    ['cron(0 10 * * *)', 'six fields', '5'],
    ['cron(0 10 * * * *)', 'exactly one of day-of-month and day-of-week', '?'],
    ['cron(0 10 ? * ? *)', 'exactly one of day-of-month and day-of-week', '?'],
    ['cron(60 * * * ? *)', 'minutes', '"60"'],
    ['cron(0 24 * * ? *)', 'hours', '0-23'],
    ['cron(0 0 32 * ? *)', 'day-of-month', '"32"'],
    ['cron(0 0 * 13 ? *)', 'month', '"13"'],
    ['cron(0 0 * FOO ? *)', 'month', '"FOO"'],
    ['cron(0 0 ? * 8 *)', 'day-of-week', '"8"'],
    ['cron(0 0 ? * 2#1,3#2 *)', 'day-of-week', 'one expression'],
    ['cron(0 0 ? * 2#6 *)', 'day-of-week', '1-5'],
    ['cron(0 0 * * ? 1969)', 'year', '1970-2199'],
    ['cron(0/0 * * * ? *)', 'minutes', 'increment'],
    ['cron(0 0 5L * ? *)', 'day-of-month', 'L and W'],
  ])('refuses %s, naming the field and value', (text, field, detail) => {
    let error: unknown;
    try {
      parseScheduleExpression(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ScheduleExpressionError);
    const message = (error as Error).message;
    expect(message).toContain(JSON.stringify(text));
    expect(message).toContain(field);
    expect(message).toContain(detail);
  });
});
