/**
 * The packed payload's format 2 (item-payload.ts): id claims in binary after the deflate, arrivals Rice-coded.
 * Round trips for any claims, items packed by the previous release (format 1) still read, and that release fails on
 * format 2 rather than lose claims.
 */
import { inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitReader, BitWriter, bestRiceParameter } from '../../adapters/online-store/bits.js';
import { type Payload, packPayload, unpackPayload } from '../../adapters/online-store/item-payload.js';

const SHARD = 'shardId-000000000000';
const MARK = '~gs3rdusd6teh04lp23n4rcjangyrafx80xw7@1700002155000@~gs3rdusd6teh04lp23n4rcjangyrafx80jv9';
const STATE = '{"v":2,"a":1700002155000,"g":[[60000,["1a1l4la"],[[28333369,[1]]]]]}';

/** Claims text as id-claims.ts writes it, from numbers. */
const claimsText = (since: number, claims: readonly { hash: number; alpha: number; record: number }[]) =>
  `${since.toString(36)};${claims.map((c) => `${c.hash.toString(36)}.${c.alpha.toString(36)}.${c.record.toString(36)}`).join(',')}`;

const claimArb = fc.record({
  hash: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
  alpha: fc.integer({ min: 0, max: 2 ** 52 - 1 }),
  record: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
});

/** Arrivals as a stream brings them: a start and gaps from nothing to days (and a few far apart). */
const inOrderClaimsArb = fc
  .tuple(
    fc.integer({ min: 1.5e12, max: 2e12 }),
    fc.array(
      fc.record({
        hash: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
        gap: fc.oneof(
          fc.constant(0),
          fc.integer({ min: 0, max: 1000 }),
          fc.integer({ min: 0, max: 86_400_000 }),
          fc.integer({ min: 0, max: 2 ** 40 }),
        ),
        record: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      }),
      { maxLength: 300 },
    ),
  )
  .map(([start, list]) => {
    let alpha = start;
    return list.map(({ hash, gap, record }) => {
      alpha += gap;
      return { hash, alpha, record };
    });
  });

/**
 * Packed by the previous release's packPayload (format 1: binary claims inside the deflate) from FORMAT_1_PAYLOAD,
 * and from the same tiles and marks with claims it kept as text (`0;1.2`).
 */
const FORMAT_1_PAYLOAD: Payload = {
  state: STATE,
  marks: [[SHARD, MARK]],
  claims:
    '0;gjldezvuz.loyw3v28.smysv1,1c3o5dk45p.loywd3mg.1mkp9bc,127fj16hgm.loywmc6o.129a0o7,' +
    '26e2i0lkw6.loywvkqw.165hrhm,2cpnm8d26d.loyx4tb4.d6l9nn,tsuski9fb.loyxe1vc.1hd9rem',
};
const FORMAT_1_BINARY =
  'Y3SpVipTsjLSUUpUsjI0NzAwMDAyNDU1MDDQUUpXsoqONgMJ6UQrGSYa5pjkJCrF6kRHG1kYGxsbm1nqRBvGgkAto0hxRmJRimeKrgESiKxLLzYuSi' +
  'ktTjErSc0wMMkpMDLOMylKzkrMS68sSkyrsDCoKDd3QLHVgbCerDJLJgY27n1TPxdpNSxY/e9n0twes3TezyJh2dUbzplkbJe+/EyqpYs9acM5k+dK' +
  'jzrZWpO8lE5uOGeSten1dFeZ4L1RNzecM1G2a9Y3T2G/V+az4ZzJP+GIAwA=';
const FORMAT_1_TEXT =
  'Y3SpVipTsjLSUUpUsjI0NzAwMDAyNDU1MDDQUUpXsoqONgMJ6UQrGSYa5pjkJCrF6kRHG1kYGxsbm1nqRBvGgkAto0hxRmJRimeKrgESiKxLLzYuSi' +
  'ktTjErSc0wMMkpMDLOMylKzkrMS68sSkyrsDCoKDd3QLHVgbCerDJLRlYDa0M9IwA=';

