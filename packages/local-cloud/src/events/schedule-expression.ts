/**
 * EventBridge schedule expressions, as AWS reads them, and when they fire next (pure: no timers here).
 *
 * - `rate(<value> <unit>)`: a positive whole value; unit `minute`, `hour` or `day` when the value is 1, else
 *   `minutes`, `hours`, `days` (AWS refuses `rate(1 minutes)` and `rate(5 minute)`). A rate fires one period
 *   after the rule is created (or enabled), then every period.
 * - `cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>)`: six fields, UTC, minute precision.
 *   Minutes 0-59, hours 0-23, day-of-month 1-31 (also `?`, `L`, `LW`, `<n>W`), month 1-12 or JAN-DEC,
 *   day-of-week 1-7 or SUN-SAT (1 = Sunday; also `?`, `L`, `<n>L`, `<n>#<k>`), year 1970-2199. Each field takes
 *   `*`, values, ranges `a-b` (wrapping when a > b, as Quartz does), increments `a/n`, `a-b/n` (and on `*`), and
 *   lists of these separated by commas. Exactly one of day-of-month and day-of-week must be `?`.
 */

export type ScheduleExpression =
  | { readonly kind: 'rate'; readonly text: string; readonly periodMs: number }
  | { readonly kind: 'cron'; readonly text: string; readonly cron: CronFields };

export interface CronFields {
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly years: ReadonlySet<number>;
  /** undefined when the field is `?`. */
  readonly dayOfMonth: DayOfMonth | undefined;
  readonly dayOfWeek: DayOfWeek | undefined;
}

type DayOfMonth =
  | { kind: 'days'; days: ReadonlySet<number> }
  | { kind: 'last'; weekday: boolean }
  | { kind: 'nearestWeekday'; day: number };

type DayOfWeek =
  | { kind: 'days'; days: ReadonlySet<number> }
  | { kind: 'lastOfMonth'; day: number }
  | { kind: 'nth'; day: number; nth: number };

/** A schedule expression AWS would refuse: the message names the expression and what is wrong with it. */
export class ScheduleExpressionError extends Error {
  override name = 'ScheduleExpressionError';
}

const MINUTE_MS = 60_000;
const UNIT_MS: Readonly<Record<string, number>> = {
  minute: MINUTE_MS,
  hour: 60 * MINUTE_MS,
  day: 24 * 60 * MINUTE_MS,
};
const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const FIRST_YEAR = 1970;
const LAST_YEAR = 2199;

export function parseScheduleExpression(text: string): ScheduleExpression {
  const bad = (why: string) =>
    new ScheduleExpressionError(`ScheduleExpression ${JSON.stringify(text)}: ${why}`);
  const rate = /^rate\((.*)\)$/s.exec(text);
  if (rate) {
    const parts = /^(\d+) (minute|minutes|hour|hours|day|days)$/.exec(rate[1] as string);
    if (!parts) throw bad('a rate is rate(<positive whole number> minute(s)|hour(s)|day(s))');
    const value = Number(parts[1]);
    const unit = parts[2] as string;
    if (value < 1) throw bad('the rate must be a positive whole number');
    const singular = !unit.endsWith('s');
    if (value === 1 && !singular) throw bad(`a rate of 1 takes the singular unit (${unit.slice(0, -1)})`);
    if (value > 1 && singular) throw bad(`a rate above 1 takes the plural unit (${unit}s)`);
    return { kind: 'rate', text, periodMs: value * (UNIT_MS[unit.replace(/s$/, '')] as number) };
  }
  const cron = /^cron\((.*)\)$/s.exec(text);
  if (!cron) throw bad('a schedule expression is rate(...) or cron(...)');
  const fields = (cron[1] as string).trim().split(/\s+/);
  if (fields.length !== 6)
    throw bad(
      `a cron expression has six fields (minutes hours day-of-month month day-of-week year), not ${fields.length}`,
    );
  const [min, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  try {
    const dayOfMonth = dom === '?' ? undefined : parseDayOfMonth(dom);
    const dayOfWeek = dow === '?' ? undefined : parseDayOfWeek(dow);
    if ((dayOfMonth === undefined) === (dayOfWeek === undefined))
      throw new Error('exactly one of day-of-month and day-of-week must be ? (the other a value or *)');
    return {
      kind: 'cron',
      text,
      cron: {
        minutes: parseField(min, 'minutes', 0, 59),
        hours: parseField(hour, 'hours', 0, 23),
        months: parseField(month, 'month', 1, 12, MONTH_NAMES),
        years: parseField(year, 'year', FIRST_YEAR, LAST_YEAR),
        dayOfMonth,
        dayOfWeek,
      },
    };
  } catch (error) {
    throw bad((error as Error).message);
  }
}

/** A list of `*`, values, ranges and increments: the values it allows. */
function parseField(field: string, what: string, min: number, max: number, names?: string[]): Set<number> {
  const values = new Set<number>();
  const value = (token: string): number => {
    const upper = token.toUpperCase();
    const named = names?.indexOf(upper) ?? -1;
    const n = named >= 0 ? named + min : /^\d+$/.test(token) ? Number(token) : Number.NaN;
    if (!(n >= min && n <= max)) throw new Error(`${what}: ${JSON.stringify(token)} is not in ${min}-${max}`);
    return n;
  };
  for (const item of field.split(',')) {
    const [range = '', stepText, extra] = item.split('/');
    if (extra !== undefined || range === '') throw new Error(`${what}: ${JSON.stringify(item)} is not valid`);
    let step = 1;
    if (stepText !== undefined) {
      step = /^\d+$/.test(stepText) ? Number(stepText) : 0;
      if (step < 1)
        throw new Error(`${what}: the increment in ${JSON.stringify(item)} is not a positive number`);
    }
    let from: number;
    let to: number;
    if (range === '*') {
      from = min;
      to = max;
    } else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      from = value(a);
      to = value(b);
    } else {
      from = value(range);
      to = stepText === undefined ? from : max;
    }
    // A range that wraps (22-2 in hours, FRI-MON) runs to the end and on from the start, as Quartz reads it.
    const span = to >= from ? to - from : max - from + 1 + to - min;
    for (let i = 0; i <= span; i += step) values.add(from + i > max ? from + i - max - 1 + min : from + i);
  }
  return values;
}

