/**
 * The engine against a brute-force reference of the normative semantics (test/support/oracle.ts), on random streams:
 * small random specs, disorder, duplicates, redeliveries, invalid records of every kind, and queries at boundaries.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AGGREGATIONS,
  type Aggregation,
  compileSpec,
  type InputRecord,
  MemoryEngine,
  parseSpec,
  type ReplayQuery,
  replay,
  type WhereFilter,
} from '../../core/index.js';
import { durationMs, type OracleOutcome, type OracleVerdict, oracle } from '../support/oracle.js';

/** A whole minute, so that every tile size used here has a boundary on it. */
const T0 = 1_699_999_980_000;
const INF = '__INF__';

// ---------------------------------------------------------------------------------------------------------------
// Specs

const WINDOWS: readonly [string | number, string | number][] = [
  ['3s', '1s'],
  ['10s', '2s'],
  ['1m', '10s'],
  [3_000, 1_000],
  ['4s', '4s'],
];

const WHERES: readonly WhereFilter[] = [
  { field: 'status', eq: 'ok' },
  { field: 'status', ne: 'declined' },
  { field: 'status', in: ['ok', 'review'] },
  { field: 'status', eq: null },
  { field: 'amount', gt: 5 },
  { field: 'amount', gte: 5 },
  { field: 'amount', lt: 10 },
  { field: 'amount', lte: 0 },
  { field: 'flag', eq: true },
  { field: 'meta.kind', eq: 'a' },
  { field: 'meta.kind', ne: 'a' },
];

const FIELDS: Record<Exclude<Aggregation, 'count'>, readonly string[]> = {
  sum: ['amount', 'amount', 'meta.score'],
  avg: ['amount', 'meta.score'],
  min: ['amount', 'meta.score'],
  max: ['amount', 'meta.score'],
  stddev: ['amount', 'meta.score'],
  distinct: ['merchant_id', 'status', 'amount', 'meta.kind'],
  last: ['status', 'amount', 'meta', 'flag'],
};

const featureArb = fc.record({
  entity: fc.nat(1),
  agg: fc.constantFrom(...AGGREGATIONS),
  field: fc.nat(3),
  window: fc.constantFrom(...WINDOWS),
  where: fc.option(fc.constantFrom(...WHERES), { freq: 2 }),
});

const specArb = fc
  .record({
    twoEntities: fc.boolean(),
    withId: fc.boolean(),
    lateness: fc.constantFrom<string | undefined>('1s', '2s', '5s', undefined),
    skew: fc.constantFrom<string | number | undefined>('500ms', '1s', 2_000, undefined),
    horizon: fc.constantFrom<string | undefined>('1s', '3s', '10s', undefined),
    features: fc.array(featureArb, { minLength: 3, maxLength: 8 }),
  })
  .map(({ twoEntities, withId, lateness, skew, horizon, features }) => {
    const entities: Record<string, string[]> = twoEntities
      ? { card: ['card_id'], card_merchant: ['card_id', 'merchant_id'] }
      : { card: ['card_id'] };
    const names = Object.keys(entities);
    const event: Record<string, unknown> = { timeField: 'ts' };
    if (withId) event.idField = 'event_id';
    if (lateness !== undefined) event.allowedLateness = lateness;
    if (skew !== undefined) event.maxFutureSkew = skew;
    if (horizon !== undefined) event.dedupeHorizon = horizon;
    return {
      version: 1,
      name: 'prop',
      event,
      entities,
      features: features.map((f, i) => {
        const out: Record<string, unknown> = {
          name: `f${i}_${f.agg}`,
          entity: names[f.entity % names.length],
          agg: f.agg,
          window: f.window[0],
          tile: f.window[1],
        };
        if (f.agg !== 'count') {
          const fields = FIELDS[f.agg];
          out.field = fields[f.field % fields.length];
        }
        if (f.where) out.where = f.where;
        return out;
      }),
    };
  });

type SpecJson = ReturnType<(typeof specArb)['generate']>['value'];

// ---------------------------------------------------------------------------------------------------------------
// Events and records

const DEFECTS = [
  'not-json',
  'bad-utf8',
  'array',
  'number',
  'null',
  'time-missing',
  'time-no-zone',
  'time-garbage',
  'time-inf',
  'time-bool',
  'card-missing',
  'card-empty',
  'card-bool',
  'card-inf',
  'merchant-missing',
  'merchant-null',
  'id-missing',
  'id-empty',
  'id-long',
  'card-long',
  'merchant-hashes',
  'status-long',
  'amount-string',
  'amount-inf',
  'amount-missing',
  'amount-null',
  'status-bool',
  'status-empty',
  'meta-null',
  'meta-array',
] as const;

