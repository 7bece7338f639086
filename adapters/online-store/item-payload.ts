import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { BitReader, BitWriter, bestRiceParameter } from './bits.js';

/**
 * An item's payload (its tiles JSON, its per-shard watermarks and, on a dedupe-scope item, its id claims) packed
 * into one binary value. Format 2 (written since claims went outside the deflate): raw DEFLATE (node:zlib, level 6)
 * of
 *   the format byte (2); the tiles JSON; the watermark count, then each shard id and mark text (tile-item.ts);
 *   the claims: 0 none, 1 as text, 3 in binary after the deflate, then that binary's length;
 * strings and counts as unsigned LEB128 lengths and values; then, for claims in binary, the claims as raw bytes
 * outside the deflate: `since`, the count, the first claim's arrival, the rest's arrivals as Rice-coded
 * differences from the one before (claims in arrival order, as id-claims.ts keeps them), then each claim's 48-bit
 * id hash (6 bytes) and each one's 32-bit record hash (4 bytes).
 *
 * Why outside: the hashes are random and do not compress, and inside one deflate block with the tiles JSON they
 * cost more than their own bytes (the block's Huffman codes fit text): measured on day 7 of the steady-state bench's
 * fraud week, about 19.2 bytes a claim in format 1 (binary claims inside the deflate) and 13.4 outside, Rice-coded.
 * Rice codes (a unary quotient and k low bits, k chosen per item for the fewest bits) fit differences between
 * arrivals, which cluster around the card's mean gap, better than LEB128's 7-bit steps.
 *
 * Format 1 (the previous release): the same deflate with the format byte 1 and the claims inside it, 2 in binary
 * there (arrivals as zigzag LEB128 differences). Both read; format 2 is written. A release that knows only format 1
 * reads the deflate (zlib ignores the bytes after it), finds format 2 and fails naming the item rather than read
 * claims it does not know.
 *
 * Measured on a week of fraud items: card tiles p50/p90/p99 431/754/1,297 bytes of JSON deflate to 237/359/553, at
 * about 35 µs to deflate and 35 µs to inflate an item; brotli (quality 5 to 11) gave items no smaller (within 2%)
 * at 2 to 30 times the CPU, and level 9 no smaller than level 6.
 */
export interface Payload {
  readonly state: string;
  readonly marks: readonly (readonly [shard: string, mark: string])[];
  readonly claims?: string | undefined;
}

/** The format packPayload writes: claims in binary after the deflate. */
const FORMAT = 2;
/** The previous release's format: claims inside the deflate (kinds 0, 1, 2). Read, not written. */
const FORMAT_CLAIMS_INSIDE = 1;
const NO_CLAIMS = 0;
const TEXT_CLAIMS = 1;
/** Format 1 only: claims in binary inside the deflate. */
const BINARY_CLAIMS = 2;
/** Format 2 only: claims in binary after the deflate. */
const TRAILING_CLAIMS = 3;

export function packPayload(payload: Payload): Uint8Array {
  const out = new Writer();
  out.byte(FORMAT);
  out.text(payload.state);
  out.uint(payload.marks.length);
  for (const [shard, mark] of payload.marks) {
    out.text(shard);
    out.text(mark);
  }
  const trailing = payload.claims === undefined ? undefined : claimsToBinary(payload.claims);
  if (payload.claims === undefined) out.byte(NO_CLAIMS);
  else if (trailing) {
    out.byte(TRAILING_CLAIMS);
    out.uint(trailing.length);
  } else {
    out.byte(TEXT_CLAIMS);
    out.text(payload.claims);
  }
  const deflated = deflateRawSync(out.done());
  return trailing ? Buffer.concat([deflated, trailing]) : deflated;
}

