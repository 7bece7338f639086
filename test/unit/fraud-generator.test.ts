import { describe, expect, it } from 'vitest';
import {
  type GeneratedRecord,
  generateFraudTraffic,
  INVALID_KINDS,
  isoWithOffset,
  RECORD_KINDS,
  toJsonLines,
  UNKNOWN_PARTITION_KEY,
} from '../../examples/fraud/generate.js';
import { Rng, ZipfSampler } from '../../examples/fraud/random.js';

const decoder = new TextDecoder('utf-8', { fatal: true });
const text = (record: GeneratedRecord): string => decoder.decode(record.data);

const MINUTE = 60_000;
const ALLOWED_LATENESS_MS = 5 * MINUTE; // examples/fraud/spec.json
const MAX_FUTURE_SKEW_MS = 1 * MINUTE;
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{2}:\d{2})$/;

/** τ of an event's ts: epoch ms or ISO-8601 with a zone; undefined otherwise. */
function parseTs(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && ISO_WITH_ZONE.test(value)) return Date.parse(value);
  return undefined;
}

/** What the spec would object to, or undefined for a valid event. */
function problem(payload: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(payload);
  } catch {
    return 'not_json';
  }
  if (Array.isArray(body)) return 'json_array';
  if (body === null || typeof body !== 'object') return 'not_object';
  const event = body as Record<string, unknown>;
  if (event.ts === undefined) return 'missing_ts';
  if (parseTs(event.ts) === undefined) return 'unparsable_ts';
  if (typeof event.event_id !== 'string') return 'missing_event_id';
  if (typeof event.card_id !== 'string') return 'missing_card_id';
  if (typeof event.merchant_id !== 'string') return 'missing_merchant_id';
  if (typeof event.amount !== 'number') return 'amount_string';
  if (event.status !== 'approved' && event.status !== 'declined') return 'bad_status';
  const geo = event.geo as { country?: unknown } | undefined;
  if (typeof geo?.country !== 'string') return 'missing_country';
  return undefined;
}

function tauOf(record: GeneratedRecord): number {
  const tau = parseTs((JSON.parse(text(record)) as { ts: unknown }).ts);
  if (tau === undefined) throw new Error(`no event time in ${text(record)}`);
  return tau;
}

const EVENTS = 10_000;
const traffic = generateFraudTraffic({ events: EVENTS });