const delayArb = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 1_500 }), weight: 5 },
  { arbitrary: fc.integer({ min: -3_000, max: 0 }), weight: 1 },
  { arbitrary: fc.integer({ min: 0, max: 8_000 }), weight: 1 },
  {
    arbitrary: fc.record({ edge: fc.constantFrom('late', 'future'), d: fc.integer({ min: -1, max: 1 }) }),
    weight: 1,
  },
);

const eventArb = fc.record({
  tau: fc.oneof(
    fc.integer({ min: 0, max: 15_000 }),
    fc
      .tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: -1, max: 1 }))
      .map(([s, d]) => Math.max(0, s * 1_000 + d)),
  ),
  delay: delayArb,
  card: fc.constantFrom('c1', 'c2', 'c3'),
  // 3 and '3' are one key value and one distinct value.
  merchant: fc.constantFrom<string | number>('m1', 'm2', 3, '3'),
  amount: fc.oneof(
    fc.integer({ min: -20, max: 40 }).map((n) => n / 4),
    fc.constantFrom(0.1, 0.2, 0.3, -0.7, 1e6 + 0.1, 12.34),
  ),
  status: fc.constantFrom<string | null | undefined>(
    'ok',
    'ok',
    'ok',
    'declined',
    'review',
    'review',
    null,
    undefined,
  ),
  flag: fc.constantFrom<boolean | undefined>(true, false, undefined),
  meta: fc.option(fc.record({ kind: fc.constantFrom('a', 'b'), score: fc.integer({ min: -5, max: 5 }) }), {
    freq: 8,
  }),
  id: fc.integer({ min: 0, max: 5 }),
  timeFormat: fc.constantFrom('number', 'number', 'iso-z', 'iso-offset'),
  offsetMinutes: fc.constantFrom(120, -330, 0, 545),
  shard: fc.constantFrom('s0', 's1'),
  /**
   * Takes its time (τ, and α too for 'same-time'), card and merchant from the event before: ties for `last`.
   * 'after-horizon': the event before's id, arriving the dedupe horizon (± 1 ms) after it.
   */
  twin: fc.constantFrom('none', 'none', 'none', 'none', 'none', 'same-time', 'same-tau', 'after-horizon'),
  horizonDelta: fc.integer({ min: -1, max: 1 }),
  defect: fc.oneof(
    { arbitrary: fc.constant(null), weight: 6 },
    { arbitrary: fc.constantFrom(...DEFECTS), weight: 1 },
  ),
});
type EventGen = ReturnType<(typeof eventArb)['generate']>['value'];

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');

function isoWithOffset(ms: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 23);
  const sign = offsetMinutes < 0 ? '-' : '+';
  return `${local}${sign}${pad(Math.trunc(offsetMinutes / 60))}:${pad(offsetMinutes % 60)}`;
}

/** What a record carries, readable in a counterexample: the payload as text (or raw bytes when not UTF-8). */
interface CaseRecord {
  text: string;
  bytes?: number[];
  arrivalMs: number;
  shardId: string;
  sequenceNumber: string;
}

