import { murmur3 } from './hash.js';

/**
 * Approximate distinct counting, HyperLogLog-style, mergeable and compact.
 *
 * - Exact while a sketch has seen at most SPARSE_LIMIT distinct values: it keeps their 32-bit hashes
 *   (only a hash collision, odds about n²/2³³, can undercount).
 * - Above that it switches to 2^PRECISION registers (HyperLogLog with linear counting for small ranges):
 *   standard error 1.04/√1024 ≈ 3.3%; the tests hold it within 3 standard errors (10%).
 * Values are hashed by their string form, so 7 and "7" are the same value.
 */
export const PRECISION = 10;
export const REGISTERS = 1 << PRECISION;
export const SPARSE_LIMIT = 96;
export const STANDARD_ERROR = 1.04 / Math.sqrt(REGISTERS);

const ALPHA = 0.7213 / (1 + 1.079 / REGISTERS);
const MAX_RANK = 32 - PRECISION + 1;
/** 2^-rank for every rank a register can hold: the estimate's sum is of 1024 of these. */
const INVERSE_POWERS = Float64Array.from({ length: MAX_RANK + 1 }, (_, rank) => 2 ** -rank);

export function hashValue(value: string | number): number {
  return murmur3(typeof value === 'string' ? value : String(value), 0x5f3759df);
}

/**
 * The hashes of every empty sketch, shared: a tile makes a sketch per distinct feature whether or not a value comes,
 * and the first hash replaces this list by one of its own (frozen, so nothing can write into it).
 */
const NO_HASHES = Object.freeze([]) as unknown as number[];

/**
 * Dense, the estimate needs the sum of 2^-register over the 1024 registers and the count of zero registers: both are
 * kept as registers change, so a read costs no loop over the registers. The kept sum is exactly the full sum, in
 * any order: every term is a multiple of 2^-MAX_RANK and the sum is at most 1024, so every partial sum and every
 * difference of two terms fits a double's 53 bits without rounding (test/unit/distinct-sketch.test.ts holds the
 * estimate to the full sum's).
 */
export class DistinctSketch {
  /** Hashes seen, while exact: a small array is cheaper to make and scan than a Set at this size. */
  private sparse: number[] | undefined = NO_HASHES;
  private registers: Uint8Array | undefined;
  /** Dense only: the sum of 2^-register over the registers, and how many registers are 0. */
  private inverseSum = 0;
  private zeros = 0;

  add(value: string | number): void {
    this.addHash(hashValue(value));
  }

  addHash(hash: number): void {
    if (this.sparse) {
      // The first hash gets a list of its own size (a list grown from empty reserves room for 17).
      if (this.sparse.length === 0) {
        this.sparse = [hash];
        return;
      }
      if (this.sparse.includes(hash)) return;
      this.sparse.push(hash);
      if (this.sparse.length > SPARSE_LIMIT) this.densify();
      return;
    }
    this.setRegister(this.registers as Uint8Array, hash);
  }

  merge(other: DistinctSketch): void {
    if (other.sparse) {
      for (const hash of other.sparse) this.addHash(hash);
      return;
    }
    if (this.sparse?.length === 0) {
      // An empty sketch taking a dense one (a read's first tile): a copy, not a densify and a register loop.
      this.sparse = undefined;
      this.registers = (other.registers as Uint8Array).slice();
      this.inverseSum = other.inverseSum;
      this.zeros = other.zeros;
      return;
    }
    if (this.sparse) this.densify();
    const mine = this.registers as Uint8Array;
    const theirs = other.registers as Uint8Array;
    for (let i = 0; i < REGISTERS; i++) {
      const rank = theirs[i] as number;
      const old = mine[i] as number;
      if (rank > old) {
        mine[i] = rank;
        this.inverseSum += (INVERSE_POWERS[rank] as number) - (INVERSE_POWERS[old] as number);
        if (old === 0) this.zeros--;
      }
    }
  }

  estimate(): number {
    if (this.sparse) return this.sparse.length;
    return estimateOf(this.inverseSum, this.zeros);
  }

  clone(): DistinctSketch {
    const copy = new DistinctSketch();
    copy.merge(this);
    return copy;
  }

  /** Compact JSON: `{"s":[hashes]}` while exact, `{"d":"<base64 registers>"}` after. */
  toJSON(): { s: number[] } | { d: string } {
    if (this.sparse) return { s: [...this.sparse] };
    return { d: Buffer.from(this.registers as Uint8Array).toString('base64') };
  }

  static fromJSON(json: unknown): DistinctSketch {
    const sketch = new DistinctSketch();
    const value = json as { s?: unknown; d?: unknown };
    if (Array.isArray(value?.s)) {
      for (const hash of value.s) sketch.addHash(Number(hash) >>> 0);
      return sketch;
    }
    if (typeof value?.d === 'string') {
      const bytes = Buffer.from(value.d, 'base64');
      if (bytes.length !== REGISTERS)
        throw new Error(`distinct sketch has ${bytes.length} registers, expected ${REGISTERS}`);
      sketch.sparse = undefined;
      sketch.registers = new Uint8Array(bytes);
      for (const rank of sketch.registers) {
        sketch.inverseSum += INVERSE_POWERS[rank] as number;
        if (rank === 0) sketch.zeros++;
      }
      return sketch;
    }
    throw new Error(`not a distinct sketch: ${JSON.stringify(json)?.slice(0, 80)}`);
  }

  private densify(): void {
    const registers = new Uint8Array(REGISTERS);
    // Every register 0: each term 2^0.
    this.inverseSum = REGISTERS;
    this.zeros = REGISTERS;
    for (const hash of this.sparse as number[]) this.setRegister(registers, hash);
    this.sparse = undefined;
    this.registers = registers;
  }

  private setRegister(registers: Uint8Array, hash: number): void {
    const index = hash >>> (32 - PRECISION);
    const rest = (hash << PRECISION) >>> 0;
    const rank = rest === 0 ? MAX_RANK : Math.clz32(rest) + 1;
    const old = registers[index] as number;
    if (rank > old) {
      registers[index] = rank;
      this.inverseSum += (INVERSE_POWERS[rank] as number) - (INVERSE_POWERS[old] as number);
      if (old === 0) this.zeros--;
    }
  }
}

/** HyperLogLog's estimate from the sum of 2^-register and the count of zero registers (linear counting when small). */
function estimateOf(inverseSum: number, zeros: number): number {
  const raw = (ALPHA * REGISTERS * REGISTERS) / inverseSum;
  if (raw <= 2.5 * REGISTERS && zeros > 0) return Math.round(REGISTERS * Math.log(REGISTERS / zeros));
  return Math.round(raw);
}
