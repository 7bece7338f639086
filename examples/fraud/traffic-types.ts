/**
 * The shape of generated fraud traffic (records, labels, counts) and the generator's options: defaults and
 * validation.
 */

export type RecordKind = 'normal' | 'fraud' | 'late' | 'future' | 'duplicate' | 'invalid';
export const RECORD_KINDS: readonly RecordKind[] = [
  'normal',
  'fraud',
  'late',
  'future',
  'duplicate',
  'invalid',
];

/** How an invalid record is broken. */
export type InvalidKind =
  | 'not_json' // garbage text or JSON cut short
  | 'json_array' // the event wrapped in a JSON array
  | 'missing_ts'
  | 'unparsable_ts' // ts: "yesterday"
  | 'missing_card_id'
  | 'amount_string' // amount: "12.50"
  | 'missing_country'; // geo: {} or no geo at all
export const INVALID_KINDS: readonly InvalidKind[] = [
  'not_json',
  'json_array',
  'missing_ts',
  'unparsable_ts',
  'missing_card_id',
  'amount_string',
  'missing_country',
];

/** The partition key of invalid records that carry no card_id. */
export const UNKNOWN_PARTITION_KEY = 'unknown';

export interface GeneratedRecord {
  /**
   * The payload bytes (UTF-8; JSON except for `not_json` invalid records). A view into a shared buffer,
   * like a pooled Node Buffer: read it through byteOffset/byteLength, not `data.buffer` alone.
   */
  readonly data: Uint8Array;
  /** Arrival time α, epoch ms (integer). */
  readonly arrivalMs: number;
  /** card_id, or UNKNOWN_PARTITION_KEY for invalid records without one. */
  readonly partitionKey: string;
  readonly kind: RecordKind;
  /** The event_id inside the payload (absent only for garbage `not_json` records). */
  readonly eventId?: string;
  /** For kind 'invalid': how it is broken. */
  readonly invalid?: InvalidKind;
}

/** Ground truth, one per normal or fraud event (none for anomalies). `ts` is τ in epoch ms. */
export interface FraudLabel {
  readonly card_id: string;
  readonly merchant_id: string;
  readonly ts: number;
  readonly event_id: string;
  readonly label: 0 | 1;
}

export interface Traffic {
  /** Sorted by arrivalMs (stable). */
  readonly records: GeneratedRecord[];
  /** Sorted by ts (stable). */
  readonly labels: FraudLabel[];
  readonly counts: Record<RecordKind, number>;
  readonly invalidCounts: Record<InvalidKind, number>;
  /** The options used, defaults filled in. */
  readonly options: TrafficOptions;
}

export interface TrafficOptions {
  /** Base events (normal + fraud). Default 50 000. */
  events: number;
  /** Default 42. */
  seed: number;
  /** Event time of the start of the stream, epoch ms. Default 2026-11-01T00:00:00Z. */
  startMs: number;
  /** Base events per second of event time: the stream spans events / eventsPerSecond seconds. Default 50. */
  eventsPerSecond: number;
  /** Distinct cards, drawn Zipf(cardZipfExponent). Default 100 000. */
  cards: number;
  /** Default 0.8: card activity is far less skewed than merchant traffic (the top card gets about 2% of it). */
  cardZipfExponent: number;
  /** Distinct merchants, drawn Zipf(merchantZipfExponent). Default 5 000. */
  merchants: number;
  /** Default 1.1. */
  merchantZipfExponent: number;
  /** Share of base events that belong to fraud bursts. Default 0.005. */
  fraudRate: number;
  /** Decline probability of a normal transaction. Default 0.03. */
  declineRate: number;
  /** Decline probability of a fraud transaction. Default 0.3. */
  fraudDeclineRate: number;
  /** Share of cards currently travelling (most of their transactions abroad). Default 0.03. */
  travellerRate: number;
  /** Share of other normal transactions made abroad (cross-border online shopping). Default 0.01. */
  crossBorderRate: number;
  /** Share of events whose ts is an ISO-8601 string with `Z`. Default 0.08. */
  isoZuluRate: number;
  /** Share of events whose ts is an ISO-8601 string with a `+01:00` offset. Default 0.04. */
  isoOffsetRate: number;
  /** Median network delay α − τ, ms (lognormal). Default 200. */
  networkDelayMedianMs: number;
  /** Sigma of the log of the network delay. Default 0.6 (95% below ~530 ms; capped at 30 s). */
  networkDelaySigma: number;
  /** Late records (α − τ in [6 min, 30 min]), as a share of events. Default 0.005. */
  lateRate: number;
  /** Future records (τ − α in [2 min, 10 min]), as a share of events. Default 0.002. */
  futureRate: number;
  /** Duplicates (a base event re-sent 0.5–30 s later, same bytes), as a share of events. Default 0.01. */
  duplicateRate: number;
  /** Invalid records, as a share of events. Default 0.005. */
  invalidRate: number;
}

