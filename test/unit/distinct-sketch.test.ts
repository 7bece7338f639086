import { describe, expect, it } from 'vitest';
import { REGISTERS, SPARSE_LIMIT, STANDARD_ERROR } from '../../core/engine/hll.js';
import { DistinctSketch } from '../../core/index.js';
import { seededRandom } from '../../core/seeded-random.js';

const sketchOf = (values: Iterable<string | number>) => {
  const sketch = new DistinctSketch();
  for (const v of values) sketch.add(v);
  return sketch;
};
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `v${from + i}`);

describe('distinct sketch', () => {
  it('is exact up to the sparse limit, repeats and all', () => {
    const values = range(0, SPARSE_LIMIT);
    expect(sketchOf([...values, ...values]).estimate()).toBe(SPARSE_LIMIT);
  });

  it('treats 7 and "7" as one value', () => {
    expect(sketchOf([7, '7']).estimate()).toBe(1);
  });

  it.each([200, 1_000, 10_000, 100_000])('stays within 3 standard errors at %i distinct values', (n) => {
    const estimate = sketchOf(range(0, n)).estimate();
    expect(Math.abs(estimate - n) / n).toBeLessThan(3 * STANDARD_ERROR);
  });

  it('merges as a union, sparse or dense, in any order', () => {
    const a = range(0, 5_000);
    const b = range(2_500, 7_500);
    const merged = sketchOf(a);
    merged.merge(sketchOf(b));
    expect(merged.estimate()).toBe(sketchOf([...b, ...a]).estimate());
    const small = sketchOf(range(0, 10));
    small.merge(sketchOf(range(5, 20)));
    expect(small.estimate()).toBe(20);
  });

  it('survives its JSON form unchanged, and stays compact', () => {
    for (const n of [3, 5_000]) {
      const sketch = sketchOf(range(0, n));
      const json = JSON.parse(JSON.stringify(sketch));
      expect(DistinctSketch.fromJSON(json).estimate()).toBe(sketch.estimate());
      expect(JSON.stringify(json).length).toBeLessThan(1_500);
    }
  });

  it('refuses JSON that is no sketch, quoting it', () => {
    expect(() => DistinctSketch.fromJSON({ x: 1 })).toThrow('not a distinct sketch: {"x":1}');
  });

  it('keeps its dense estimate equal, bit for bit, to the sum over every register, through adds, merges, copies and JSON', () => {
    const random = seededRandom(16);
    const values = (n: number) => Array.from({ length: n }, () => `v${Math.floor(random() * 1e9)}`);
    let checked = 0;
    for (let round = 0; round < 60; round++) {
      // Sizes from just past the sparse limit to far past linear counting's range (2.5 × 1024).
      const size = () => SPARSE_LIMIT + 1 + Math.floor(random() * random() * 20_000);
      const a = sketchOf(values(size()));
      const b = sketchOf(values(size()));
      const sparse = sketchOf(values(Math.floor(random() * SPARSE_LIMIT)));
      const fromEmpty = new DistinctSketch();
      fromEmpty.merge(a);
      const merged = a.clone();
      merged.merge(b);
      merged.merge(sparse);
      const densified = sparse.clone();
      densified.merge(b);
      const grown = DistinctSketch.fromJSON(JSON.parse(JSON.stringify(merged)));
      for (const v of values(size())) grown.add(v);
      for (const sketch of [a, b, fromEmpty, merged, densified, grown]) {
        expect(sketch.estimate()).toBe(fullSumEstimate(sketch));
        checked++;
      }
    }
    expect(checked).toBe(360);
  });
});

/** The estimate as it was computed before the sum was kept: a loop over every register, from the sketch's JSON. */
function fullSumEstimate(sketch: DistinctSketch): number {
  const json = sketch.toJSON();
  if (!('d' in json)) throw new Error('expected a dense sketch');
  const registers = Buffer.from(json.d, 'base64');
  const alpha = 0.7213 / (1 + 1.079 / REGISTERS);
  let sum = 0;
  let zeros = 0;
  for (let i = 0; i < REGISTERS; i++) {
    const r = registers[i] as number;
    sum += 2 ** -r;
    if (r === 0) zeros++;
  }
  const raw = (alpha * REGISTERS * REGISTERS) / sum;
  if (raw <= 2.5 * REGISTERS && zeros > 0) return Math.round(REGISTERS * Math.log(REGISTERS / zeros));
  return Math.round(raw);
}
