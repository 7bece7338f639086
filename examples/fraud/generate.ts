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
 */
import { DiscreteSampler, Rng, ZipfSampler } from './random.js';

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

const MINUTE = 60_000;
const LATE_MIN_MS = 6 * MINUTE;
const LATE_MAX_MS = 30 * MINUTE;
const FUTURE_MIN_MS = 2 * MINUTE;
const FUTURE_MAX_MS = 10 * MINUTE;
const DUPLICATE_MIN_MS = 500;
const DUPLICATE_MAX_MS = 30_000;
const MAX_NETWORK_DELAY_MS = 30_000;
const BURST_MIN = 5;
const BURST_MAX = 15;
const BURST_MIN_MS = 1 * MINUTE;
const BURST_MAX_MS = 5 * MINUTE;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// ---------------------------------------------------------------------------------------------------------
// The world: countries, merchant categories, cards, merchants.

interface Country {
  readonly code: string;
  /** Weight as a card's home country. */
  readonly home: number;
  /** Weight as a travel destination. */
  readonly travel: number;
  /** Weight as the country of a fraud burst abroad. */
  readonly fraud: number;
}

const COUNTRIES: readonly Country[] = [
  { code: 'US', home: 40, travel: 12, fraud: 6 },
  { code: 'GB', home: 10, travel: 8, fraud: 4 },
  { code: 'DE', home: 8, travel: 5, fraud: 2 },
  { code: 'FR', home: 7, travel: 12, fraud: 2 },
  { code: 'CA', home: 6, travel: 4, fraud: 1 },
  { code: 'ES', home: 4, travel: 10, fraud: 2 },
  { code: 'IT', home: 4, travel: 9, fraud: 2 },
  { code: 'NL', home: 3, travel: 3, fraud: 2 },
  { code: 'BR', home: 4, travel: 2, fraud: 6 },
  { code: 'MX', home: 4, travel: 6, fraud: 4 },
  { code: 'IN', home: 3, travel: 2, fraud: 5 },
  { code: 'JP', home: 3, travel: 5, fraud: 1 },
  { code: 'AU', home: 2, travel: 3, fraud: 1 },
  { code: 'TH', home: 1, travel: 6, fraud: 3 },
  { code: 'PT', home: 1, travel: 5, fraud: 1 },
  { code: 'RO', home: 0.5, travel: 1, fraud: 8 },
  { code: 'NG', home: 0.5, travel: 0.3, fraud: 10 },
  { code: 'RU', home: 0.5, travel: 0.5, fraud: 9 },
  { code: 'UA', home: 0.5, travel: 0.5, fraud: 6 },
  { code: 'ID', home: 1, travel: 3, fraud: 7 },
  { code: 'VN', home: 1, travel: 3, fraud: 6 },
];

interface Category {
  readonly name: string;
  /** Share of merchants in this category. */
  readonly weight: number;
  /** Median amount and sigma of its log. */
  readonly median: number;
  readonly sigma: number;
  /** Probability that a transaction is card-not-present. */
  readonly online: number;
  /** Favoured by fraudsters (resellable goods, little verification). */
  readonly risky: boolean;
}

const CATEGORIES: readonly Category[] = [
  { name: 'grocery', weight: 20, median: 38, sigma: 0.6, online: 0.05, risky: false },
  { name: 'restaurant', weight: 18, median: 29, sigma: 0.6, online: 0.1, risky: false },
  { name: 'coffee', weight: 8, median: 6.5, sigma: 0.4, online: 0.05, risky: false },
  { name: 'fuel', weight: 8, median: 48, sigma: 0.4, online: 0, risky: false },
  { name: 'pharmacy', weight: 6, median: 22, sigma: 0.7, online: 0.1, risky: false },
  { name: 'apparel', weight: 10, median: 62, sigma: 0.7, online: 0.4, risky: false },
  { name: 'travel', weight: 5, median: 320, sigma: 0.8, online: 0.7, risky: false },
  { name: 'electronics', weight: 7, median: 160, sigma: 0.9, online: 0.5, risky: true },
  { name: 'jewelry', weight: 3, median: 240, sigma: 1.0, online: 0.3, risky: true },
  { name: 'gift_cards', weight: 3, median: 75, sigma: 0.6, online: 0.8, risky: true },
  { name: 'marketplace', weight: 7, median: 45, sigma: 0.9, online: 0.95, risky: true },
  { name: 'digital_goods', weight: 5, median: 12, sigma: 0.8, online: 1, risky: true },
];

