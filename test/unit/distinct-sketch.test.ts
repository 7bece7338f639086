import { describe, expect, it } from 'vitest';
import { SPARSE_LIMIT, STANDARD_ERROR } from '../../core/engine/hll.js';
import { DistinctSketch } from '../../core/index.js';

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
});
