/**
 * EventBridge Scheduler's schedule expressions (pure): `rate(...)` and `cron(...)` as EventBridge rules read them
 * (src/events/schedule-expression.ts), plus the one-time `at(yyyy-mm-ddThh:mm:ss)`. Times are UTC: a
 * ScheduleExpressionTimezone other than UTC is refused by name (the local cloud does not convert time zones).
 */

import { parseScheduleExpression, type ScheduleExpression } from '../events/schedule-expression.js';

export type SchedulerExpression =
  | ScheduleExpression
  | { readonly kind: 'at'; readonly text: string; readonly atMs: number };

const UTC_NAMES = ['UTC', 'Etc/UTC', 'GMT', 'Etc/GMT'];

/** Parses a Scheduler expression; throws naming the expression and what is wrong. */
export function parseSchedulerExpression(text: string, timezone?: string): SchedulerExpression {
  if (timezone !== undefined && !UTC_NAMES.includes(timezone))
    throw new Error(
      `ScheduleExpressionTimezone ${JSON.stringify(timezone)} is not supported by the local cloud (schedules run in UTC)`,
    );
  const at = /^at\((.*)\)$/.exec(text.trim());
  if (at === null) return parseScheduleExpression(text);
  const inner = at[1] as string;
  const parts = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(inner);
  if (parts === null)
    throw new Error(`schedule expression ${JSON.stringify(text)}: at() takes a time as yyyy-mm-ddThh:mm:ss`);
  const [year, month, day, hour, minute, second] = parts.slice(1).map(Number) as number[];
  const atMs = Date.UTC(year as number, (month as number) - 1, day, hour, minute, second);
  const back = new Date(atMs);
  if (
    back.getUTCMonth() !== (month as number) - 1 ||
    back.getUTCDate() !== day ||
    (hour as number) > 23 ||
    (minute as number) > 59 ||
    (second as number) > 59
  )
    throw new Error(`schedule expression ${JSON.stringify(text)}: ${inner} is not a valid time`);
  return { kind: 'at', text, atMs };
}