const CARD_TESTING_CATEGORY = CATEGORIES.findIndex((c) => c.name === 'digital_goods');

interface World {
  readonly rankToCard: Int32Array;
  readonly cardHome: Uint8Array;
  /** 0 = at home, else 1 + index of the country the card is travelling in. */
  readonly cardAbroad: Uint8Array;
  readonly cardSpend: Float32Array;
  readonly cardIds: (string | undefined)[];
  readonly cardDigits: number;
  readonly rankToMerchant: Int32Array;
  readonly merchantCategory: Uint8Array;
  readonly merchantScale: Float32Array;
  readonly merchantIds: (string | undefined)[];
  readonly merchantDigits: number;
  /** Merchants in risky categories (fallback: all). */
  readonly riskyMerchants: Int32Array;
  readonly cardZipf: ZipfSampler;
  readonly merchantZipf: ZipfSampler;
  readonly homeCountry: DiscreteSampler;
  readonly travelCountry: DiscreteSampler;
  readonly fraudCountry: DiscreteSampler;
}

function buildWorld(o: TrafficOptions): World {
  const rng = new Rng(o.seed, 1);
  const homeCountry = new DiscreteSampler(COUNTRIES.map((c) => c.home));
  const travelCountry = new DiscreteSampler(COUNTRIES.map((c) => c.travel));
  const fraudCountry = new DiscreteSampler(COUNTRIES.map((c) => c.fraud));
  const category = new DiscreteSampler(CATEGORIES.map((c) => c.weight));

  const rankToCard = new Int32Array(o.cards);
  for (let i = 0; i < o.cards; i++) rankToCard[i] = i;
  rng.shuffle(rankToCard); // so that card ids say nothing about popularity
  const cardHome = new Uint8Array(o.cards);
  const cardAbroad = new Uint8Array(o.cards);
  const cardSpend = new Float32Array(o.cards);
  for (let c = 0; c < o.cards; c++) {
    const home = homeCountry.sample(rng);
    cardHome[c] = home;
    cardAbroad[c] = rng.chance(o.travellerRate) ? 1 + otherCountry(rng, travelCountry, home) : 0;
    // Most cards spend around the category median; a few (premium, business) spend several times more.
    cardSpend[c] = rng.lognormal(0, 0.45) * (rng.chance(0.04) ? rng.uniform(2.5, 6) : 1);
  }

  const rankToMerchant = new Int32Array(o.merchants);
  for (let i = 0; i < o.merchants; i++) rankToMerchant[i] = i;
  rng.shuffle(rankToMerchant);
  const merchantCategory = new Uint8Array(o.merchants);
  const merchantScale = new Float32Array(o.merchants);
  const risky: number[] = [];
  for (let m = 0; m < o.merchants; m++) {
    const cat = category.sample(rng);
    merchantCategory[m] = cat;
    merchantScale[m] = rng.lognormal(0, 0.3);
    if (CATEGORIES[cat]?.risky) risky.push(m);
  }
  if (risky.length === 0) for (let m = 0; m < o.merchants; m++) risky.push(m);

  return {
    rankToCard,
    cardHome,
    cardAbroad,
    cardSpend,
    cardIds: new Array<string | undefined>(o.cards),
    cardDigits: String(o.cards - 1).length,
    rankToMerchant,
    merchantCategory,
    merchantScale,
    merchantIds: new Array<string | undefined>(o.merchants),
    merchantDigits: String(o.merchants - 1).length,
    riskyMerchants: Int32Array.from(risky),
    cardZipf: new ZipfSampler(o.cards, o.cardZipfExponent),
    merchantZipf: new ZipfSampler(o.merchants, o.merchantZipfExponent),
    homeCountry,
    travelCountry,
    fraudCountry,
  };
}