describe('packed payload, format 2', () => {
  it('reads back any tiles, marks and claims in arrival order exactly', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.array(fc.tuple(fc.string(), fc.string()), { maxLength: 4 }),
        fc.integer({ min: 0, max: 2 ** 53 - 1 }),
        inOrderClaimsArb,
        (state, marks, since, claims) => {
          const payload: Payload = { state, marks, claims: claimsText(since, claims) };
          expect(unpackPayload('card#c1', packPayload(payload))).toEqual(payload);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads back claims out of arrival order, or any other claims text, as written (kept as text)', () => {
    fc.assert(
      fc.property(fc.array(claimArb, { maxLength: 20 }), fc.string(), (claims, odd) => {
        for (const claims_ of [claimsText(0, claims), odd, `0;${odd}`]) {
          const payload: Payload = { state: STATE, marks: [], claims: claims_ };
          expect(unpackPayload('card#c1', packPayload(payload))).toEqual(payload);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('reads an item the previous release packed (format 1), binary claims and text claims alike', () => {
    expect(unpackPayload('card#c1', Buffer.from(FORMAT_1_BINARY, 'base64'))).toEqual(FORMAT_1_PAYLOAD);
    expect(unpackPayload('card#c1', Buffer.from(FORMAT_1_TEXT, 'base64'))).toEqual({
      ...FORMAT_1_PAYLOAD,
      claims: '0;1.2',
    });
    // Its next write packs it in format 2, with the same content and fewer bytes.
    const repacked = packPayload(FORMAT_1_PAYLOAD);
    expect(unpackPayload('card#c1', repacked)).toEqual(FORMAT_1_PAYLOAD);
    expect(repacked.byteLength).toBeLessThan(Buffer.from(FORMAT_1_BINARY, 'base64').byteLength);
  });

  it('makes the previous release fail on a format 2 item: its inflate finds format 2 where it requires 1', () => {
    const bytes = packPayload(FORMAT_1_PAYLOAD);
    // The previous release's unpackPayload: inflateRawSync (zlib stops at the deflate's end), then the format byte.
    const previousFormatByte = inflateRawSync(bytes)[0];
    expect(previousFormatByte).toBe(2);
    expect(previousFormatByte).not.toBe(1);
  });

  it('stores a claim in about 13 bytes: two hashes of 10 random bytes and a Rice-coded arrival gap', () => {
    const claims = Array.from({ length: 400 }, (_, i) => ({
      hash: (i * 2_654_435_761 * 65_537) % 2 ** 48,
      alpha: 1.7e12 + i * 216_000 + ((i * 7919) % 60_000),
      record: (i * 2_654_435_761) % 2 ** 32,
    }));
    const withClaims = packPayload({ state: STATE, marks: [], claims: claimsText(0, claims) }).byteLength;
    const without = packPayload({ state: STATE, marks: [] }).byteLength;
    expect((withClaims - without) / claims.length).toBeLessThan(13.5);
    expect((withClaims - without) / claims.length).toBeGreaterThan(10);
  });

  it('fails naming the item when the claims after the deflate are cut short or followed by more bytes', () => {
    const bytes = packPayload(FORMAT_1_PAYLOAD);
    expect(() => unpackPayload('card#c7', bytes.subarray(0, bytes.byteLength - 1))).toThrow(
      /card#c7: its packed payload \(z\) does not read/,
    );
    expect(() => unpackPayload('card#c7', Buffer.concat([bytes, Buffer.from([0])]))).toThrow(
      /card#c7: its packed payload \(z\) does not read/,
    );
  });
});

describe('Rice codes', () => {
  it('read back any values with any parameter, and the chosen parameter codes them in the fewest bits', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 20 }), { maxLength: 50 }), (values) => {
        const { k, bits } = bestRiceParameter(values);
        for (const parameter of [k, k + 1, Math.max(0, k - 1)]) {
          const writer = new BitWriter();
          for (const value of values) writer.rice(value, parameter);
          const reader = new BitReader(writer.done());
          expect(values.map(() => reader.rice(parameter))).toEqual(values);
          const cost = values.reduce((sum, v) => sum + parameter + 1 + Math.floor(v / 2 ** parameter), 0);
          expect(cost).toBeGreaterThanOrEqual(bits);
        }
      }),
    );
  });

  it('codes values up to 2^52 with a parameter large enough', () => {
    const writer = new BitWriter();
    writer.rice(2 ** 52 - 1, 52);
    expect(new BitReader(writer.done()).rice(52)).toBe(2 ** 52 - 1);
  });
});
