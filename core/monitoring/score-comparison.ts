/**
 * A shadow challenger against the champion, from the scores both gave the same requests (the feature log's
 * `score` and `shadow_score`): how far apart the two score distributions are (PSI), how often they decide
 * differently at the serving threshold, and how alike they rank the requests (Spearman). No labels needed, so it
 * speaks from the first day of a shadow deployment.
 */
import { binShares, featureDistribution, psi } from './drift.js';

export interface ScoreComparison {
  /** Requests both models scored. */
  readonly requests: number;
  /**
   * PSI of the challenger's scores against the champion's, over the champion's score deciles; null with no
   * request.
   */
  readonly psi: number | null;
  readonly threshold: number;
  /** Requests where one model's score is at or above the threshold and the other's below. */
  readonly disagreements: number;
  /** disagreements / requests; null with no request. */
  readonly disagreementShare: number | null;
  /** Requests each model flags (score ≥ threshold). */
  readonly championFlagged: number;
  readonly challengerFlagged: number;
  /** Spearman's rank correlation (ties share their mean rank); null with fewer than 2 requests or a constant side. */
  readonly spearman: number | null;
}

/** Compares paired scores: champion[i] and challenger[i] scored the same request. */
export function compareScores(
  champion: readonly number[],
  challenger: readonly number[],
  threshold: number,
): ScoreComparison {
  if (champion.length !== challenger.length) {
    throw new RangeError(
      `compareScores: ${champion.length} champion scores for ${challenger.length} challenger`,
    );
  }
  const requests = champion.length;
  let disagreements = 0;
  let championFlagged = 0;
  let challengerFlagged = 0;
  for (let i = 0; i < requests; i++) {
    const a = (champion[i] as number) >= threshold;
    const b = (challenger[i] as number) >= threshold;
    if (a) championFlagged++;
    if (b) challengerFlagged++;
    if (a !== b) disagreements++;
  }
  const reference = featureDistribution(champion);
  return {
    requests,
    psi: requests > 0 ? psi(reference.shares, binShares(reference.edges, challenger)) : null,
    threshold,
    disagreements,
    disagreementShare: requests > 0 ? disagreements / requests : null,
    championFlagged,
    challengerFlagged,
    spearman: spearman(champion, challenger),
  };
}

/** Spearman's ρ: the Pearson correlation of the two rankings, tied values sharing their mean rank. */
export function spearman(x: readonly number[], y: readonly number[]): number | null {
  if (x.length !== y.length) throw new RangeError(`spearman: ${x.length} values against ${y.length}`);
  if (x.length < 2) return null;
  return pearson(ranks(x), ranks(y));
}

/** 1-based ranks, ties given the mean of the ranks they span. */
export function ranks(values: readonly number[]): number[] {
  const order = values.map((_, i) => i).sort((a, b) => (values[a] as number) - (values[b] as number));
  const result = new Array<number>(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && values[order[end] as number] === values[order[start] as number]) end++;
    const mean = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) result[order[k] as number] = mean;
    start = end;
  }
  return result;
}

function pearson(x: readonly number[], y: readonly number[]): number | null {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] as number;
    my += y[i] as number;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (x[i] as number) - mx;
    const dy = (y[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  // A constant side has no ranking to correlate with.
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : null;
}
