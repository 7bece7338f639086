/**
 * A small seeded random toolkit for deterministic synthetic data (not for cryptography).
 *
 * The generator is xoshiro128** 1.0 (Blackman & Vigna, 2018): 128 bits of state, period 2^128 − 1,
 * 32-bit outputs, only 32-bit integer arithmetic (`Math.imul`, shifts), so it is fast and gives the
 * same sequence on every JavaScript engine. The state is filled from the seed with splitmix32, so
 * nearby seeds (1, 2, 3 …) and nearby streams give unrelated sequences.
 */

const TWO_POW_32 = 4294967296;

/** One step of splitmix32 on `x`: a well-mixed 32-bit value, used only for seeding. */
function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/** Seeded pseudo-random numbers: xoshiro128**, with uniform, normal, lognormal and friends on top. */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  /** The second value of the last Box-Muller pair, or NaN when there is none. */
  private spareNormal = Number.NaN;

  /**
   * @param seed any finite number; integers up to 2^53 are used in full, fractions are truncated.
   * @param stream selects an independent sequence for the same seed (e.g. one per purpose, so that
   *   drawing more numbers for one purpose does not shift the numbers of another).
   */
  constructor(seed: number, stream = 0) {
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
    const whole = Math.trunc(seed);
    const low = whole >>> 0;
    const high = Math.floor(whole / TWO_POW_32) >>> 0;
    let x = splitmix32(low ^ splitmix32(high ^ Math.imul(stream | 0, 0x632be5ab)));
    this.s0 = x = splitmix32(x);
    this.s1 = x = splitmix32(x);
    this.s2 = x = splitmix32(x);
    this.s3 = splitmix32(x);
    // xoshiro must not start from the all-zero state.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The next 32-bit unsigned integer, uniform on [0, 2^32). */
  nextUint32(): number {
    const s1 = this.s1;
    const product = Math.imul(s1, 5);
    const result = Math.imul((product << 7) | (product >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  /** Uniform on [0, 1), with 32 bits of resolution. */
  float(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Uniform on [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.float();
  }

  /** A uniform integer in [min, max] (both inclusive). Bias is below 2^-32 · (max − min + 1): negligible here. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** One item of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('cannot pick from an empty array');
    return items[Math.floor(this.float() * items.length)] as T;
  }

  /** Shuffles in place (Fisher-Yates) and returns the same array. */
  shuffle<A extends { length: number; [index: number]: number }>(items: A): A {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.float() * (i + 1));
      const tmp = items[i] as number;
      items[i] = items[j] as number;
      items[j] = tmp;
    }
    return items;
  }

  /** Normal with the given mean and standard deviation (Box-Muller; the pair's second value is kept for the next call). */
  normal(mean = 0, sd = 1): number {
    let z = this.spareNormal;
    if (Number.isNaN(z)) {
      const u = 1 - this.float(); // (0, 1]: log(u) is finite
      const v = this.float();
      const r = Math.sqrt(-2 * Math.log(u));
      const theta = 2 * Math.PI * v;
      z = r * Math.cos(theta);
      this.spareNormal = r * Math.sin(theta);
    } else {
      this.spareNormal = Number.NaN;
    }
    return mean + sd * z;
  }

  /** Lognormal: exp(N(mu, sigma²)). Its median is exp(mu); see also lognormalMedian. */
  lognormal(mu: number, sigma: number): number {
    return Math.exp(this.normal(mu, sigma));
  }

  /** Lognormal given by its median (= exp(mu)) and the sigma of its logarithm. */
  lognormalMedian(median: number, sigma: number): number {
    return median * Math.exp(this.normal(0, sigma));
  }

  /** Exponential with the given mean (inter-arrival time of a Poisson process). */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.float());
  }

  /**
   * A random UUID-shaped string (version-4 layout: xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx) from this
   * generator: deterministic for a seed. Built from char codes, so the result is one flat string.
   */
  uuid(): string {
    const codes = UUID_CODES;
    let p = 0;
    for (let word = 0; word < 4; word++) {
      let x = this.nextUint32();
      if (word === 2) x = ((x & 0x3fffffff) | 0x80000000) >>> 0; // variant bits 10
      for (let shift = 28; shift >= 0; shift -= 4) {
        if (p === 8 || p === 13 || p === 18 || p === 23) p++; // keep the dashes
        codes[p++] = HEX_CODES[(x >>> shift) & 15] as number;
      }
    }
    codes[14] = 0x34; // version 4
    return String.fromCharCode.apply(null, codes);
  }
}

const HEX_CODES: readonly number[] = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
/** Scratch for uuid(): 36 char codes, the dashes already in place. */
const UUID_CODES: number[] = new Array<number>(36).fill(0x2d);

/**
 * Samples indices 0 … n−1 with probabilities proportional to the given weights:
 * a precomputed cumulative distribution and a binary search, O(log n) per sample.
 */
export class DiscreteSampler {
  /** cdf[i] = P(index ≤ i); the last entry is exactly 1. */
  protected readonly cdf: Float64Array;

  constructor(weights: ArrayLike<number>) {
    const n = weights.length;
    if (n === 0) throw new RangeError('a sampler needs at least one weight');
    const cdf = new Float64Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const w = weights[i] as number;
      if (!(w >= 0) || !Number.isFinite(w))
        throw new RangeError(`weight ${i} must be finite and >= 0, got ${w}`);
      total += w;
      cdf[i] = total;
    }
    if (!(total > 0)) throw new RangeError('the weights must not all be zero');
    for (let i = 0; i < n; i++) cdf[i] = (cdf[i] as number) / total;
    cdf[n - 1] = 1;
    this.cdf = cdf;
  }

  /** How many indices there are. */
  get size(): number {
    return this.cdf.length;
  }

  /** The probability of index i. */
  probability(i: number): number {
    if (i < 0 || i >= this.cdf.length) return 0;
    return (this.cdf[i] as number) - (i === 0 ? 0 : (this.cdf[i - 1] as number));
  }

  /** One index: the first i with cdf[i] > u for u uniform on [0, 1). */
  sample(rng: Rng): number {
    const u = rng.float();
    const cdf = this.cdf;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cdf[mid] as number) > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/**
 * Zipf over n items with exponent s: P(rank k) ∝ 1 / (k + 1)^s for k = 0 … n−1 (rank 0 is the most popular).
 * Construction is O(n) (about 2 ms for n = 100 000), each sample O(log n).
 */
export class ZipfSampler extends DiscreteSampler {
  readonly n: number;
  readonly s: number;

  constructor(n: number, s: number) {
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError(`Zipf needs a positive integer item count, got ${n}`);
    if (!Number.isFinite(s) || s < 0) throw new RangeError(`Zipf exponent must be finite and >= 0, got ${s}`);
    const weights = new Float64Array(n);
    for (let k = 0; k < n; k++) weights[k] = (k + 1) ** -s;
    super(weights);
    this.n = n;
    this.s = s;
  }
}
