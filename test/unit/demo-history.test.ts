/** The demo's generated history (cli/demo-history.ts): days of event time, delayed labels, and nothing too recent. */
import { describe, expect, it } from 'vitest';
import { generateHistory, HISTORY } from '../../cli/demo-history.js';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const HOUR = 3_600_000;

describe('the demo history', () => {
  const history = generateHistory(NOW);

  it('spans the stated days of event time and ends before the live traffic', () => {
    const times = history.traffic.labels.map((label) => label.ts);
    expect(Math.min(...times) - history.startMs).toBeLessThan(HOUR);
    expect(history.endMs - Math.max(...times)).toBeLessThan(HOUR);
    expect(history.endMs - history.startMs).toBe(HISTORY.days * 24 * HOUR);
    expect(history.endMs).toBe(NOW - HISTORY.endsBeforeMs);
  });

  it('leaves out every record that would arrive within the gap before now, and says how many', () => {
    const arrivals = history.traffic.records.map((record) => record.arrivalMs);
    expect(Math.max(...arrivals)).toBeLessThanOrEqual(NOW - HISTORY.arrivesBeforeMs);
    expect(history.traffic.records.length + history.cut).toBeGreaterThan(HISTORY.events);
  });

  it('labels each kept transaction once, known 1 to 24 hours after its event, and trains only on labels known by now', () => {
    const delays = history.known.map((label) => label.label_time - label.ts);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(HISTORY.labelDelayMinMs);
    expect(Math.max(...delays)).toBeLessThan(HISTORY.labelDelayMinMs + HISTORY.labelDelaySpanMs);
    expect(history.known.every((label) => label.label_time <= NOW)).toBe(true);
    expect(history.known.length + history.pending).toBe(history.traffic.labels.length);
    expect(history.pending).toBeGreaterThan(0);
    const kept = new Set(history.traffic.records.map((record) => record.eventId));
    expect(history.traffic.labels.every((label) => kept.has(label.event_id))).toBe(true);
  });

  it('has enough fraud for a time-ordered holdout, and is the same traffic at another time, shifted', () => {
    const fraud = history.known.filter((label) => label.label === 1).length;
    expect(fraud).toBeGreaterThan(100);
    const later = generateHistory(NOW + 7 * 24 * HOUR);
    expect(later.traffic.labels.map((label) => label.ts - later.startMs)).toEqual(
      history.traffic.labels.map((label) => label.ts - history.startMs),
    );
  });
});
