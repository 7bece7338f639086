import { describe, expect, it } from 'vitest';
import { parseEventTime } from '../../core/index.js';

describe('event time', () => {
  it('reads epoch ms and ISO-8601 with a zone as the same instant', () => {
    expect(parseEventTime(1_790_000_000_000)).toBe(1_790_000_000_000);
    expect(parseEventTime('2026-09-30T23:59:59.250Z')).toBe(Date.UTC(2026, 8, 30, 23, 59, 59, 250));
    expect(parseEventTime('2026-10-01T01:30:00+02:00')).toBe(Date.UTC(2026, 8, 30, 23, 30));
    expect(parseEventTime('2028-02-29T12:00Z')).toBe(Date.UTC(2028, 1, 29, 12));
  });

  it.each([
    ['2026-09-31T00:01:00Z', 'the 31st of a 30-day month (V8 reads 1 October)'],
    ['2026-02-30T00:00:00Z', '30 February (V8 reads 2 March)'],
    ['2026-02-29T00:00:00Z', '29 February of a common year'],
    ['2026-13-01T00:00:00Z', 'month 13'],
    ['2026-00-10T00:00:00Z', 'month 0'],
    ['2026-05-00T00:00:00Z', 'day 0'],
    ['2026-05-10T24:00:00Z', 'hour 24'],
    ['2026-05-10T23:60:00Z', 'minute 60'],
    ['2026-05-10T23:59:60Z', 'second 60'],
    ['2026-05-10T10:00:00+24:00', 'a zone 24 hours off'],
    ['2026-05-10T10:00:00', 'no zone'],
  ])('refuses %s: %s', (value) => {
    expect(parseEventTime(value)).toBeUndefined();
  });
});
