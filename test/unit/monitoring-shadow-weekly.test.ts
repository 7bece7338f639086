import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildMonitorReport } from '../../cli/monitor-command.js';
import { compareScores, compareWithEarlier, ranks, spearman } from '../../core/monitoring/index.js';
import { FRAUD_SPEC_FILE } from '../support/fraud-training-set.js';

/** The floor PSI gives an empty bin (stated in core/monitoring/drift.ts), written out for the references below. */
const FLOOR = 1e-4;

describe('the challenger against the champion (compareScores)', () => {
  it('computes the score PSI over the champion deciles as a hand calculation does', () => {
    // Champion 1,2,3,4: deciles cut at 1,2,3,4, a quarter in each of the first four bins, none above 4.
    // Challenger 2,2,4,5: bins ≤1: 0, ≤2: 2/4, ≤3: 0, ≤4: 1/4, >4: 1/4.
    const expected =
      (FLOOR - 0.25) * Math.log(FLOOR / 0.25) +
      (0.5 - 0.25) * Math.log(0.5 / 0.25) +
      (FLOOR - 0.25) * Math.log(FLOOR / 0.25) +
      0 +
      (0.25 - FLOOR) * Math.log(0.25 / FLOOR);
    expect(compareScores([1, 2, 3, 4], [2, 2, 4, 5], 3).psi).toBeCloseTo(expected, 12);
    expect(compareScores([1, 2, 3, 4], [4, 3, 2, 1], 3).psi).toBe(0);
  });

  it('counts the requests where one model flags at the threshold and the other does not', () => {
    const champion = [0.1, 0.6, 0.7, 0.4, 0.5];
    const challenger = [0.2, 0.4, 0.8, 0.6, 0.49];
    // By hand: request 2 (0.6 / 0.4), 4 (0.4 / 0.6) and 5 (0.5 flagged, 0.49 not) disagree.
    expect(compareScores(champion, challenger, 0.5)).toMatchObject({
      requests: 5,
      disagreements: 3,
      disagreementShare: 3 / 5,
      championFlagged: 3,
      challengerFlagged: 2,
      threshold: 0.5,
    });
  });

  it('gives nulls, not NaN, with no request', () => {
    expect(compareScores([], [], 0.5)).toMatchObject({
      requests: 0,
      psi: null,
      disagreementShare: null,
      spearman: null,
    });
  });
});

describe('spearman', () => {
  it('matches 1 − 6Σd²/(n(n²−1)) without ties', () => {
    // Ranks 1..5 against 1,3,2,5,4: d = 0,−1,1,−1,1, Σd² = 4, ρ = 1 − 24/120.
    expect(spearman([10, 20, 30, 40, 50], [1, 3, 2, 5, 4])).toBeCloseTo(0.8, 12);
    expect(spearman([1, 2, 3], [30, 20, 10])).toBeCloseTo(-1, 12);
  });

  it('gives ties their mean rank and correlates the ranks', () => {
    expect(ranks([1, 2, 2, 3])).toEqual([1, 2.5, 2.5, 4]);
    // Ranks 1, 2.5, 2.5, 4 against 1..4, by hand: Σdxdy = 4.5, Σdx² = 4.5, Σdy² = 5.
    expect(spearman([1, 2, 2, 3], [1, 2, 3, 4])).toBeCloseTo(4.5 / Math.sqrt(4.5 * 5), 12);
  });

  it('has no value for a constant side or fewer than two pairs', () => {
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNull();
    expect(spearman([1], [2])).toBeNull();
  });
});