describe('random', () => {
  it('is deterministic per seed and stream, and uniform enough', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const c = new Rng(7, 1);
    const xs = Array.from({ length: 1000 }, () => a.float());
    expect(Array.from({ length: 1000 }, () => b.float())).toEqual(xs);
    expect(Array.from({ length: 1000 }, () => c.float())).not.toEqual(xs);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });

  it('samples normals with the right moments and Zipf with rank 0 on top', () => {
    const rng = new Rng(1);
    const n = 20_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal(10, 2);
      sum += z;
      sumSq += z * z;
    }
    const mean = sum / n;
    expect(mean).toBeCloseTo(10, 1);
    expect(Math.sqrt(sumSq / n - mean * mean)).toBeCloseTo(2, 1);

    const zipf = new ZipfSampler(100_000, 1.05);
    const hits = new Uint32Array(zipf.n);
    for (let i = 0; i < n; i++) {
      const k = zipf.sample(rng);
      hits[k] = (hits[k] ?? 0) + 1;
    }
    expect(hits[0]).toBe(Math.max(...hits));
    expect(zipf.probability(0) / zipf.probability(1)).toBeCloseTo(2 ** 1.05, 6);
    expect(rng.uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('generateFraudTraffic', () => {
  it('gives identical bytes for the same seed and different bytes for another', () => {
    const a = toJsonLines(generateFraudTraffic({ events: 2000, seed: 7 }));
    const b = toJsonLines(generateFraudTraffic({ events: 2000, seed: 7 }));
    const c = toJsonLines(generateFraudTraffic({ events: 2000, seed: 8 }));
    expect(b.events).toBe(a.events);
    expect(b.labels).toBe(a.labels);
    expect(c.events).not.toBe(a.events);
  });

  it('counts every kind exactly as the records do, at the configured rates', () => {
    const tally = Object.fromEntries(RECORD_KINDS.map((k) => [k, 0])) as Record<string, number>;
    for (const r of traffic.records) tally[r.kind] = (tally[r.kind] ?? 0) + 1;
    expect(tally).toEqual(traffic.counts);
    const { counts } = traffic;
    expect(counts.normal + counts.fraud).toBe(EVENTS);
    expect(counts.fraud).toBe(Math.round(0.005 * EVENTS));
    expect(counts.late).toBe(Math.round(0.005 * EVENTS));
    expect(counts.future).toBe(Math.round(0.002 * EVENTS));
    expect(counts.duplicate).toBe(Math.round(0.01 * EVENTS));
    expect(counts.invalid).toBe(Math.round(0.005 * EVENTS));
    expect(traffic.records.length).toBe(Object.values(counts).reduce((s, n) => s + n, 0));

    const custom = generateFraudTraffic({ events: 1000, lateRate: 0.1, duplicateRate: 0, invalidRate: 0.2 });
    expect(custom.counts).toMatchObject({ late: 100, duplicate: 0, invalid: 200 });
    expect(generateFraudTraffic({ events: 0 }).records).toEqual([]);
  });

  it('sorts records by arrival, with normal arrivals a little after event time', () => {
    // Checks collect offenders instead of calling expect per record: thousands of expects would be slow.
    const bad: string[] = [];
    let outOfOrder = 0;
    let maxTau = Number.NEGATIVE_INFINITY;
    let previous = Number.NEGATIVE_INFINITY;
    for (const record of traffic.records) {
      if (!Number.isInteger(record.arrivalMs) || record.arrivalMs < previous)
        bad.push(`arrival ${record.arrivalMs}`);
      previous = record.arrivalMs;
      if (record.kind !== 'normal') continue;
      const tau = tauOf(record);
      const delay = record.arrivalMs - tau;
      if (delay < 0 || delay > 30_000) bad.push(`delay ${delay}`);
      if (tau < maxTau) outOfOrder++;
      maxTau = Math.max(maxTau, tau);
    }
    expect(bad).toEqual([]);
    expect(outOfOrder).toBeGreaterThan(0); // arrival order is not event-time order
    const span = maxTau - traffic.options.startMs;
    expect(span / 1000).toBeGreaterThan((EVENTS / 50) * 0.8); // 50 events per second of event time
    expect(span / 1000).toBeLessThan((EVENTS / 50) * 1.2);
  });

  it('re-sends duplicates later, byte for byte, with an event_id seen before', () => {
    const seen = new Map<string, { record: GeneratedRecord; payload: string }>();
    const bad: string[] = [];
    let duplicates = 0;
    for (const record of traffic.records) {
      const id = record.eventId as string;
      if (record.kind === 'duplicate') {
        duplicates++;
        const original = seen.get(id);
        if (!original) bad.push(`${id}: no original before it`);
        else if (text(record) !== original.payload) bad.push(`${id}: payload differs`);
        else if (record.arrivalMs - original.record.arrivalMs < 500) bad.push(`${id}: re-sent too soon`);
        else if (record.partitionKey !== original.record.partitionKey)
          bad.push(`${id}: partition key differs`);
      } else if (record.eventId !== undefined) {
        if (seen.has(id)) bad.push(`${id}: event id reused`); // ids are unique otherwise
        seen.set(id, { record, payload: text(record) });
      }
    }
    expect(bad).toEqual([]);
    expect(duplicates).toBe(traffic.counts.duplicate);
  });

  it('puts late and future events beyond the spec bounds', () => {
    const lateness = traffic.records.filter((r) => r.kind === 'late').map((r) => r.arrivalMs - tauOf(r));
    const skew = traffic.records.filter((r) => r.kind === 'future').map((r) => tauOf(r) - r.arrivalMs);
    expect(Math.min(...lateness)).toBeGreaterThan(ALLOWED_LATENESS_MS);
    expect(Math.min(...lateness)).toBeGreaterThanOrEqual(6 * MINUTE);
    expect(Math.max(...lateness)).toBeLessThanOrEqual(30 * MINUTE);
    expect(Math.min(...skew)).toBeGreaterThan(MAX_FUTURE_SKEW_MS);
    expect(Math.min(...skew)).toBeGreaterThanOrEqual(2 * MINUTE);
    expect(Math.max(...skew)).toBeLessThanOrEqual(10 * MINUTE);
  });

  it('makes valid events valid and breaks invalid ones in the recorded way', () => {
    const kinds = new Set<string>();
    const bad: string[] = [];
    for (const record of traffic.records) {
      const payload = text(record);
      if (/[\r\n]/.test(payload)) bad.push(`raw newline: ${payload}`);
      if (record.kind === 'invalid') {
        kinds.add(record.invalid as string);
        if (problem(payload) !== record.invalid) bad.push(`${record.invalid}: ${payload}`);
        const keyless = record.invalid === 'missing_card_id' || record.invalid === 'not_json';
        if (keyless ? record.partitionKey !== UNKNOWN_PARTITION_KEY : !/^c\d+$/.test(record.partitionKey)) {
          bad.push(`${record.invalid} with partition key ${record.partitionKey}`);
        }
      } else {
        const why = problem(payload);
        if (why !== undefined) bad.push(`${record.kind} is ${why}: ${payload}`);
        // The fast serialiser writes exactly what JSON.stringify would.
        const body = JSON.parse(payload) as { card_id: string };
        if (JSON.stringify(body) !== payload) bad.push(`not canonical: ${payload}`);
        if (record.partitionKey !== body.card_id)
          bad.push(`partition key ${record.partitionKey}: ${payload}`);
      }
    }
    expect(bad).toEqual([]);
    expect([...kinds].sort()).toEqual([...INVALID_KINDS].sort());
    expect(Object.values(traffic.invalidCounts).reduce((s, n) => s + n, 0)).toBe(traffic.counts.invalid);
  });

  it('writes ts as epoch ms or ISO-8601 (Z or +01:00) for the same instant as the label', () => {
    const labelTs = new Map(traffic.labels.map((l) => [l.event_id, l.ts]));
    const formats = { number: 0, zulu: 0, offset: 0 };
    const bad: string[] = [];
    for (const record of traffic.records) {
      if (record.kind !== 'normal' && record.kind !== 'fraud') continue;
      const ts = (JSON.parse(text(record)) as { ts: number | string }).ts;
      if (typeof ts === 'number') formats.number++;
      else if (ts.endsWith('Z')) formats.zulu++;
      else if (ts.endsWith('+01:00')) formats.offset++;
      if (parseTs(ts) !== labelTs.get(record.eventId as string)) bad.push(`${ts} for ${record.eventId}`);
    }
    expect(bad).toEqual([]);
    expect(formats.number).toBeGreaterThan(0.8 * EVENTS);
    expect(formats.zulu).toBeGreaterThan(0);
    expect(formats.offset).toBeGreaterThan(0);
    expect(isoWithOffset(Date.UTC(2026, 10, 1, 23, 30), 60)).toBe('2026-11-02T00:30:00.000+01:00');
    expect(isoWithOffset(Date.UTC(2026, 10, 1, 0, 15), -90)).toBe('2026-10-31T22:45:00.000-01:30');
  });

  it('labels exactly the normal and fraud events, bursts as fraud', () => {
    const base = traffic.records.filter((r) => r.kind === 'normal' || r.kind === 'fraud');
    expect(traffic.labels.length).toBe(base.length);
    const kindOf = new Map(base.map((r) => [r.eventId, r.kind]));
    const mislabelled = traffic.labels.filter(
      (l) => l.label !== (kindOf.get(l.event_id) === 'fraud' ? 1 : 0),
    );
    expect(mislabelled).toEqual([]);
    const unsorted = traffic.labels.filter((l, i) => i > 0 && l.ts < (traffic.labels[i - 1]?.ts ?? 0));
    expect(unsorted).toEqual([]);

    const fraud = traffic.labels.filter((l) => l.label === 1);
    expect(fraud.length).toBe(traffic.counts.fraud);
    const perCard = new Map<string, number[]>();
    for (const l of fraud) perCard.set(l.card_id, [...(perCard.get(l.card_id) ?? []), l.ts]);
    for (const times of perCard.values()) {
      expect(times.length).toBeGreaterThanOrEqual(5);
      if (times.length <= 15) expect(Math.max(...times) - Math.min(...times)).toBeLessThanOrEqual(5 * MINUTE);
    }
  });

  it('makes fraud stand out, but not trivially', () => {
    const byKind = { normal: [] as Record<string, unknown>[], fraud: [] as Record<string, unknown>[] };
    for (const r of traffic.records) {
      if (r.kind === 'normal' || r.kind === 'fraud') byKind[r.kind].push(JSON.parse(text(r)));
    }
    const median = (xs: number[]): number => xs.sort((a, b) => a - b)[xs.length >> 1] as number;
    const amounts = (events: Record<string, unknown>[]): number[] => events.map((e) => e.amount as number);
    const declineShare = (events: Record<string, unknown>[]): number =>
      events.filter((e) => e.status === 'declined').length / events.length;
    const fraudMedian = median(amounts(byKind.fraud));
    expect(fraudMedian).toBeGreaterThan(median(amounts(byKind.normal)));
    expect(declineShare(byKind.fraud)).toBeGreaterThan(3 * declineShare(byKind.normal));
    expect(declineShare(byKind.normal)).toBeGreaterThan(0.015);
    expect(declineShare(byKind.normal)).toBeLessThan(0.045);
    // Plenty of normal transactions are big too.
    expect(amounts(byKind.normal).filter((a) => a > fraudMedian).length).toBeGreaterThan(byKind.fraud.length);
  });

  it('skews cards and merchants like Zipf', () => {
    const perCard = new Map<string, number>();
    const perMerchant = new Map<string, number>();
    for (const l of traffic.labels) {
      perCard.set(l.card_id, (perCard.get(l.card_id) ?? 0) + 1);
      perMerchant.set(l.merchant_id, (perMerchant.get(l.merchant_id) ?? 0) + 1);
    }
    const sorted = (m: Map<string, number>): number[] => [...m.values()].sort((a, b) => b - a);
    const cards = sorted(perCard);
    const merchants = sorted(perMerchant);
    expect(cards[0]).toBeGreaterThan(50 * (cards[cards.length >> 1] as number));
    expect(merchants[0]).toBeGreaterThan(20 * (merchants[merchants.length >> 1] as number));
  });

  it('writes JSON Lines with the arrival time, one line per record', () => {
    const small = generateFraudTraffic({ events: 2000, invalidRate: 0.05 });
    const { events, labels } = toJsonLines(small, 'arrival');
    const lines = events.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.length).toBe(small.records.length);
    lines.forEach((line, i) => {
      const record = small.records[i] as GeneratedRecord;
      let body: unknown;
      try {
        body = JSON.parse(line);
      } catch {
        expect(line).toBe(text(record));
        return;
      }
      if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
        expect((body as { arrival: number }).arrival).toBe(record.arrivalMs);
      } else {
        expect(line).toBe(text(record));
      }
    });
    expect(
      labels
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual(small.labels);
    // An arrival field that collides with an event key replaces it (slow path).
    const clash = toJsonLines(small, 'ts').events.split('\n')[0] as string;
    expect(JSON.parse(clash).ts).toBe(small.records[0]?.arrivalMs);
  });

  it('refuses bad options, naming them', () => {
    expect(() => generateFraudTraffic({ events: -1 })).toThrow(/events/);
    expect(() => generateFraudTraffic({ lateRate: 1.5 })).toThrow(/lateRate/);
    expect(() => generateFraudTraffic({ eventsPerSecond: 0 })).toThrow(/eventsPerSecond/);
    expect(() => generateFraudTraffic({ seed: Number.NaN })).toThrow(/seed/);
  });
});