export const DEFAULT_TRAFFIC_OPTIONS: Readonly<TrafficOptions> = Object.freeze({
  events: 50_000,
  seed: 42,
  startMs: Date.parse('2026-11-01T00:00:00Z'),
  eventsPerSecond: 50,
  cards: 100_000,
  cardZipfExponent: 0.8,
  merchants: 5_000,
  merchantZipfExponent: 1.1,
  fraudRate: 0.005,
  declineRate: 0.03,
  fraudDeclineRate: 0.3,
  travellerRate: 0.03,
  crossBorderRate: 0.01,
  isoZuluRate: 0.08,
  isoOffsetRate: 0.04,
  networkDelayMedianMs: 200,
  networkDelaySigma: 0.6,
  lateRate: 0.005,
  futureRate: 0.002,
  duplicateRate: 0.01,
  invalidRate: 0.005,
});

/** Milliseconds in a minute. */
export const MINUTE = 60_000;

const RATE_OPTIONS = [
  'fraudRate',
  'declineRate',
  'fraudDeclineRate',
  'travellerRate',
  'crossBorderRate',
  'isoZuluRate',
  'isoOffsetRate',
  'lateRate',
  'futureRate',
  'duplicateRate',
  'invalidRate',
] as const satisfies readonly (keyof TrafficOptions)[];

/** Fills in defaults and checks every value; throws a RangeError naming the bad option. */
export function resolveTrafficOptions(options: Partial<TrafficOptions> = {}): TrafficOptions {
  const o: TrafficOptions = { ...DEFAULT_TRAFFIC_OPTIONS };
  for (const [key, value] of Object.entries(options) as [keyof TrafficOptions, number | undefined][]) {
    if (!(key in DEFAULT_TRAFFIC_OPTIONS)) throw new RangeError(`unknown traffic option "${key}"`);
    if (value !== undefined) o[key] = value;
  }
  const fail = (key: keyof TrafficOptions, expected: string): never => {
    throw new RangeError(`traffic option ${key} must be ${expected}, got ${String(o[key])}`);
  };
  for (const key of Object.keys(o) as (keyof TrafficOptions)[]) {
    if (typeof o[key] !== 'number' || !Number.isFinite(o[key])) fail(key, 'a finite number');
  }
  if (!Number.isInteger(o.events) || o.events < 0) fail('events', 'an integer >= 0');
  if (!Number.isInteger(o.seed)) fail('seed', 'an integer');
  if (!Number.isInteger(o.startMs)) fail('startMs', 'an integer (epoch ms)');
  if (!(o.eventsPerSecond > 0)) fail('eventsPerSecond', '> 0');
  if (!Number.isInteger(o.cards) || o.cards < 1 || o.cards > 2 ** 31 - 1) fail('cards', 'a positive integer');
  if (!Number.isInteger(o.merchants) || o.merchants < 1 || o.merchants > 2 ** 31 - 1) {
    fail('merchants', 'a positive integer');
  }
  if (o.cardZipfExponent < 0) fail('cardZipfExponent', '>= 0');
  if (o.merchantZipfExponent < 0) fail('merchantZipfExponent', '>= 0');
  for (const key of RATE_OPTIONS) if (o[key] < 0 || o[key] > 1) fail(key, 'between 0 and 1');
  if (o.isoZuluRate + o.isoOffsetRate > 1) fail('isoOffsetRate', 'at most 1 − isoZuluRate');
  if (!(o.networkDelayMedianMs >= 0)) fail('networkDelayMedianMs', '>= 0');
  if (!(o.networkDelaySigma >= 0)) fail('networkDelaySigma', '>= 0');
  return o;
}
