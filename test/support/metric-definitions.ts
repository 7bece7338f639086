/**
 * Model metrics worked out from their definitions, slowly and plainly: the oracles the fast implementations
 * (adapters/model/metrics.ts, the monitor's quality report) are checked against.
 */

/** ROC AUC by its definition: over every (positive, negative) pair, 1 if the positive scores higher, ½ if tied. */
export function pairCountingAuc(labels: readonly number[], scores: readonly number[]): number {
  let sum = 0;
  let pairs = 0;
  labels.forEach((yi, i) => {
    labels.forEach((yj, j) => {
      if (yi !== 1 || yj !== 0) return;
      const [si, sj] = [scores[i] as number, scores[j] as number];
      sum += si > sj ? 1 : si === sj ? 0.5 : 0;
      pairs++;
    });
  });
  return sum / pairs;
}

/** PR AUC (average precision) by the step rule: Σ (R_k − R_{k−1}) · P_k over the distinct scores, highest first. */
export function stepRulePrAuc(labels: readonly number[], scores: readonly number[]): number {
  const positives = labels.filter((y) => y === 1).length;
  let previousRecall = 0;
  let sum = 0;
  for (const threshold of [...new Set(scores)].sort((a, b) => b - a)) {
    const predicted = scores.map((s, i) => (s >= threshold ? i : -1)).filter((i) => i >= 0);
    const truePositives = predicted.filter((i) => labels[i] === 1).length;
    sum += (truePositives / positives - previousRecall) * (truePositives / predicted.length);
    previousRecall = truePositives / positives;
  }
  return sum;
}
