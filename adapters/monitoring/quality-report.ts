/**
 * Live quality per model version and variant over a window: pure, so the CLI and a scheduled function compute
 * the same figures from the same inputs.
 */
import type { DelayedLabel, LabelJoin, LabelProblem, ScoredRequest } from '../../core/monitoring/index.js';
import { type ModelQuality, modelQuality, percentile } from '../model/live-quality.js';

/** A half-open window [fromMs, toMs) of epoch ms; either end open when absent. */
export interface TimeWindow {
  readonly fromMs?: number | undefined;
  readonly toMs?: number | undefined;
}

export function inWindow(window: TimeWindow, ms: number): boolean {
  return (
    (window.fromMs === undefined || ms >= window.fromMs) && (window.toMs === undefined || ms < window.toMs)
  );
}

/** What became of the labels read: the report's `labels` counts, the same from the CLI and the function. */
export interface LabelSummary {
  readonly read: number;
  readonly joined: number;
  readonly unmatched: number;
  readonly duplicates: number;
  readonly setAside: number;
  /** The first set-aside label lines, with file:line and reason. */
  readonly examples: readonly LabelProblem[];
}

/** How many label lines were read, set aside and joined to a logged request (or not). */
export function labelSummary(
  read: { readonly labels: readonly DelayedLabel[]; readonly problems: readonly LabelProblem[] },
  join: LabelJoin,
): LabelSummary {
  return {
    read: read.labels.length + read.problems.length,
    joined: join.pairs.length,
    unmatched: join.unmatched.length,
    duplicates: join.duplicates.length,
    setAside: read.problems.length,
    examples: read.problems.slice(0, 5),
  };
}

export interface VariantQuality {
  readonly modelVersion: string;
  /** champion, challenger (as assigned by the split) or shadow (scored beside the champion, not answered). */
  readonly variant: string;
  /** Logged predictions of this model and variant whose request time is in the window. */
  readonly predictions: number;
  /** Of those, the share with a label known before the window's end. */
  readonly labelCoverage: number | null;
  /** label_time − request time of the labels in the window, ms. */
  readonly labelDelayP50Ms: number | null;
  readonly labelDelayP99Ms: number | null;
  /** Over the labels whose label_time is in the window. */
  readonly quality: ModelQuality;
}

/**
 * Quality per (model version, variant). Metrics use the labels whose label_time falls in the window (the labels
 * that arrived then, whatever their request's age); coverage uses the predictions logged in the window.
 */
export function qualityByModel(
  requests: readonly ScoredRequest[],
  join: LabelJoin,
  window: TimeWindow,
  threshold?: number,
): VariantQuality[] {
  const labelOf = new Map<ScoredRequest, DelayedLabel>();
  for (const { request, label } of join.pairs) labelOf.set(request, label);
  interface Group {
    modelVersion: string;
    variant: string;
    predictions: number;
    covered: number;
    scores: number[];
    labels: (0 | 1)[];
    delays: number[];
  }
  const groups = new Map<string, Group>();
  const add = (modelVersion: string, variant: string, score: number, request: ScoredRequest) => {
    const id = `${modelVersion}\u0000${variant}`;
    let group = groups.get(id);
    if (!group) {
      group = { modelVersion, variant, predictions: 0, covered: 0, scores: [], labels: [], delays: [] };
      groups.set(id, group);
    }
    const label = labelOf.get(request);
    if (inWindow(window, request.requestMs)) {
      group.predictions++;
      if (label && (window.toMs === undefined || label.labelTime < window.toMs)) group.covered++;
    }
    if (label && inWindow(window, label.labelTime)) {
      group.scores.push(score);
      group.labels.push(label.label);
      group.delays.push(label.labelTime - request.requestMs);
    }
  };
  for (const request of requests) {
    if (request.score !== null) {
      add(request.modelVersion ?? 'unknown', request.variant ?? 'champion', request.score, request);
    }
    if (request.shadowScore !== null) {
      add(request.shadowModelVersion ?? 'unknown', 'shadow', request.shadowScore, request);
    }
  }
  return [...groups.values()]
    .sort((a, b) => compareText(a.variant, b.variant) || compareText(a.modelVersion, b.modelVersion))
    .map((group) => ({
      modelVersion: group.modelVersion,
      variant: group.variant,
      predictions: group.predictions,
      labelCoverage: group.predictions > 0 ? group.covered / group.predictions : null,
      labelDelayP50Ms: percentile(group.delays, 50),
      labelDelayP99Ms: percentile(group.delays, 99),
      quality: modelQuality(group.scores, group.labels, threshold),
    }));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
