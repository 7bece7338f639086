/**
 * Transactions: normal traffic and fraud bursts over the world, their timestamps (epoch ms or ISO-8601),
 * network delay, and their serialisation (JSON text, UTF-8 bytes in shared slabs).
 */
import type { Rng } from './random.js';
import { MINUTE, type TrafficOptions } from './traffic-types.js';
import {
  CARD_TESTING_CATEGORY,
  CATEGORIES,
  type Category,
  COUNTRIES,
  type Country,
  cardId,
  merchantId,
  otherCountry,
  type World,
} from './world.js';

const MAX_NETWORK_DELAY_MS = 30_000;
/** Fraud burst sizes, in transactions: BURST_MIN..BURST_MAX inclusive. */
export const BURST_MIN = 5;
export const BURST_MAX = 15;
const BURST_MIN_MS = 1 * MINUTE;
const BURST_MAX_MS = 5 * MINUTE;

const encoder = new TextEncoder();

export interface TxnEvent {
  event_id: string;
  ts: number | string;
  card_id: string;
  merchant_id: string;
  amount: number;
  status: 'approved' | 'declined';
  channel: 'pos' | 'online';
  geo: { country: string };
}

export interface Txn {
  readonly event: TxnEvent;
  /** τ, epoch ms. */
  readonly tau: number;
}

/**
 * JSON.stringify(event), faster: every string in a generated event (UUIDs, ids, ISO times, status, country
 * codes) is from an alphabet that needs no JSON escaping, and numbers print the same way in both.
 */
export function txnJson(e: TxnEvent): string {
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
export class SlabEncoder {
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

export function networkDelay(rng: Rng, o: TrafficOptions): number {
  const d = rng.lognormalMedian(o.networkDelayMedianMs, o.networkDelaySigma);
  return Math.min(MAX_NETWORK_DELAY_MS, Math.round(d));
}

/** A normal (legitimate) transaction at τ = tau. */
export function normalTxn(rng: Rng, world: World, o: TrafficOptions, tau: number): Txn {
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
export function fraudBurst(rng: Rng, world: World, o: TrafficOptions, size: number, spanMs: number): Txn[] {
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
