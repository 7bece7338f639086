/**
 * Ranking metrics of a binary classifier: how well its scores put the positives (label 1) above the negatives
 * (label 0). Both are undefined unless there is at least one positive and one negative: they throw then.
 */

/**
 * ROC AUC: the probability that a random positive scores above a random negative, a tie counting one half.
 * Computed from ranks (the Mann–Whitney U statistic), tied scores sharing their average rank, so the value
 * does not depend on the order of tied rows: all-equal scores give 0.5, a perfect ranking 1, a reversed one 0.
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const { positives, negatives, order } = ranked(labels, scores, 'rocAuc');
  let positiveRankSum = 0;
  for (let start = 0; start < order.length; ) {
    const end = endOfTies(order, scores, start);
    // Ranks start+1 .. end (1-based) are tied: each gets their mean.
    const averageRank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) if (labels[order[k] as number] === 1) positiveRankSum += averageRank;
    start = end;
  }
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * PR AUC as average precision, scikit-learn's definition: Σ (R_k − R_{k−1}) · P_k over the distinct score
 * thresholds from the highest down, P_k and R_k the precision and recall of "score ≥ threshold k". A step
 * function, not the trapezoid, which would overstate it. A random ranking scores about the base rate, a
 * perfect one 1, all-equal scores exactly the base rate.
 */
export function averagePrecision(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const { positives, order } = ranked(labels, scores, 'averagePrecision');
  let truePositives = 0;
  let previousRecall = 0;
  let sum = 0;
  // From the highest score down: walk the ranks backwards, a group of ties at a time.
  for (let end = order.length; end > 0; ) {
    let start = end - 1;
    while (start > 0 && scores[order[start - 1] as number] === scores[order[end - 1] as number]) start--;
    for (let k = start; k < end; k++) if (labels[order[k] as number] === 1) truePositives++;
    const predicted = order.length - start;
    const recall = truePositives / positives;
    sum += (recall - previousRecall) * (truePositives / predicted);
    previousRecall = recall;
    end = start;
  }
  return sum;
}

/** Row indices in ascending score order, after checking the inputs. */
function ranked(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  metric: string,
): { positives: number; negatives: number; order: number[] } {
  if (labels.length !== scores.length) {
    throw new RangeError(`${metric}: ${labels.length} labels for ${scores.length} scores`);
  }
  let positives = 0;
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (label !== 0 && label !== 1) {
      throw new RangeError(`${metric}: labels must be 0 or 1 (got ${String(label)} at row ${i})`);
    }
    if (Number.isNaN(scores[i])) throw new RangeError(`${metric}: score at row ${i} is NaN`);
    positives += label;
  }
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) {
    throw new RangeError(
      `${metric} needs at least one positive and one negative label (got ${positives} positives, ` +
        `${negatives} negatives)`,
    );
  }
  const order = Array.from({ length: labels.length }, (_, i) => i);
  // A comparator, not a subtraction: ±Infinity scores (a saturated model) must sort, not tie as NaN.
  order.sort((a, b) => compare(scores[a] as number, scores[b] as number));
  return { positives, negatives, order };
}

/** The end (exclusive) of the run of tied scores that starts at `start` in `order`. */
function endOfTies(order: readonly number[], scores: ArrayLike<number>, start: number): number {
  const score = scores[order[start] as number];
  let end = start + 1;
  while (end < order.length && scores[order[end] as number] === score) end++;
  return end;
}

function compare(x: number, y: number): number {
  return x < y ? -1 : x > y ? 1 : 0;
}
