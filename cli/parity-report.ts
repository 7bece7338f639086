/** What `streamfeatures parity` found, and how it is printed. */

import type { FeatureMismatches, ParityTally } from '../core/index.js';

export interface ParityReport {
  readonly events: number;
  /** The latest arrival the archive holds (epoch ms); null for an empty archive. */
  readonly archiveReachMs: number | null;
  readonly online?: Section & { readonly readAtMs: number; readonly lag: LagSection };
  readonly logged?: Section & { readonly scores: ScoreSection; readonly lag: LagSection };
  /**
   * Values not compared because the other side computed them under another definition than the replay's spec
   * (compared like with like: the fingerprints differ), or, online, a feature added to items that held others and
   * not backfilled yet (it counts only the records since). Per section and feature: how many. Not skew.
   */
  readonly notComparable: {
    readonly online: Record<string, DefinitionCounts>;
    readonly logged: Record<string, DefinitionCounts>;
  };
  readonly skew: boolean;
}

export interface DefinitionCounts {
  /** Computed by another definition: the item or logged line holds the feature under another fingerprint. */
  anotherDefinition: number;
  /** Online only: partials created when the feature was added to the item, not backfilled yet. */
  sinceAdded: number;
}

export interface Section {
  readonly vectors: number;
  readonly vectorsSkewed: number;
  readonly values: number;
  readonly mismatches: number;
  readonly byFeature: Record<string, FeatureMismatches>;
  readonly examples: ParityTally['examples'];
}

/**
 * Online keys that differ the way events the archive has not reached yet would make them: read after the
 * archive's latest arrival, every count online at least the replay's and one above it. Lag, not skew.
 */
export interface LagSection {
  readonly vectors: number;
  readonly examples: ParityTally['examples'];
}

export interface ScoreSection {
  readonly rescored: number;
  readonly mismatched: number;
  readonly maxAbsDiff: number;
  /** Logged lines whose model could not be run here (SageMaker, or a version not in the registry). */
  readonly notRescored: Record<string, number>;
}

export function renderParity(report: ParityReport): string {
  const reached =
    report.archiveReachMs === null ? 'an empty archive' : `latest arrival ${iso(report.archiveReachMs)}`;
  const lines = [`parity over ${report.events} replayed events (${reached}):`];
  const describe = (name: string, s: Section) => {
    lines.push(
      `  ${name.padEnd(9)} ${s.vectors} vectors (${s.values} values) compared, ${s.vectorsSkewed} skewed, ${s.mismatches} values differ`,
    );
    for (const [feature, { count, maxAbsDiff }] of Object.entries(s.byFeature)) {
      const diff = maxAbsDiff === null ? '' : ` (max |diff| ${maxAbsDiff})`;
      lines.push(`              ${feature}: ${count} differ${diff}`);
    }
    for (const e of s.examples) {
      lines.push(
        `              e.g. ${e.what} ${e.feature}: replay ${JSON.stringify(e.offline)}, ${name} ${JSON.stringify(e.other)}`,
      );
    }
  };
  if (report.online) {
    describe('online', report.online);
    const { lag, readAtMs } = report.online;
    if (lag.vectors > 0) {
      const behind =
        report.archiveReachMs === null
          ? ''
          : `, ${((readAtMs - report.archiveReachMs) / 1000).toFixed(1)} s behind the read`;
      lines.push(
        `  lag       ${lag.vectors} more online keys differ only by events the archive has not reached yet ` +
          `(read at ${iso(readAtMs)}${behind}; Firehose delivers its buffer later): not skew, rerun parity once it has`,
      );
      for (const e of lag.examples) {
        lines.push(
          `              e.g. ${e.what} ${e.feature}: replay ${JSON.stringify(e.offline)}, online ${JSON.stringify(e.other)}`,
        );
      }
    }
  }
  if (report.logged) {
    describe('logged', report.logged);
    const { lag } = report.logged;
    if (lag.vectors > 0) {
      lines.push(
        `  lag       ${lag.vectors} more logged vectors, later than the archive's latest arrival, differ only by ` +
          'events it has not reached yet: not skew, rerun parity once Firehose has delivered its buffer',
      );
      for (const e of lag.examples) {
        lines.push(
          `              e.g. ${e.what} ${e.feature}: replay ${JSON.stringify(e.offline)}, logged ${JSON.stringify(e.other)}`,
        );
      }
    }
    const { rescored, mismatched, maxAbsDiff, notRescored } = report.logged.scores;
    const skipped = Object.entries(notRescored).map(([why, n]) => `${n} ${why}`);
    lines.push(
      `  scores    ${rescored} recomputed from the replayed features, ${mismatched} differ (max |diff| ${maxAbsDiff})` +
        `${skipped.length > 0 ? `; not recomputed: ${skipped.join(', ')}` : ''}`,
    );
  }
  for (const [side, byFeature] of Object.entries(report.notComparable)) {
    for (const [feature, { anotherDefinition, sinceAdded }] of Object.entries(byFeature)) {
      const parts = [
        anotherDefinition > 0 ? `${anotherDefinition} computed by another definition` : '',
        sinceAdded > 0 ? `${sinceAdded} added since and not backfilled yet` : '',
      ].filter((part) => part !== '');
      lines.push(`  ${side.padEnd(9)} ${feature}: not compared, ${parts.join(', ')} (not skew)`);
    }
  }
  const apart = Object.values(report.notComparable).some((byFeature) => Object.keys(byFeature).length > 0);
  lines.push(
    report.skew
      ? 'SKEW: the online and offline paths disagree (see above)'
      : apart
        ? 'no skew in the values compared; values of another definition were not compared (backfill them: see above)'
        : 'no skew',
  );
  return `${lines.join('\n')}\n`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