function parseDayOfMonth(field: string): DayOfMonth {
  if (field === 'L') return { kind: 'last', weekday: false };
  if (field === 'LW') return { kind: 'last', weekday: true };
  const nearest = /^(\d+)W$/.exec(field);
  if (nearest) {
    const day = Number(nearest[1]);
    if (day < 1 || day > 31) throw new Error(`day-of-month: ${JSON.stringify(field)} is not in 1-31`);
    return { kind: 'nearestWeekday', day };
  }
  if (/[LW]/i.test(field))
    throw new Error(`day-of-month: ${JSON.stringify(field)}: L and W stand alone (L, LW, <day>W)`);
  return { kind: 'days', days: parseField(field, 'day-of-month', 1, 31) };
}

function parseDayOfWeek(field: string): DayOfWeek {
  const day = (token: string): number => [...parseField(token, 'day-of-week', 1, 7, DAY_NAMES)][0] as number;
  if (field === 'L') return { kind: 'days', days: new Set([7]) };
  const last = /^(\w+)L$/i.exec(field);
  if (last && !field.includes(',')) return { kind: 'lastOfMonth', day: day(last[1] as string) };
  const nth = /^(\w+)#(\d+)$/.exec(field);
  if (nth) {
    const k = Number(nth[2]);
    if (k < 1 || k > 5)
      throw new Error(`day-of-week: the instance in ${JSON.stringify(field)} is not in 1-5`);
    return { kind: 'nth', day: day(nth[1] as string), nth: k };
  }
  if (field.includes('#'))
    throw new Error(`day-of-week: ${JSON.stringify(field)}: with # the field holds one expression only`);
  return { kind: 'days', days: parseField(field, 'day-of-week', 1, 7, DAY_NAMES) };
}

/**
 * The first time (epoch ms) after `afterMs` when the expression fires. A rate fires every period from
 * `startMs` (its creation or enabling), never at `startMs` itself; a cron fires at the start of each matching
 * UTC minute. undefined when a cron never fires again (its years are past).
 */
export function nextFireTime(
  expression: ScheduleExpression,
  afterMs: number,
  startMs = afterMs,
): number | undefined {
  if (expression.kind === 'rate') {
    const periods = Math.max(1, Math.floor((afterMs - startMs) / expression.periodMs) + 1);
    return startMs + periods * expression.periodMs;
  }
  return nextCronTime(expression.cron, afterMs);
}

function nextCronTime(cron: CronFields, afterMs: number): number | undefined {
  // The next whole minute after `afterMs`, then day by day (skipping whole months and years that cannot match).
  const start = new Date(Math.floor(afterMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS);
  let day = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate());
  let firstDay = true;
  while (true) {
    const date = new Date(day);
    const year = date.getUTCFullYear();
    const month = date.getUTCMonth() + 1;
    if (year > LAST_YEAR) return undefined;
    if (!cron.years.has(year)) {
      day = Date.UTC(year + 1, 0, 1);
      firstDay = false;
      continue;
    }
    if (!cron.months.has(month)) {
      day = Date.UTC(year, month, 1);
      firstDay = false;
      continue;
    }
    if (dayMatches(cron, year, month, date.getUTCDate())) {
      const fromMinute = firstDay ? start.getUTCHours() * 60 + start.getUTCMinutes() : 0;
      for (let minuteOfDay = fromMinute; minuteOfDay < 24 * 60; minuteOfDay++) {
        if (cron.hours.has(Math.floor(minuteOfDay / 60)) && cron.minutes.has(minuteOfDay % 60))
          return day + minuteOfDay * MINUTE_MS;
      }
    }
    day += 24 * 60 * MINUTE_MS;
    firstDay = false;
  }
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** 1 (Sunday) to 7 (Saturday), as cron numbers them. */
function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
}

function dayMatches(cron: CronFields, year: number, month: number, day: number): boolean {
  const dom = cron.dayOfMonth;
  const dow = cron.dayOfWeek;
  const length = daysInMonth(year, month);
  if (dom !== undefined) {
    if (dom.kind === 'days') return dom.days.has(day);
    if (dom.kind === 'last') return day === (dom.weekday ? nearestWeekday(year, month, length) : length);
    return dom.day <= length && day === nearestWeekday(year, month, dom.day);
  }
  if (dow === undefined) return false;
  const weekday = weekdayOf(year, month, day);
  if (dow.kind === 'days') return dow.days.has(weekday);
  if (weekday !== dow.day) return false;
  if (dow.kind === 'lastOfMonth') return day + 7 > length;
  return Math.ceil(day / 7) === dow.nth;
}

/** The weekday nearest `day` within its month (Quartz's `W`: never crossing into another month). */
function nearestWeekday(year: number, month: number, day: number): number {
  const weekday = weekdayOf(year, month, day);
  const length = daysInMonth(year, month);
  if (weekday === 7) return day === 1 ? 3 : day - 1; // Saturday: the Friday before, or Monday the 3rd
  if (weekday === 1) return day === length ? day - 2 : day + 1; // Sunday: the Monday after, or the Friday before
  return day;
}