function eventPayload(
  e: EventGen,
  spec: SpecJson,
): { text: string; bytes?: number[]; tau: number; alpha: number } {
  const tau = T0 + e.tau;
  const lateness = durationMs((spec.event.allowedLateness as string | undefined) ?? '5m');
  const skew = durationMs((spec.event.maxFutureSkew as string | number | undefined) ?? '1m');
  const delay =
    typeof e.delay === 'number'
      ? e.delay
      : e.delay.edge === 'late'
        ? lateness + e.delay.d
        : -(skew + e.delay.d);
  const alpha = tau + delay;
  const body: Record<string, unknown> = {
    ts:
      e.timeFormat === 'number'
        ? tau
        : e.timeFormat === 'iso-z'
          ? new Date(tau).toISOString()
          : isoWithOffset(tau, e.offsetMinutes),
    event_id: `e${e.id}`,
    card_id: e.card,
    merchant_id: e.merchant,
    amount: e.amount,
  };
  if (e.status !== undefined) body.status = e.status;
  if (e.flag !== undefined) body.flag = e.flag;
  if (e.meta !== null) body.meta = { ...e.meta };
  switch (e.defect) {
    case 'not-json':
      return { text: `{"ts": ${tau}, "card_id": `, tau, alpha };
    case 'bad-utf8':
      return { text: '<invalid UTF-8>', bytes: [0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d], tau, alpha };
    case 'array':
      return { text: JSON.stringify([body]), tau, alpha };
    case 'number':
      return { text: String(tau), tau, alpha };
    case 'null':
      return { text: 'null', tau, alpha };
    case 'time-missing':
      delete body.ts;
      break;
    case 'time-no-zone':
      body.ts = new Date(tau).toISOString().slice(0, 23);
      break;
    case 'time-garbage':
      body.ts = 'yesterday';
      break;
    case 'time-inf':
      body.ts = INF;
      break;
    case 'time-bool':
      body.ts = true;
      break;
    case 'card-missing':
      delete body.card_id;
      break;
    case 'card-empty':
      body.card_id = '';
      break;
    case 'card-bool':
      body.card_id = false;
      break;
    case 'card-inf':
      body.card_id = INF;
      break;
    case 'merchant-missing':
      delete body.merchant_id;
      break;
    case 'merchant-null':
      body.merchant_id = null;
      break;
    case 'id-missing':
      delete body.event_id;
      break;
    case 'id-empty':
      body.event_id = '';
      break;
    case 'id-long':
      // 2,002 bytes of UTF-8 in 1,001 characters: over the 2,000-byte limit.
      body.event_id = 'é'.repeat(1001);
      break;
    case 'card-long':
      // Fits the card's key (`card#` + 1,995 = 2,000 bytes), not the card_merchant's.
      body.card_id = 'c'.repeat(1995);
      break;
    case 'merchant-hashes':
      // 662 `#` escape to 1,986 bytes: over the limit in a card_merchant key only.
      body.merchant_id = '#'.repeat(662);
      break;
    case 'status-long':
      body.status = 's'.repeat(1100);
      break;
    case 'amount-string':
      body.amount = String(e.amount);
      break;
    case 'amount-inf':
      body.amount = INF;
      break;
    case 'amount-missing':
      delete body.amount;
      break;
    case 'amount-null':
      body.amount = null;
      break;
    case 'status-bool':
      body.status = true;
      break;
    case 'status-empty':
      body.status = '';
      break;
    case 'meta-null':
      body.meta = null;
      break;
    case 'meta-array':
      body.meta = [1];
      break;
    case null:
      break;
  }
  return { text: JSON.stringify(body).replaceAll(`"${INF}"`, '1e999'), tau, alpha };
}

/** A copy of a record, given somewhere after it: what a Lambda retry or a duplicate in the archive looks like. */
const redeliveryArb = fc.record({ of: fc.nat(), after: fc.nat() });

const queryArb = fc.record({
  entity: fc.nat(1),
  keyOfRef: fc.boolean(),
  card: fc.constantFrom('c1', 'c2', 'c3'),
  merchant: fc.constantFrom<string | number>('m1', 'm2', 3),
  kind: fc.constantFrom('tau', 'alpha', 'tile-start', 'tile-next', 'window-end', 'random', 'after-all'),
  ref: fc.nat(),
  feature: fc.nat(),
  delta: fc.integer({ min: -1, max: 1 }),
  random: fc.integer({ min: -2_000, max: 30_000 }),
});

interface Case {
  spec: SpecJson;
  records: CaseRecord[];
  queries: ReplayQuery[];
}

const caseArbOf = (minEvents: number, maxEvents: number): fc.Arbitrary<Case> =>
  specArb.chain((spec) =>
    fc
      .record({
        events: fc.array(eventArb, { minLength: minEvents, maxLength: maxEvents, size: 'medium' }),
        redeliveries: fc.array(redeliveryArb, { maxLength: Math.max(6, maxEvents / 8) }),
        queries: fc.array(queryArb, { minLength: 1, maxLength: 14, size: 'medium' }),
        bigSequences: fc.boolean(),
      })
      .map(({ events, redeliveries, queries, bigSequences }) =>
        buildCase(spec, events, redeliveries, queries, bigSequences),
      ),
  );

const caseArb = caseArbOf(1, 40);