/** Throws naming the item when the bytes are not a payload this module packed (in either format). */
export function unpackPayload(key: string, bytes: Uint8Array): Payload {
  try {
    // zlib stops at the end of the deflate; `engine.bytesWritten` says where that was (claims may follow).
    const { buffer, engine } = inflateRawSync(bytes, { info: true }) as unknown as {
      buffer: Buffer;
      engine: { bytesWritten: number };
    };
    const input = new Reader(buffer);
    const format = input.byte();
    if (format !== FORMAT && format !== FORMAT_CLAIMS_INSIDE)
      throw new Error(`format ${format}, not ${FORMAT_CLAIMS_INSIDE} or ${FORMAT}`);
    const state = input.text();
    const marks: [string, string][] = [];
    for (let n = input.uint(); n > 0; n--) marks.push([input.text(), input.text()]);
    const kind = input.byte();
    const trailing = kind === TRAILING_CLAIMS && format === FORMAT ? input.uint() : 0;
    if (engine.bytesWritten + trailing !== bytes.byteLength)
      throw new Error(`${bytes.byteLength - engine.bytesWritten} bytes after the deflate, not ${trailing}`);
    if (kind === NO_CLAIMS) return { state, marks };
    if (kind === TEXT_CLAIMS) return { state, marks, claims: input.text() };
    if (kind === BINARY_CLAIMS && format === FORMAT_CLAIMS_INSIDE)
      return { state, marks, claims: claimsFromInsideBinary(input) };
    if (kind === TRAILING_CLAIMS && format === FORMAT)
      return { state, marks, claims: claimsFromBinary(bytes.subarray(engine.bytesWritten)) };
    throw new Error(`claims kind ${kind} in format ${format}`);
  } catch (error) {
    throw new Error(
      `online-store item ${key}: its packed payload (z) does not read: ${(error as Error).message}`,
    );
  }
}

/**
 * `<since>;<hash>.<alpha>.<record>,…` in base 36 (id-claims.ts) in binary (format 2, after the deflate), or
 * undefined if it would not read back exactly (or its arrivals are not in order): such text is kept as text.
 */
function claimsToBinary(text: string): Uint8Array | undefined {
  const [since = '', list, ...extra] = text.split(';');
  if (list === undefined || extra.length > 0) return undefined;
  const sinceValue = base36(since, 2 ** 53);
  if (sinceValue === undefined) return undefined;
  const hashes: number[] = [];
  const arrivals: number[] = [];
  const records: number[] = [];
  for (const entry of list === '' ? [] : list.split(',')) {
    const [hash = '', alpha = '', record = '', ...rest] = entry.split('.');
    const h = base36(hash, 2 ** 48);
    const a = base36(alpha, 2 ** 52);
    const r = base36(record, 2 ** 32);
    if (h === undefined || a === undefined || r === undefined || rest.length > 0) return undefined;
    if (a < (arrivals.at(-1) ?? 0)) return undefined;
    hashes.push(h);
    arrivals.push(a);
    records.push(r);
  }
  const out = new Writer();
  out.uint(sinceValue);
  out.uint(arrivals.length);
  if (arrivals.length > 0) {
    const gaps = arrivals.slice(1).map((a, i) => a - (arrivals[i] as number));
    const { k } = bestRiceParameter(gaps);
    out.uint(arrivals[0] as number);
    out.byte(k);
    const bits = new BitWriter();
    for (const gap of gaps) bits.rice(gap, k);
    out.bytes(bits.done());
    for (const h of hashes) out.fixed(h, 6);
    for (const r of records) out.fixed(r, 4);
  }
  return out.done();
}

