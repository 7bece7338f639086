/**
 * The fixed world the traffic happens in: countries, merchant categories, and the cards and merchants drawn
 * from the seed (home countries, travellers, spend levels, merchant categories and popularity).
 */
import { DiscreteSampler, Rng, ZipfSampler } from './random.js';
import type { TrafficOptions } from './traffic-types.js';

export interface Country {
  readonly code: string;
  /** Weight as a card's home country. */
  readonly home: number;
  /** Weight as a travel destination. */
  readonly travel: number;
  /** Weight as the country of a fraud burst abroad. */
  readonly fraud: number;
}

export const COUNTRIES: readonly Country[] = [
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

export interface Category {
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

export const CATEGORIES: readonly Category[] = [
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

export const CARD_TESTING_CATEGORY = CATEGORIES.findIndex((c) => c.name === 'digital_goods');

export interface World {
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

export function buildWorld(o: TrafficOptions): World {
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
export function otherCountry(rng: Rng, sampler: DiscreteSampler, not: number): number {
  for (let attempt = 0; attempt < 16; attempt++) {
    const c = sampler.sample(rng);
    if (c !== not) return c;
  }
  return (not + 1) % COUNTRIES.length;
}

export function cardId(world: World, card: number): string {
  let id = world.cardIds[card];
  if (id === undefined) {
    id = `c${String(card).padStart(world.cardDigits, '0')}`;
    world.cardIds[card] = id;
  }
  return id;
}

export function merchantId(world: World, merchant: number): string {
  let id = world.merchantIds[merchant];
  if (id === undefined) {
    id = `m${String(merchant).padStart(world.merchantDigits, '0')}`;
    world.merchantIds[merchant] = id;
  }
  return id;
}