function buildCase(
  spec: SpecJson,
  events: EventGen[],
  redeliveries: { of: number; after: number }[],
  queryGens: ReturnType<(typeof queryArb)['generate']>['value'][],
  bigSequences: boolean,
): Case {
  const horizon = durationMs((spec.event.dedupeHorizon as string | undefined) ?? '24h');
  for (let i = 1; i < events.length; i++) {
    const [prev, e] = [events[i - 1] as EventGen, events[i] as EventGen];
    if (e.twin === 'after-horizon' && horizon <= 10_000) {
      events[i] = { ...e, tau: prev.tau + horizon + e.horizonDelta, delay: prev.delay, id: prev.id };
    } else if (e.twin === 'same-time' || e.twin === 'same-tau') {
      const delay = e.twin === 'same-time' ? prev.delay : e.delay;
      events[i] = { ...e, tau: prev.tau, delay, card: prev.card, merchant: prev.merchant };
    }
  }
  const payloads = events.map((e) => eventPayload(e, spec));
  // Sequence numbers rise per shard in arrival order (ties in the order given), as Kinesis assigns them; their
  // lengths vary. Streams stay that realistic: where the text sets no rule (a lower sequence number arriving after a
  // higher one, a copy with another arrival time), conventions may differ without either being wrong.
  const base = bigSequences ? 10n ** 55n : 0n;
  const order = payloads.map((_, i) => i);
  order.sort((a, b) => (payloads[a]?.alpha ?? 0) - (payloads[b]?.alpha ?? 0) || a - b);
  const next = new Map<string, bigint>();
  const sequence: string[] = [];
  for (const i of order) {
    const shard = (events[i] as EventGen).shard;
    const k = next.get(shard) ?? 0n;
    next.set(shard, k + 1n);
    sequence[i] = (base + k * 7n + 3n).toString();
  }
  const records: CaseRecord[] = payloads.map((p, i) => {
    const r: CaseRecord = {
      text: p.text,
      arrivalMs: p.alpha,
      shardId: (events[i] as EventGen).shard,
      sequenceNumber: sequence[i] as string,
    };
    if (p.bytes) r.bytes = p.bytes;
    return r;
  });
  const originals = [...records];
  for (const r of redeliveries) {
    const original = originals[r.of % originals.length] as CaseRecord;
    const after = records.indexOf(original) + 1;
    records.splice(after + (r.after % (records.length - after + 1)), 0, { ...original });
  }

  const entityNames = Object.keys(spec.entities);
  const features = spec.features;
  const queries = queryGens.map((q): ReplayQuery => {
    const entity = entityNames[q.entity % entityNames.length] as string;
    const ref = events[q.ref % events.length] as EventGen;
    const [card, merchant] = q.keyOfRef ? [ref.card, ref.merchant] : [q.card, q.merchant];
    const key: Record<string, string | number> =
      entity === 'card' ? { card_id: card } : { card_id: card, merchant_id: merchant };
    const p = payloads[q.ref % payloads.length] as { tau: number; alpha: number };
    const f = features[q.feature % features.length] as { window: string | number; tile: string | number };
    const g = durationMs(f.tile);
    const w = durationMs(f.window);
    const tile = Math.floor(p.tau / g);
    const t = {
      tau: p.tau,
      alpha: p.alpha,
      'tile-start': tile * g,
      'tile-next': (tile + 1) * g,
      'window-end': (tile + w / g) * g,
      random: T0 + q.random,
      'after-all': T0 + 120_000,
    }[q.kind] as number;
    return { entity, key, t: t + q.delta };
  });
  return { spec, records, queries };
}

function toInputRecords(records: readonly CaseRecord[]): InputRecord[] {
  const encoder = new TextEncoder();
  return records.map((r) => ({
    data: r.bytes ? Uint8Array.from(r.bytes) : encoder.encode(r.text),
    arrivalMs: r.arrivalMs,
    shardId: r.shardId,
    sequenceNumber: r.sequenceNumber,
  }));
}

// ---------------------------------------------------------------------------------------------------------------
// Comparison

/** Numbers within a relative 1e-9 (sums in different orders); anything else deeply equal. */
function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    if (a === b) return true;
    if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
    return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  }
  return isDeepStrictEqual(a, b);
}

function featureDiffs(
  actual: Record<string, unknown>,
  expected: Record<string, unknown>,
): { feature: string; engine: unknown; oracle: unknown }[] {
  const names = new Set([...Object.keys(actual), ...Object.keys(expected)]);
  return [...names]
    .filter((name) => !(name in actual) || !(name in expected) || !sameValue(actual[name], expected[name]))
    .map((name) => ({ feature: name, engine: actual[name], oracle: expected[name] }));
}

