import { describe, expect, it } from 'vitest';
import { trainingDistributions } from '../../adapters/model/training-distributions.js';
import {
  binShares,
  compareWithTraining,
  cutBetween,
  EDGE_TOLERANCE,
  type FeatureDistribution,
  featureDistribution,
  psi,
} from '../../core/monitoring/index.js';

/** The double next to x, up or down: x with its last bit moved, as a feature computed in another order reads. */
function ulpStep(x: number, direction: 1 | -1): number {
  if (x === 0) return direction * Number.MIN_VALUE;
  const bits = new BigInt64Array(new Float64Array([x]).buffer);
  bits[0] = (bits[0] as bigint) + BigInt(x > 0 ? direction : -direction);
  return new Float64Array(bits.buffer)[0] as number;
}

// 40 rows with ties, like a 7-day standard deviation over three amounts: a few spreads, each shared by many
// cards, with long decimals, and the largest shared by the top tenth (so the top decile is the maximum).
const SPREADS = [0, Math.SQRT2 * 3.1, Math.PI * 2.7, Math.E * 5.3, 11 / 3, 17.000000000000004];
const DATA = Array.from({ length: 40 }, (_, i) => SPREADS[(i * 7) % SPREADS.length] as number);

/** The distribution as the registry stores it: written by `train`, read back from JSON. */
function stored(values: readonly number[]): FeatureDistribution {
  const written = trainingDistributions(new Map([['x', values]]));
  return (JSON.parse(JSON.stringify(written)) as Record<string, FeatureDistribution>)
    .x as FeatureDistribution;
}

describe('drift edges', () => {
  it('gives PSI 0 when the same data is served with each value 1 ulp above or below, stored or not', () => {
    for (const distribution of [featureDistribution(DATA), stored(DATA)]) {
      for (const direction of [1, -1] as const) {
        const served = DATA.map((v) => ulpStep(v, direction));
        expect(served.some((v, i) => v !== DATA[i])).toBe(true);
        expect(psi(distribution.shares, binShares(distribution.edges, served)), `${direction}`).toBe(0);
      }
      // The values exactly equal to the cut points (where a cut is a data value: the maximum) too.
      for (const edge of distribution.edges) {
        for (const direction of [1, -1] as const) {
          const moved = DATA.map((v) => (v === edge ? ulpStep(v, direction) : v));
          expect(psi(distribution.shares, binShares(distribution.edges, moved))).toBe(0);
        }
      }
    }
  });

  it('gives PSI 0 for unchanged data through compareWithTraining after the stored round trip', () => {
    const [drift] = compareWithTraining({ x: stored(DATA) }, { x: DATA.map((v) => ulpStep(v, 1)) });
    expect(drift?.psi).toBe(0);
  });

  it('still moves a value one tolerance past the maximum into the bin above the training range', () => {
    const distribution = stored(DATA);
    const top = distribution.edges[distribution.edges.length - 1] as number;
    expect(top).toBe(Math.max(...DATA));
    const beyond = DATA.map((v) => (v === top ? top * (1 + 10 * EDGE_TOLERANCE) : v));
    expect(psi(distribution.shares, binShares(distribution.edges, beyond))).toBeGreaterThan(0.25);
  });

  it('places each cut point strictly between data values, except the maximum', () => {
    const distribution = featureDistribution(DATA);
    const values = new Set(DATA);
    const cuts = distribution.edges.slice(0, -1);
    expect(cuts.length).toBeGreaterThan(2);
    for (const cut of cuts) expect(values.has(cut), `${cut}`).toBe(false);
  });
});

describe('cutBetween', () => {
  it('answers the shortest decimal between two values, clear of both', () => {
    expect(cutBetween(11, 12)).toBe(11.5);
    expect(cutBetween(0, 3.1)).toBe(2);
    expect(cutBetween(4.442882938158366, 8.482300164692441)).toBe(6);
    expect(cutBetween(1.23456, 1.23457)).toBe(1.234565);
  });

  it('answers the lower value when the two are too close to cut between', () => {
    expect(cutBetween(1, ulpStep(1, 1))).toBe(1);
    expect(cutBetween(1, 1 + EDGE_TOLERANCE)).toBe(1);
  });
});
