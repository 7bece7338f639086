import { describe, expect, it } from 'vitest';
import { StreamQualityTally } from '../../core/monitoring/index.js';
import { generateFraudTraffic } from '../../examples/fraud/generate.js';
import { fraudSpec } from '../support/fraud-training-set.js';

const spec = fraudSpec();
const HOUR = 3_600_000;
const decoder = new TextDecoder();

function body(data: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(data));
  } catch {
    return undefined;
  }
}

describe('StreamQualityTally', () => {
  it('shows a planted outage as an hour of 0 records against the same hour a week earlier', () => {
    const start = Date.parse('2026-11-01T00:00:00Z');
    // About 9 days of traffic, 90 records an hour.
    const { records } = generateFraudTraffic({
      events: 20_000,
      eventsPerSecond: 0.025,
      startMs: start,
      seed: 3,
    });
    const outage = start + 8 * 24 * HOUR + 5 * HOUR; // day 9, 05:00–06:00
    const tally = new StreamQualityTally(spec, {
      fromMs: start + 7 * 24 * HOUR,
      toMs: start + 9 * 24 * HOUR,
    });
    for (const record of records) {
      if (record.arrivalMs >= outage && record.arrivalMs < outage + HOUR) continue;
      tally.addRecord(record.arrivalMs, body(record.data));
    }
    const { hours } = tally.report();
    expect(hours).toHaveLength(48);
    const empty = hours.filter((h) => h.records === 0);
    expect(empty.map((h) => new Date(h.hourMs).toISOString())).toEqual(['2026-11-09T05:00:00.000Z']);
    expect(empty[0]?.weekEarlier).toBeGreaterThan(30);
    // Every other hour is within half to double of its week-earlier hour.
    for (const h of hours.filter((h) => h.records > 0 && h.hourMs < start + 9 * 24 * HOUR - HOUR)) {
      expect(h.records / (h.weekEarlier as number)).toBeGreaterThan(0.5);
      expect(h.records / (h.weekEarlier as number)).toBeLessThan(2);
    }
  });

  it('says a week earlier is not archived when the archive does not reach back that far', () => {
    const tally = new StreamQualityTally(spec);
    tally.addRecord(Date.parse('2026-11-01T00:10:00Z'), { ts: 1 });
    expect(tally.report().hours).toEqual([
      { hourMs: Date.parse('2026-11-01T00:00:00Z'), records: 1, weekEarlier: null },
    ]);
  });

  it('counts nulls and invalid values per spec field, and set-aside rates by rule, as shares of the records', () => {
    const t = Date.parse('2026-11-01T00:00:00Z');
    const tally = new StreamQualityTally(spec);
    const good = {
      event_id: 'e',
      card_id: 'c',
      merchant_id: 'm',
      ts: t,
      amount: 5,
      status: 'ok',
      geo: { country: 'FR' },
    };
    tally.addRecord(t, good);
    tally.addRecord(t, { ...good, amount: 'five' });
    tally.addRecord(t, { ...good, amount: null, ts: 'soon' });
    tally.addRecord(t, undefined); // not JSON
    tally.addSetAside('invalid', 'field-type', t);
    tally.addSetAside('invalid', 'time-unparsable', t);
    tally.addSetAside('late', 'late', t);
    const report = tally.report();
    expect(report.records).toBe(4);
    expect(report.unreadable).toBe(1);
    const field = (name: string) => report.fields.find((f) => f.field === name);
    expect(field('amount')).toMatchObject({ kind: 'number', nullRate: 1 / 3, invalidRate: 1 / 3 });
    expect(field('ts')).toMatchObject({ kind: 'time', nullRate: 0, invalidRate: 1 / 3 });
    expect(field('card_id')).toMatchObject({ kind: 'key', nullRate: 0, invalidRate: 0 });
    expect(field('geo.country')).toMatchObject({ kind: 'any' });
    expect(field('status')).toMatchObject({ kind: 'any', nullRate: 0 });
    expect(report.setAside).toContainEqual({ reason: 'late', rule: 'late', count: 1, rate: 0.25 });
    expect(report.setAside).toHaveLength(3);
  });
});