/** A country index other than `not` (when there is another one). */
function otherCountry(rng: Rng, sampler: DiscreteSampler, not: number): number {
  for (let attempt = 0; attempt < 16; attempt++) {
    const c = sampler.sample(rng);
    if (c !== not) return c;
  }
  return (not + 1) % COUNTRIES.length;
}

function cardId(world: World, card: number): string {
  let id = world.cardIds[card];
  if (id === undefined) {
    id = `c${String(card).padStart(world.cardDigits, '0')}`;
    world.cardIds[card] = id;
  }
  return id;
}

function merchantId(world: World, merchant: number): string {
  let id = world.merchantIds[merchant];
  if (id === undefined) {
    id = `m${String(merchant).padStart(world.merchantDigits, '0')}`;
    world.merchantIds[merchant] = id;
  }
  return id;
}

// ---------------------------------------------------------------------------------------------------------
// Events.

/** The payload, in the key order it is serialised. */
interface TxnEvent {
  event_id: string;
  ts: number | string;
  card_id: string;
  merchant_id: string;
  amount: number;
  status: 'approved' | 'declined';
  channel: 'pos' | 'online';
  geo: { country: string };
}

interface Txn {
  readonly event: TxnEvent;
  /** τ, epoch ms. */
  readonly tau: number;
}

/**
 * JSON.stringify(event), faster: every string in a generated event (UUIDs, ids, ISO times, status, country
 * codes) is from an alphabet that needs no JSON escaping, and numbers print the same way in both.
 */
function txnJson(e: TxnEvent): string {
  const ts = typeof e.ts === 'number' ? e.ts : `"${e.ts}"`;
  return (
    `{"event_id":"${e.event_id}","ts":${ts},"card_id":"${e.card_id}","merchant_id":"${e.merchant_id}",` +
    `"amount":${e.amount},"status":"${e.status}","channel":"${e.channel}","geo":{"country":"${e.geo.country}"}}`
  );
}

const SLAB_BYTES = 1 << 20;

/**
 * UTF-8 encoding into large shared slabs, one view per record, as Node pools small Buffers: far fewer
 * allocations than one ArrayBuffer per record. Consumers must honour byteOffset/byteLength of `data`.
 */
class SlabEncoder {
  private slab = new Uint8Array(0);
  private used = 0;

  encode(text: string): Uint8Array {
    const worst = text.length * 3;
    if (this.slab.length - this.used < worst) {
      this.slab = new Uint8Array(Math.max(SLAB_BYTES, worst));
      this.used = 0;
    }
    const { written } = encoder.encodeInto(text, this.slab.subarray(this.used));
    const view = this.slab.subarray(this.used, this.used + written);
    this.used += written;
    return view;
  }
}

function roundCents(x: number): number {
  return Math.max(0.01, Math.round(x * 100) / 100);
}

