/**
 * Bit streams for the packed payload's Rice codes (item-payload.ts): most significant bit first, padded to a whole
 * byte at the end. Values are safe integers below 2^53, handled with arithmetic (JavaScript's bit operators are
 * 32-bit).
 */
export class BitWriter {
  private readonly bytes: number[] = [];
  private current = 0;
  private used = 0;

  bit(value: 0 | 1): void {
    this.current = this.current * 2 + value;
    if (++this.used === 8) {
      this.bytes.push(this.current);
      this.current = 0;
      this.used = 0;
    }
  }

  /** The low `width` bits of `value`. */
  bits(value: number, width: number): void {
    for (let i = width - 1; i >= 0; i--) this.bit((Math.floor(value / 2 ** i) % 2) as 0 | 1);
  }

  /** `value` in the Rice code of parameter k: its quotient by 2^k in unary (ones, then a zero), then k low bits. */
  rice(value: number, k: number): void {
    for (let q = Math.floor(value / 2 ** k); q > 0; q--) this.bit(1);
    this.bit(0);
    this.bits(value % 2 ** k, k);
  }

  done(): Uint8Array {
    const bytes = [...this.bytes];
    if (this.used > 0) bytes.push(this.current * 2 ** (8 - this.used));
    return Uint8Array.from(bytes);
  }
}

export class BitReader {
  private at = 0;

  constructor(private readonly bytes: Uint8Array) {}

  bit(): 0 | 1 {
    const byte = this.bytes[this.at >> 3];
    if (byte === undefined) throw new Error('ends early');
    const bit = (byte >> (7 - (this.at & 7))) & 1;
    this.at++;
    return bit as 0 | 1;
  }

  bits(width: number): number {
    let value = 0;
    for (let i = 0; i < width; i++) value = value * 2 + this.bit();
    return value;
  }

  rice(k: number): number {
    let quotient = 0;
    while (this.bit() === 1) quotient++;
    const value = quotient * 2 ** k + this.bits(k);
    if (!Number.isSafeInteger(value)) throw new Error('number too long');
    return value;
  }

  /** Bytes read, the last one whole. */
  get bytesRead(): number {
    return Math.ceil(this.at / 8);
  }
}

/** The Rice parameter that codes these values in the fewest bits (and that many bits). */
export function bestRiceParameter(values: readonly number[]): { k: number; bits: number } {
  const cost = (k: number) => {
    let bits = 0;
    for (const value of values) bits += k + 1 + Math.floor(value / 2 ** k);
    return bits;
  };
  // Each value's cost is convex in k, so is the sum: walk from near the optimum (log2 of the mean) to it.
  const mean = values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);
  let k = Math.min(52, Math.max(0, Math.floor(Math.log2(Math.max(1, mean)))));
  let bits = cost(k);
  for (const step of [-1, 1]) {
    for (let next = k + step; next >= 0 && next <= 52; next += step) {
      const nextBits = cost(next);
      if (nextBits >= bits) break;
      k = next;
      bits = nextBits;
    }
  }
  return { k, bits };
}
