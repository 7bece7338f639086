/**
 * Anomalies the engine must reject, added on top of the base stream, each kind from its own random stream:
 * re-sent duplicates, late and future events, and invalid payloads.
 */
import { Rng } from './random.js';
import {
  type GeneratedRecord,
  INVALID_KINDS,
  type InvalidKind,
  MINUTE,
  type RecordKind,
  type TrafficOptions,
  UNKNOWN_PARTITION_KEY,
} from './traffic-types.js';
import { networkDelay, normalTxn, type SlabEncoder, type TxnEvent, txnJson } from './transactions.js';
import type { World } from './world.js';

const LATE_MIN_MS = 6 * MINUTE;
const LATE_MAX_MS = 30 * MINUTE;
const FUTURE_MIN_MS = 2 * MINUTE;
const FUTURE_MAX_MS = 10 * MINUTE;
const DUPLICATE_MIN_MS = 500;
const DUPLICATE_MAX_MS = 30_000;

/** The generator state the anomalies are drawn from and added to. */
export interface AnomalyContext {
  readonly o: TrafficOptions;
  readonly world: World;
  /** Event-time span of the base stream, ms. */
  readonly spanMs: number;
  readonly bytes: SlabEncoder;
  /** The base records (normal and fraud) on entry; the anomalies are appended, unsorted. */
  readonly records: GeneratedRecord[];
  readonly counts: Record<RecordKind, number>;
  readonly invalidCounts: Record<InvalidKind, number>;
}

/** A random arrival time within the arrival range of the base stream. */
type ArrivalInStream = (rng: Rng) => number;

/** Appends round(rate · events) records of each anomaly kind: duplicates, then late, future and invalid ones. */
export function injectAnomalies(ctx: AnomalyContext): void {
  const { o, records, spanMs } = ctx;
  const baseCount = records.length;
  let minArrival = o.startMs;
  let maxArrival = o.startMs + spanMs;
  if (baseCount > 0) {
    minArrival = Number.POSITIVE_INFINITY;
    maxArrival = Number.NEGATIVE_INFINITY;
    for (const r of records) {
      if (r.arrivalMs < minArrival) minArrival = r.arrivalMs;
      if (r.arrivalMs > maxArrival) maxArrival = r.arrivalMs;
    }
  }
  const arrivalInStream: ArrivalInStream = (rng) => Math.floor(rng.uniform(minArrival, maxArrival + 1));

  injectDuplicates(ctx);
  injectSkewed(ctx, arrivalInStream, 'late', Math.round(o.lateRate * o.events), LATE_MIN_MS, LATE_MAX_MS);
  injectSkewed(
    ctx,
    arrivalInStream,
    'future',
    Math.round(o.futureRate * o.events),
    FUTURE_MIN_MS,
    FUTURE_MAX_MS,
  );
  injectInvalid(ctx, arrivalInStream);
}

/** Duplicates: a base event re-sent, byte for byte, a little later. */
function injectDuplicates({ o, records, counts }: AnomalyContext): void {
  const baseCount = records.length;
  const duplicateRng = new Rng(o.seed, 4);
  const duplicateCount = baseCount > 0 ? Math.round(o.duplicateRate * o.events) : 0;
  for (let i = 0; i < duplicateCount; i++) {
    const original = records[duplicateRng.int(0, baseCount - 1)] as GeneratedRecord;
    records.push({
      data: original.data.slice(),
      arrivalMs: original.arrivalMs + duplicateRng.int(DUPLICATE_MIN_MS, DUPLICATE_MAX_MS),
      partitionKey: original.partitionKey,
      kind: 'duplicate',
      ...(original.eventId === undefined ? {} : { eventId: original.eventId }),
    });
    counts.duplicate++;
  }
}

/** Late and future events: otherwise ordinary transactions, arriving during the stream. */
function injectSkewed(
  { o, world, bytes, records, counts }: AnomalyContext,
  arrivalInStream: ArrivalInStream,
  kind: 'late' | 'future',
  count: number,
  minMs: number,
  maxMs: number,
): void {
  const rng = new Rng(o.seed, kind === 'late' ? 5 : 7);
  for (let i = 0; i < count; i++) {
    const alpha = arrivalInStream(rng);
    const offset = rng.int(minMs, maxMs);
    const tau = kind === 'late' ? alpha - offset : alpha + offset;
    const { event } = normalTxn(rng, world, o, tau);
    records.push({
      data: bytes.encode(txnJson(event)),
      arrivalMs: alpha,
      partitionKey: event.card_id,
      kind,
      eventId: event.event_id,
    });
    counts[kind]++;
  }
}

/** Invalid records: ordinary transactions, broken in one of the INVALID_KINDS ways. */
function injectInvalid(
  { o, world, bytes, records, counts, invalidCounts }: AnomalyContext,
  arrivalInStream: ArrivalInStream,
): void {
  const invalidRng = new Rng(o.seed, 6);
  const invalidCount = Math.round(o.invalidRate * o.events);
  for (let i = 0; i < invalidCount; i++) {
    const alpha = arrivalInStream(invalidRng);
    const { event } = normalTxn(invalidRng, world, o, alpha - networkDelay(invalidRng, o));
    const how = invalidRng.pick(INVALID_KINDS);
    const broken = breakEvent(invalidRng, event, how);
    records.push({
      data: bytes.encode(broken.text),
      arrivalMs: alpha,
      partitionKey: broken.hasCardId ? event.card_id : UNKNOWN_PARTITION_KEY,
      kind: 'invalid',
      ...(broken.hasEventId ? { eventId: event.event_id } : {}),
      invalid: how,
    });
    counts.invalid++;
    invalidCounts[how]++;
  }
}

/** Breaks a valid event in the given way; the text never contains a raw newline. */
function breakEvent(
  rng: Rng,
  event: TxnEvent,
  how: InvalidKind,
): { text: string; hasCardId: boolean; hasEventId: boolean } {
  const loose = event as unknown as Record<string, unknown>;
  switch (how) {
    case 'not_json': {
      if (rng.chance(0.5)) {
        // JSON cut short (a truncated write): never valid, as the closing brace is gone.
        const json = JSON.stringify(event);
        return { text: json.slice(0, rng.int(1, json.length - 1)), hasCardId: false, hasEventId: false };
      }
      // Form-encoded text from a misconfigured producer.
      const text = `card=${event.card_id}&merchant=${event.merchant_id}&amount=${event.amount}&ts=${event.ts}`;
      return { text, hasCardId: false, hasEventId: false };
    }
    case 'json_array':
      return { text: `[${JSON.stringify(event)}]`, hasCardId: true, hasEventId: true };
    case 'missing_ts':
      delete loose.ts;
      break;
    case 'unparsable_ts':
      loose.ts = 'yesterday';
      break;
    case 'missing_card_id':
      delete loose.card_id;
      return { text: JSON.stringify(event), hasCardId: false, hasEventId: true };
    case 'amount_string':
      loose.amount = event.amount.toFixed(2);
      break;
    case 'missing_country':
      if (rng.chance(0.5)) delete loose.geo;
      else loose.geo = {};
      break;
  }
  return { text: JSON.stringify(event), hasCardId: true, hasEventId: true };
}