function claimsFromBinary(bytes: Uint8Array): string {
  const input = new Reader(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const since = input.uint();
  const count = input.uint();
  if (count > bytes.byteLength) throw new Error(`${count} claims in ${bytes.byteLength} bytes`);
  const arrivals: number[] = [];
  if (count > 0) {
    arrivals.push(input.uint());
    const k = input.byte();
    if (k > 52) throw new Error(`Rice parameter ${k}`);
    const bits = new BitReader(input.rest());
    for (let n = count - 1; n > 0; n--) arrivals.push((arrivals.at(-1) as number) + bits.rice(k));
    input.skip(bits.bytesRead);
  }
  const hashes = arrivals.map(() => input.fixed(6));
  const entries = arrivals.map(
    (alpha, i) =>
      `${(hashes[i] as number).toString(36)}.${alpha.toString(36)}.${input.fixed(4).toString(36)}`,
  );
  if (!input.atEnd()) throw new Error('claims end before their bytes');
  return `${since.toString(36)};${entries.join(',')}`;
}

/** Format 1's claims: each claim's id hash, arrival (zigzag difference from the previous) and record hash. */
function claimsFromInsideBinary(input: Reader): string {
  const since = input.uint();
  const entries: string[] = [];
  let previous = 0;
  for (let n = input.uint(); n > 0; n--) {
    const hash = input.fixed(6);
    const alpha = previous + input.zigzag();
    const record = input.fixed(4);
    entries.push(`${hash.toString(36)}.${alpha.toString(36)}.${record.toString(36)}`);
    previous = alpha;
  }
  return `${since.toString(36)};${entries.join(',')}`;
}

/** A base-36 number below `limit` that prints back as the same text, or undefined. */
function base36(text: string, limit: number): number | undefined {
  const value = Number.parseInt(text, 36);
  return Number.isSafeInteger(value) && value >= 0 && value < limit && value.toString(36) === text
    ? value
    : undefined;
}

class Writer {
  private readonly parts: number[] = [];
  private readonly chunks: Uint8Array[] = [];

  byte(value: number): void {
    this.parts.push(value);
  }

  /** Unsigned LEB128 of a safe integer (arithmetic, not 32-bit bit operations). */
  uint(value: number): void {
    let rest = value;
    while (rest >= 0x80) {
      this.parts.push((rest % 0x80) + 0x80);
      rest = Math.floor(rest / 0x80);
    }
    this.parts.push(rest);
  }

  fixed(value: number, size: number): void {
    let rest = value;
    for (let i = 0; i < size; i++) {
      this.parts.push(rest % 256);
      rest = Math.floor(rest / 256);
    }
  }

  text(value: string): void {
    const bytes = Buffer.from(value, 'utf8');
    this.uint(bytes.length);
    this.bytes(bytes);
  }

  bytes(value: Uint8Array): void {
    this.flush();
    this.chunks.push(value);
  }

  done(): Uint8Array {
    this.flush();
    return Buffer.concat(this.chunks);
  }

  private flush(): void {
    if (this.parts.length === 0) return;
    this.chunks.push(Uint8Array.from(this.parts));
    this.parts.length = 0;
  }
}

class Reader {
  private at = 0;

  constructor(private readonly buffer: Buffer) {}

  byte(): number {
    if (this.at >= this.buffer.length) throw new Error('ends early');
    return this.buffer[this.at++] as number;
  }

  uint(): number {
    let value = 0;
    for (let scale = 1; ; scale *= 0x80) {
      const b = this.byte();
      value += (b % 0x80) * scale;
      if (b < 0x80) return value;
      if (scale > 2 ** 49) throw new Error('number too long');
    }
  }

  zigzag(): number {
    const n = this.uint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  fixed(size: number): number {
    let value = 0;
    for (let i = 0, scale = 1; i < size; i++, scale *= 256) value += this.byte() * scale;
    return value;
  }

  /** The bytes not read yet. */
  rest(): Uint8Array {
    return this.buffer.subarray(this.at);
  }

  skip(count: number): void {
    if (this.at + count > this.buffer.length) throw new Error('ends early');
    this.at += count;
  }

  atEnd(): boolean {
    return this.at === this.buffer.length;
  }

  text(): string {
    const length = this.uint();
    if (this.at + length > this.buffer.length) throw new Error('ends early');
    const value = this.buffer.toString('utf8', this.at, this.at + length);
    this.at += length;
    return value;
  }
}
