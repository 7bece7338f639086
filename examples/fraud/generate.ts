/**
 * Seeded, deterministic synthetic card-transaction traffic for the fraud example (examples/fraud/spec.json).
 *
 * The base stream is `events` transactions: normal traffic (Zipf-skewed cards and merchants, a home country
 * per card, lognormal amounts per merchant category, a few declines) plus labelled fraud bursts (a compromised
 * card makes 5–15 rapid transactions at unusual merchants, with higher amounts, mostly abroad, more declines).
 * The task is learnable but not trivial: some normal cards travel, some spend big, hot cards transact a lot,
 * and some bursts stay in the home country or use popular merchants.
 *
 * On top of the base stream come anomalies the engine must reject, each at its own rate of `events`:
 * late events, future events, re-sent duplicates and invalid payloads. Every record has an arrival time
 * α = τ + a small network delay, so arrival order differs slightly from event-time order.
 *
 * Same options (seed included) → byte-identical output.
 *
 * Layout: traffic-types.ts (types, options), world.ts (countries, categories, cards, merchants),
 * transactions.ts (normal and fraud transactions, serialisation), anomalies.ts (duplicates, late, future and
 * invalid records), json-lines.ts (JSON Lines output). This module puts them together and re-exports the
 * public API.
 */
import { injectAnomalies } from './anomalies.js';
import { Rng } from './random.js';
import {
  type FraudLabel,
  type GeneratedRecord,
  INVALID_KINDS,
  RECORD_KINDS,
  resolveTrafficOptions,
  type Traffic,
  type TrafficOptions,
} from './traffic-types.js';
import {
  BURST_MAX,
  BURST_MIN,
  fraudBurst,
  networkDelay,
  normalTxn,
  SlabEncoder,
  type Txn,
  txnJson,
} from './transactions.js';
import { buildWorld } from './world.js';

export { eventLinesText, labelLinesText, toJsonLines } from './json-lines.js';
export type {
  FraudLabel,
  GeneratedRecord,
  InvalidKind,
  RecordKind,
  Traffic,
  TrafficOptions,
} from './traffic-types.js';
export {
  DEFAULT_TRAFFIC_OPTIONS,
  INVALID_KINDS,
  RECORD_KINDS,
  resolveTrafficOptions,
  UNKNOWN_PARTITION_KEY,
} from './traffic-types.js';
export { isoWithOffset } from './transactions.js';

function emptyCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  const counts = {} as Record<K, number>;
  for (const k of keys) counts[k] = 0;
  return counts;
}

/**
 * Generates the traffic. Counts are exact: round(fraudRate · events) fraud events (in bursts of 5–15,
 * the last one possibly shorter), the rest normal, and round(rate · events) records of each anomaly kind.
 * Each part draws from its own random stream, so e.g. changing duplicateRate leaves the base events as they were.
 */
export function generateFraudTraffic(options: Partial<TrafficOptions> = {}): Traffic {
  const o = resolveTrafficOptions(options);
  const world = buildWorld(o);
  const spanMs = (o.events / o.eventsPerSecond) * 1000;
  const fraudCount = Math.min(o.events, Math.round(o.fraudRate * o.events));
  const normalCount = o.events - fraudCount;

  const records: GeneratedRecord[] = [];
  const labels: FraudLabel[] = [];
  const counts = emptyCounts(RECORD_KINDS);
  const invalidCounts = emptyCounts(INVALID_KINDS);

  const bytes = new SlabEncoder();
  const pushBase = (rng: Rng, txn: Txn, kind: 'normal' | 'fraud'): void => {
    const e = txn.event;
    records.push({
      data: bytes.encode(txnJson(e)),
      arrivalMs: txn.tau + networkDelay(rng, o),
      partitionKey: e.card_id,
      kind,
      eventId: e.event_id,
    });
    labels.push({
      card_id: e.card_id,
      merchant_id: e.merchant_id,
      ts: txn.tau,
      event_id: e.event_id,
      label: kind === 'fraud' ? 1 : 0,
    });
    counts[kind]++;
  };

  // Normal traffic: a Poisson process spanning about spanMs.
  const normalRng = new Rng(o.seed, 2);
  const meanGapMs = normalCount > 0 ? spanMs / normalCount : 0;
  let t = o.startMs;
  for (let i = 0; i < normalCount; i++) {
    t += normalRng.exponential(meanGapMs);
    pushBase(normalRng, normalTxn(normalRng, world, o, Math.floor(t)), 'normal');
  }

  // Fraud bursts.
  const fraudRng = new Rng(o.seed, 3);
  for (let remaining = fraudCount; remaining > 0; ) {
    let size = fraudRng.int(BURST_MIN, BURST_MAX);
    // Never leave a remainder too small for a burst of its own (unless fraudCount itself is that small).
    if (remaining - size < BURST_MIN) size = remaining <= BURST_MAX ? remaining : remaining - BURST_MIN;
    for (const txn of fraudBurst(fraudRng, world, o, size, spanMs)) pushBase(fraudRng, txn, 'fraud');
    remaining -= size;
  }

  // Anomalies: duplicates, late, future and invalid records.
  injectAnomalies({ o, world, spanMs, bytes, records, counts, invalidCounts });

  records.sort((a, b) => a.arrivalMs - b.arrivalMs); // Array.prototype.sort is stable
  labels.sort((a, b) => a.ts - b.ts);
  return { records, labels, counts, invalidCounts, options: o };
}