/** An ISO-8601 string for instant t, written in the zone `offsetMinutes` east of UTC. */
export function isoWithOffset(t: number, offsetMinutes: number): string {
  if (offsetMinutes === 0) return new Date(t).toISOString();
  const local = new Date(t + offsetMinutes * MINUTE).toISOString().slice(0, -1);
  const sign = offsetMinutes > 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${local}${sign}${hh}:${mm}`;
}

/** Mostly epoch ms; some ISO-8601 with Z, some with +01:00: all denote the instant t. */
function formatTs(rng: Rng, o: TrafficOptions, t: number): number | string {
  const u = rng.float();
  if (u < o.isoZuluRate) return new Date(t).toISOString();
  if (u < o.isoZuluRate + o.isoOffsetRate) return isoWithOffset(t, 60);
  return t;
}

function networkDelay(rng: Rng, o: TrafficOptions): number {
  const d = rng.lognormalMedian(o.networkDelayMedianMs, o.networkDelaySigma);
  return Math.min(MAX_NETWORK_DELAY_MS, Math.round(d));
}

/** A normal (legitimate) transaction at τ = tau. */
function normalTxn(rng: Rng, world: World, o: TrafficOptions, tau: number): Txn {
  const card = world.rankToCard[world.cardZipf.sample(rng)] as number;
  const merchant = world.rankToMerchant[world.merchantZipf.sample(rng)] as number;
  const cat = CATEGORIES[world.merchantCategory[merchant] as number] as Category;
  const home = world.cardHome[card] as number;
  const abroad = world.cardAbroad[card] as number;
  let country = home;
  if (abroad > 0) {
    if (rng.chance(0.85)) country = abroad - 1; // travelling; the rest is online at home
  } else if (rng.chance(o.crossBorderRate)) {
    country = otherCountry(rng, world.travelCountry, home);
  }
  const median = cat.median * (world.merchantScale[merchant] as number) * (world.cardSpend[card] as number);
  const amount = roundCents(rng.lognormalMedian(median, cat.sigma));
  const event: TxnEvent = {
    event_id: rng.uuid(),
    ts: formatTs(rng, o, tau),
    card_id: cardId(world, card),
    merchant_id: merchantId(world, merchant),
    amount,
    status: rng.chance(o.declineRate) ? 'declined' : 'approved',
    channel: rng.chance(cat.online) ? 'online' : 'pos',
    geo: { country: (COUNTRIES[country] as Country).code },
  };
  return { event, tau };
}

/** One fraud burst: a compromised card, BURST_MIN..BURST_MAX transactions within a few minutes. */
function fraudBurst(rng: Rng, world: World, o: TrafficOptions, size: number, spanMs: number): Txn[] {
  // Half the compromised cards are active cards (drawn like traffic), half any card at all.
  const card = rng.chance(0.5)
    ? (world.rankToCard[world.cardZipf.sample(rng)] as number)
    : rng.int(0, o.cards - 1);
  const home = world.cardHome[card] as number;
  const country = rng.chance(0.8) ? otherCountry(rng, world.fraudCountry, home) : home;
  const durationMs = rng.uniform(BURST_MIN_MS, BURST_MAX_MS);
  const start = o.startMs + rng.uniform(0, Math.max(0, spanMs - durationMs));
  const offsets: number[] = [];
  for (let i = 0; i < size; i++) offsets.push(rng.uniform(0, durationMs));
  offsets.sort((a, b) => a - b);
  // Card testing: some bursts open with one or two tiny purchases of digital goods.
  const testing = rng.chance(0.4) ? rng.int(1, 2) : 0;
  const spendBoost = rng.lognormalMedian(2.5, 0.4);

  const txns: Txn[] = [];
  for (let i = 0; i < size; i++) {
    const tau = Math.floor(start + (offsets[i] as number));
    let merchant: number;
    let amount: number;
    if (i < testing) {
      merchant = pickMerchantIn(rng, world, CARD_TESTING_CATEGORY);
      amount = roundCents(rng.uniform(0.5, 3));
    } else {
      merchant = rng.chance(0.8)
        ? (world.riskyMerchants[rng.int(0, world.riskyMerchants.length - 1)] as number)
        : (world.rankToMerchant[world.merchantZipf.sample(rng)] as number);
      const cat = CATEGORIES[world.merchantCategory[merchant] as number] as Category;
      amount = roundCents(
        rng.lognormalMedian(cat.median * (world.merchantScale[merchant] as number) * spendBoost, cat.sigma),
      );
    }
    const event: TxnEvent = {
      event_id: rng.uuid(),
      ts: formatTs(rng, o, tau),
      card_id: cardId(world, card),
      merchant_id: merchantId(world, merchant),
      amount,
      status: rng.chance(o.fraudDeclineRate) ? 'declined' : 'approved',
      channel: rng.chance(0.75) ? 'online' : 'pos',
      geo: {
        country: (
          COUNTRIES[rng.chance(0.9) ? country : otherCountry(rng, world.fraudCountry, home)] as Country
        ).code,
      },
    };
    txns.push({ event, tau });
  }
  return txns;
}

/** A merchant of the given category (a few tries over risky merchants, then any risky merchant). */
function pickMerchantIn(rng: Rng, world: World, category: number): number {
  const risky = world.riskyMerchants;
  for (let attempt = 0; attempt < 32; attempt++) {
    const m = risky[rng.int(0, risky.length - 1)] as number;
    if (world.merchantCategory[m] === category) return m;
  }
  return risky[rng.int(0, risky.length - 1)] as number;
}

// ---------------------------------------------------------------------------------------------------------
// Options.

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

// ---------------------------------------------------------------------------------------------------------
// The generator.

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
  const arrivalInStream = (rng: Rng): number => Math.floor(rng.uniform(minArrival, maxArrival + 1));

  // Duplicates: a base event re-sent, byte for byte, a little later.
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

  // Late and future events: otherwise ordinary transactions, arriving during the stream.
  const skewed = (kind: 'late' | 'future', count: number, minMs: number, maxMs: number): void => {
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
  };
  skewed('late', Math.round(o.lateRate * o.events), LATE_MIN_MS, LATE_MAX_MS);
  skewed('future', Math.round(o.futureRate * o.events), FUTURE_MIN_MS, FUTURE_MAX_MS);

  // Invalid records.
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

  records.sort((a, b) => a.arrivalMs - b.arrivalMs); // Array.prototype.sort is stable
  labels.sort((a, b) => a.ts - b.ts);
  return { records, labels, counts, invalidCounts, options: o };
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

// ---------------------------------------------------------------------------------------------------------
// JSON Lines.

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The top-level keys of a generated transaction (an arrival field must not collide with them for the fast path). */
const TXN_KEYS = new Set(['event_id', 'ts', 'card_id', 'merchant_id', 'amount', 'status', 'channel', 'geo']);

/**
 * JSON Lines text: one line per record, in arrival order, each JSON object with the arrival time added under
 * `arrivalField` (as its last key); other records (not JSON, JSON arrays) are written as they are.
 * Labels: one JSON object per line. Throws if a non-JSON record contains a raw newline.
 * For very large traffic, write eventLinesText / labelLinesText in slices instead (as cli.ts does).
 */
export function toJsonLines(
  traffic: Pick<Traffic, 'records' | 'labels'>,
  arrivalField = 'arrival_ms',
): { events: string; labels: string } {
  return { events: eventLinesText(traffic.records, arrivalField), labels: labelLinesText(traffic.labels) };
}

/** The JSON Lines of records[start, end), as toJsonLines writes them; every line ends with a newline. */
export function eventLinesText(
  records: readonly GeneratedRecord[],
  arrivalField = 'arrival_ms',
  start = 0,
  end = records.length,
): string {
  const fieldJson = JSON.stringify(arrivalField);
  const fastPath = !TXN_KEYS.has(arrivalField);
  let out = '';
  for (let i = start; i < end; i++) {
    const record = records[i] as GeneratedRecord;
    const text = decoder.decode(record.data);
    if (fastPath && record.kind !== 'invalid' && text.endsWith('}') && text.startsWith('{"')) {
      // A generated transaction: a one-line JSON object with keys, none of them the arrival field.
      out += `${text.slice(0, -1)},${fieldJson}:${record.arrivalMs}}\n`;
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (isPlainObject(parsed)) {
      out += `${JSON.stringify({ ...parsed, [arrivalField]: record.arrivalMs })}\n`;
    } else {
      if (/[\r\n]/.test(text)) throw new Error(`record ${i} (${record.kind}) contains a raw newline`);
      out += `${text}\n`;
    }
  }
  return out;
}

/** The JSON Lines of labels[start, end); every line ends with a newline. */
export function labelLinesText(labels: readonly FraudLabel[], start = 0, end = labels.length): string {
  let out = '';
  for (let i = start; i < end; i++) out += `${JSON.stringify(labels[i])}\n`;
  return out;
}