describe('served features against a week earlier (compareWithEarlier)', () => {
  it('computes PSI over the earlier window deciles, and the null shares of both', () => {
    // Earlier 1..10: edges 2,3,…,10, shares .2 then .1 ×8, none above 10. Now 1..10 shifted by 10, one null:
    // all nine numbers above 10.
    const earlier = Array.from({ length: 10 }, (_, i) => i + 1);
    const now = [...earlier.slice(1).map((v) => v + 10), null];
    const [drift] = compareWithEarlier({ amount: earlier }, { amount: now });
    const expected =
      (FLOOR - 0.2) * Math.log(FLOOR / 0.2) +
      8 * (FLOOR - 0.1) * Math.log(FLOOR / 0.1) +
      (1 - FLOOR) * Math.log(1 / FLOOR);
    expect(drift).toMatchObject({
      feature: 'amount',
      earlierNullShare: 0,
      servedNullShare: 0.1,
      servedRows: 10,
    });
    expect(drift?.psi).toBeCloseTo(expected, 12);
  });

  it('ranks the shifted feature first and leaves an unchanged one at 0', () => {
    const earlier = Array.from({ length: 100 }, (_, i) => i);
    const drifts = compareWithEarlier(
      { count: earlier, amount: earlier, last_country: earlier.map(() => 'FR') },
      { count: earlier, amount: earlier.map((v) => v * 3), last_country: earlier.map(() => 'DE') },
    );
    expect(drifts.map((d) => d.feature)).toEqual(['amount', 'count', 'last_country']);
    expect(drifts[0]?.psi).toBeGreaterThan(0.25);
    expect(drifts[1]?.psi).toBe(0);
    // A text feature has no numbers: no PSI, every value counts as null on both sides.
    expect(drifts[2]).toMatchObject({ psi: null, earlierNullShare: 1, servedNullShare: 1 });
  });
});

describe('monitor report: week over week and the shadow challenger', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-monitor-weekly-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const DAY = 86_400_000;
  const start = Date.parse('2026-11-02T00:00:00Z');

  // Two weeks of requests, one an hour; in the second week the amounts triple, the counts stay. The shadow
  // model scores a little higher than the champion, reversing the order of every tenth pair.
  const lines: string[] = [];
  const pairs: [number, number][] = [];
  for (let hour = 0; hour < 14 * 24; hour++) {
    const t = start + hour * 3_600_000;
    const secondWeek = t >= start + 7 * DAY;
    const base = (hour * 37) % 100;
    const score = base / 100;
    const shadow = hour % 10 === 0 ? 1 - score : Math.min(1, score + 0.05);
    if (secondWeek) pairs.push([score, shadow]);
    lines.push(
      JSON.stringify({
        request_id: `r${hour}`,
        request_ms: t,
        t,
        entities: { card: { card_id: `c${hour % 7}` } },
        features: { card_amount_sum_1h: secondWeek ? 3 * (base + 1) : base + 1, card_txn_count_1h: hour % 5 },
        score,
        model_version: 'fraud-lr-aaaaaaaaaaaa',
        variant: 'champion',
        shadow_score: shadow,
        shadow_model_version: 'fraud-lr-bbbbbbbbbbbb',
      }),
    );
  }
  writeFileSync(join(dir, 'log.jsonl'), `${lines.join('\n')}\n`);
  writeFileSync(join(dir, 'labels.jsonl'), '{"request_id":"r1","label":0,"label_time":1793491200000}\n');

  it('reports the drift against a week earlier for exactly the shifted feature, and the pair of scores', async () => {
    const from = start + 7 * DAY;
    const report = await buildMonitorReport({
      spec: FRAUD_SPEC_FILE.pathname,
      featureLog: join(dir, 'log.jsonl'),
      labels: join(dir, 'labels.jsonl'),
      fromMs: from,
      toMs: from + 7 * DAY,
      threshold: 0.5,
    });
    const week = report.weekOverWeek;
    expect(week).toMatchObject({ requests: 7 * 24, earlierRequests: 7 * 24 });
    expect(week?.earlierWindow.from).toBe(new Date(start).toISOString());
    const byName = Object.fromEntries((week?.features ?? []).map((f) => [f.feature, f]));
    expect(byName.card_amount_sum_1h?.psi).toBeGreaterThan(0.25);
    expect(byName.card_txn_count_1h?.psi).toBeLessThan(0.01);
    expect(week?.features[0]?.feature).toBe('card_amount_sum_1h');

    const [comparison] = report.shadowComparison ?? [];
    const disagreements = pairs.filter(([a, b]) => a >= 0.5 !== b >= 0.5).length;
    expect(disagreements).toBeGreaterThan(0);
    expect(comparison).toMatchObject({
      championVersion: 'fraud-lr-aaaaaaaaaaaa',
      challengerVersion: 'fraud-lr-bbbbbbbbbbbb',
      requests: pairs.length,
      disagreements,
    });
    expect(comparison?.spearman).toBeCloseTo(
      spearman(
        pairs.map((p) => p[0]),
        pairs.map((p) => p[1]),
      ) as number,
      12,
    );
    expect(comparison?.spearman).toBeLessThan(1);
  });
});