// ---------------------------------------------------------------------------------------------------------------
// Properties

const RUNS = 300;

/** replay's answers equal the reference's, and its totals account for every record. */
function replayAgrees({ spec, records, queries }: Case): void {
  const inputs = toInputRecords(records);
  const expected = oracle(spec, inputs, queries);
  const { answers, totals } = replay(compileSpec(parseSpec(spec)), inputs, queries);

  const diffs = answers.flatMap((answer, i) => {
    const want = expected.answers[i];
    const d = featureDiffs(answer.features as Record<string, unknown>, want?.features ?? {});
    return d.length ? [{ query: queries[i], diffs: d }] : [];
  });
  expect(diffs).toEqual([]);
  expect(totals).toEqual(expected.totals);
  expect(totals.counted + totals.invalid + totals.future + totals.late + totals.duplicate).toBe(
    records.length,
  );
}

describe('the engine agrees with the brute-force reference of the semantics', () => {
  it('replay answers every query as the reference does, and accounts for every record', () => {
    fc.assert(fc.property(caseArb, replayAgrees), { numRuns: RUNS });
  });

  it('replay agrees on long streams, cut into several sweep batches', () => {
    // More than the 1000 records replay hands the engine at once, between two queries.
    fc.assert(fc.property(caseArbOf(1_200, 2_500), replayAgrees), { numRuns: 4 });
  });

  it('MemoryEngine classifies each record as the reference does, however the stream is cut into batches and settled', () => {
    fc.assert(
      fc.property(
        caseArb,
        fc.array(fc.record({ size: fc.integer({ min: 1, max: 12 }), settle: fc.boolean() }), {
          minLength: 1,
          maxLength: 20,
        }),
        (c, cuts) => {
          const inputs = toInputRecords(c.records);
          const expected = oracle(c.spec, inputs, []);
          const engine = new MemoryEngine(compileSpec(parseSpec(c.spec)));
          const byArrival = inputs
            .map((r, i) => ({ r, i }))
            .sort((a, b) => a.r.arrivalMs - b.r.arrivalMs || a.i - b.i);

          const outcome = new Map<InputRecord, { reason: OracleOutcome; rule: string }>();
          /** The engine names invalid rules more finely (`time-missing`, `field-type`): compare their families. */
          const family = (rule: string) => rule.replace(/-(missing|unparsable|type|too-long)$/, '');
          let start = 0;
          for (let k = 0; start < byArrival.length; k++) {
            const { size, settle } = cuts[k % cuts.length] as { size: number; settle: boolean };
            const batch = byArrival.slice(start, start + size).map(({ r }) => r);
            start += size;
            const result = engine.ingest(batch);
            // Settling at the last arrival frees only what no later record or read can reach.
            if (settle) engine.settle((batch[batch.length - 1] as InputRecord).arrivalMs);
            expect(result.counted.length + result.rejected.length).toBe(batch.length);
            for (const r of result.counted) outcome.set(r, { reason: 'counted', rule: 'counted' });
            for (const r of result.rejected) outcome.set(r.record, { reason: r.reason, rule: r.rule });
          }
          const mismatches = inputs.flatMap((record, i) => {
            const got = outcome.get(record);
            const want = expected.verdicts[i] as OracleVerdict;
            const rule = family(got?.rule ?? '');
            return got?.reason === want.outcome &&
              (want.causes ? want.causes.includes(rule) : rule === want.rule)
              ? []
              : [{ record: c.records[i], engine: got, oracle: want }];
          });
          expect(mismatches).toEqual([]);

          // After the last arrival, reads at any t agree with the reference (every record has arrived by then).
          const lastArrival = Math.max(...inputs.map((r) => r.arrivalMs));
          const queries = c.queries.map((q) => ({ ...q, t: Math.max(q.t, lastArrival) }));
          const want = oracle(c.spec, inputs, queries).answers;
          const diffs = queries.flatMap((q, i) => {
            const d = featureDiffs(
              engine.read(q.entity, q.key, q.t) as Record<string, unknown>,
              want[i]?.features ?? {},
            );
            return d.length ? [{ query: q, diffs: d }] : [];
          });
          expect(diffs).toEqual([]);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
