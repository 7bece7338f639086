/**
 * Event time τ: epoch milliseconds, or an ISO-8601 date-time with a zone (`Z` or `±hh:mm`).
 * A date-time without a zone is refused: it would mean different instants on different machines. So is one that
 * names no real calendar instant (`2026-09-31`, `02-30`, `25:00`): V8's Date.parse rolls those over to another day
 * (1 October, 2 March), which would count the event at a time its producer never wrote.
 */
const ISO_WITH_ZONE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(?:[Zz]|[+-](\d{2}):?(\d{2}))$/;

/** Returns epoch ms, or undefined when the value is no event time. */
export function parseEventTime(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const parts = ISO_WITH_ZONE.exec(value);
  if (parts === null || !isCalendarInstant(parts)) return undefined;
  const ms = Date.parse(value.replace(' ', 'T'));
  return Number.isNaN(ms) ? undefined : ms;
}

/** Whether the date-time's fields name a real instant: the day exists in its month, the clock and zone are in range. */
function isCalendarInstant(parts: RegExpExecArray): boolean {
  const [year, month, day, hour, minute, second = 0, zoneHours = 0, zoneMinutes = 0] = [
    parts[1],
    parts[2],
    parts[3],
    parts[4],
    parts[5],
    parts[6],
    parts[8],
    parts[9],
  ].map((field) => (field === undefined ? undefined : Number(field))) as number[];
  if (month === undefined || month < 1 || month > 12) return false;
  // Day 0 of the next month is the last day of this one (UTC, so no local-time rollover).
  const daysInMonth = new Date(Date.UTC(year as number, month, 0)).getUTCDate();
  return (
    (day as number) >= 1 &&
    (day as number) <= daysInMonth &&
    (hour as number) <= 23 &&
    (minute as number) <= 59 &&
    second <= 59 &&
    zoneHours <= 23 &&
    zoneMinutes <= 59
  );
}
