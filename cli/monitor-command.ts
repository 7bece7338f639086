import type { S3Client } from '@aws-sdk/client-s3';
import { openEventSource } from '../adapters/archive/event-source.js';
import { loadSpecFile } from '../adapters/files/spec-file.js';
import { parseModelDocument } from '../adapters/model/embedded-model.js';
import { DEFAULT_SERVING_THRESHOLD } from '../adapters/model/live-quality.js';
import { registryDocument, registryVersions } from '../adapters/model/model-registry.js';
import { LABEL_CLOCK_SLACK_MS, labelFilesFor } from '../adapters/monitoring/label-files.js';
import {
  inWindow,
  type LabelSummary,
  labelSummary,
  qualityByModel,
  type TimeWindow,
  type VariantQuality,
} from '../adapters/monitoring/quality-report.js';
import { readDelayedLabels, readScoredRequests, readSetAside } from '../adapters/monitoring/sources.js';
import {
  type ModelDrift,
  type ShadowComparison,
  servedColumnsByModel,
  shadowComparison,
  type WeekOverWeek,
  weekOverWeek,
} from '../adapters/monitoring/window-comparisons.js';
import { compileSpec } from '../core/index.js';
import {
  compareWithTraining,
  JOIN_TOLERANCE_MS,
  joinLabels,
  PSI_MAJOR,
  recordBody,
  type ScoredRequest,
  type StreamQuality,
  StreamQualityTally,
} from '../core/monitoring/index.js';
import { CliError, type CliIO } from './io.js';

export interface MonitorOptions {
  readonly spec: string;
  readonly featureLog: string;
  readonly labels: string;
  readonly archive?: string | undefined;
  readonly sideOutputs?: string | undefined;
  readonly models?: string | undefined;
  readonly fromMs?: number | undefined;
  readonly toMs?: number | undefined;
  readonly threshold?: number | undefined;
  /**
   * Read every label file, not only those last modified since the window's start less the clock slack
   * (label-files.ts). @default false
   */
  readonly allLabels?: boolean | undefined;
  readonly json?: boolean | undefined;
  readonly s3?: (() => S3Client) | undefined;
}

/** How many drifting features the text report lists per model. */
const TOP_DRIFTING = 5;

export interface MonitorReport {
  readonly window: { readonly from: string | null; readonly to: string | null };
  readonly predictions: number;
  readonly labels: LabelSummary & {
    readonly joinToleranceMs: number;
    /** Label files (or S3 objects) read. */
    readonly files: number;
    /** Label files listed but not read: last modified before the window could need them. */
    readonly filesOlder: number;
  };
  readonly quality: readonly VariantQuality[];
  /** Per model version served in the window; null drift when its registry entry has no training distribution. */
  readonly drift?: readonly ModelDrift[];
  readonly stream?: StreamQuality;
  readonly weekOverWeek?: WeekOverWeek;
  readonly shadowComparison?: readonly ShadowComparison[];
}

/** `streamfeatures monitor`: live model quality from delayed labels, feature drift and stream data quality. */
export async function monitorCommand(options: MonitorOptions, io: CliIO): Promise<number> {
  const report = await buildMonitorReport(options);
  io.out(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderMonitorReport(report));
  return 0;
}

export async function buildMonitorReport(options: MonitorOptions): Promise<MonitorReport> {
  const spec = compileSpec(await loadSpecFile(options.spec));
  const window: TimeWindow = { fromMs: options.fromMs, toMs: options.toMs };
  const requests = await located('--feature-log', () => readScoredRequests(options.featureLog, options.s3));
  // The quality figures need the labels known in the window: files written before it began hold none.
  const read = await located('--labels', () =>
    readDelayedLabels(spec, options.labels, options.s3, labelFilesFor(options.fromMs, options.allLabels)),
  );
  if (read.files + read.filesOlder === 0)
    throw new CliError(`--labels: no .jsonl files in ${options.labels}`);
  const join = joinLabels(requests, read.labels);
  const report: MonitorReport = {
    window: { from: iso(options.fromMs), to: iso(options.toMs) },
    predictions: requests.filter((request) => inWindow(window, request.requestMs)).length,
    labels: {
      ...labelSummary(read, join),
      joinToleranceMs: JOIN_TOLERANCE_MS,
      files: read.files,
      filesOlder: read.filesOlder,
    },
    quality: qualityByModel(requests, join, window, options.threshold ?? DEFAULT_SERVING_THRESHOLD),
  };
  const drift = options.models ? driftByModel(options.models, requests, window) : undefined;
  const stream = options.archive ? await streamQuality(spec, options, window) : undefined;
  return {
    ...report,
    ...(drift ? { drift } : {}),
    ...(stream ? { stream } : {}),
    weekOverWeek: weekOverWeek(requests, window),
    shadowComparison: shadowComparison(requests, window, options.threshold ?? DEFAULT_SERVING_THRESHOLD),
  };
}

function driftByModel(
  registry: string,
  requests: readonly ScoredRequest[],
  window: TimeWindow,
): NonNullable<MonitorReport['drift']> {
  const versions = located('--models', () => registryVersions(registry));
  const served = servedColumnsByModel(requests, window);
  return [...served].map(([modelVersion, columns]) => {
    if (!versions.includes(modelVersion)) {
      return { modelVersion, features: null, note: `not in the model registry ${registry}` };
    }
    const source = `model ${modelVersion} of the registry ${registry}`;
    const document = parseModelDocument(registryDocument(registry, modelVersion, versions), source);
    if (!document.featureDistributions) {
      return {
        modelVersion,
        features: null,
        note: 'no training distribution (trained before they were recorded)',
      };
    }
    return { modelVersion, features: compareWithTraining(document.featureDistributions, columns) };
  });
}

async function streamQuality(
  spec: ReturnType<typeof compileSpec>,
  options: MonitorOptions,
  window: TimeWindow,
): Promise<StreamQuality> {
  const tally = new StreamQualityTally(spec, window);
  const source = await located('--archive', () =>
    openEventSource(spec, options.archive as string, { s3: options.s3 }),
  );
  for await (const chunk of source.chunks) {
    for (const record of chunk) tally.addRecord(record.arrivalMs, recordBody(record.data));
  }
  if (options.sideOutputs) {
    const lines = await located('--side-outputs', () =>
      readSetAside(options.sideOutputs as string, options.s3),
    );
    for (const line of lines) tally.addSetAside(line.reason, line.rule, line.arrivalMs);
  }
  return tally.report();
}

/** Runs a read, its failure naming the flag it came from. */
function located<T>(flag: string, read: () => T): T {
  const fail = (error: unknown): never => {
    throw new CliError(`${flag}: ${(error as Error).message}`);
  };
  try {
    const result = read();
    return (result instanceof Promise ? result.catch(fail) : result) as T;
  } catch (error) {
    return fail(error);
  }
}

export function renderMonitorReport(report: MonitorReport): string {
  const lines: string[] = [];
  const { labels } = report;
  lines.push(
    `window ${report.window.from ?? 'start'} .. ${report.window.to ?? 'end'}: ${report.predictions} logged predictions`,
    `labels: ${labels.read} read, ${labels.joined} joined to the log (request id, else entity keys + time within ` +
      `${labels.joinToleranceMs / 1000} s), ${labels.unmatched} unmatched, ${labels.duplicates} duplicates, ` +
      `${labels.setAside} set aside`,
  );
  if (labels.filesOlder > 0) {
    lines.push(
      `  ${labels.files} label files read; ${labels.filesOlder} last modified over ` +
        `${LABEL_CLOCK_SLACK_MS / 60_000} min before the window's start left unread (--all-labels reads them)`,
    );
  }
  for (const problem of labels.examples) lines.push(`  set aside ${problem.source}: ${problem.reason}`);
  lines.push('', 'model quality (labels whose label_time is in the window):');
  if (report.quality.length === 0) lines.push('  no scored predictions in the feature log');
  for (const q of report.quality) {
    const m = q.quality;
    lines.push(
      `  ${q.variant} ${q.modelVersion}: ${m.rows} labelled (${m.positives} positive); ROC AUC ${fixed(m.rocAuc)}, ` +
        `PR AUC ${fixed(m.prAuc)}, expected/observed ${fixed(m.calibrationRatio, 2)}; at ${m.threshold}: ` +
        `precision ${fixed(m.precision)}, recall ${fixed(m.recall)}`,
      `    label coverage ${percent(q.labelCoverage)} of ${q.predictions} predictions; label delay p50 ` +
        `${duration(q.labelDelayP50Ms)}, p99 ${duration(q.labelDelayP99Ms)}`,
    );
    if (m.calibration.length > 0) {
      lines.push(
        `    by score decile, expected/observed rate: ${m.calibration
          .map((bin) => `${bin.expected.toFixed(3)}/${bin.observed.toFixed(3)}`)
          .join(' ')}`,
      );
    }
  }
  const weekly = new Map((report.weekOverWeek?.features ?? []).map((f) => [f.feature, f]));
  // Nothing to say beside training when the log reaches no week back.
  const weekLine = (feature: string) => {
    if (weekly.size === 0) return '';
    const w = weekly.get(feature);
    return w
      ? `; a week earlier: PSI ${fixed(w.psi)}, nulls ${percent(w.earlierNullShare)} then`
      : '; a week earlier: not served';
  };
  if (report.drift) {
    lines.push(
      '',
      `feature drift against training and against the same window a week earlier (PSI; above ${PSI_MAJOR} is a ` +
        'major shift), top features by either:',
    );
    for (const model of report.drift) {
      if (!model.features) {
        lines.push(`  ${model.modelVersion}: ${model.note}`);
        continue;
      }
      lines.push(`  ${model.modelVersion}, top drifting:`);
      const byEither = [...model.features].sort(
        (a, b) =>
          largestPsi(b.psi, weekly.get(b.feature)?.psi) - largestPsi(a.psi, weekly.get(a.feature)?.psi),
      );
      for (const f of byEither.slice(0, TOP_DRIFTING)) {
        lines.push(
          `    ${f.feature.padEnd(30)} PSI ${fixed(f.psi)}  nulls ${percent(f.servedNullShare)} served, ` +
            `${percent(f.trainingNullShare)} in training${weekLine(f.feature)}`,
        );
      }
    }
  }
  const week = report.weekOverWeek;
  if (week) {
    lines.push(
      '',
      `served features against the same window a week earlier (${week.earlierWindow.from ?? 'start'} .. ` +
        `${week.earlierWindow.to ?? 'end'}): ${week.requests} requests now, ${week.earlierRequests} then`,
    );
    if (week.features.length === 0) {
      lines.push('  nothing to compare: the feature log holds no request in one of the two windows');
    }
    for (const f of week.features.slice(0, TOP_DRIFTING)) {
      lines.push(
        `  ${f.feature.padEnd(32)} PSI ${fixed(f.psi)}  nulls ${percent(f.servedNullShare)} now, ` +
          `${percent(f.earlierNullShare)} a week earlier`,
      );
    }
  }
  for (const c of report.shadowComparison ?? []) {
    lines.push(
      '',
      `shadow challenger ${c.challengerVersion} against champion ${c.championVersion} on ${c.requests} requests:`,
      `  score PSI ${fixed(c.psi)} (over the champion's score deciles); disagree at ${c.threshold} on ` +
        `${c.disagreements} (${percent(c.disagreementShare)}; flagged ${c.championFlagged} by the champion, ` +
        `${c.challengerFlagged} by the challenger); Spearman rank correlation ${fixed(c.spearman)}`,
    );
  }
  if (report.stream) {
    const s = report.stream;
    lines.push(
      '',
      `stream data quality: ${s.records} records arrived in the window (${s.unreadable} not JSON objects)`,
    );
    const odd = s.hours.filter(
      (h) => h.records === 0 || (h.weekEarlier !== null && offByHalf(h.records, h.weekEarlier)),
    );
    lines.push(
      `  volume: ${s.hours.length} hours; ${odd.length} off by half or more from the same hour a week earlier, or empty`,
    );
    for (const h of odd.slice(0, 10)) {
      lines.push(
        `    ${iso(h.hourMs)}: ${h.records} records, a week earlier ${h.weekEarlier ?? 'not archived'}`,
      );
    }
    for (const entry of s.setAside) {
      lines.push(`  set aside ${entry.reason}/${entry.rule}: ${entry.count} (${percent(entry.rate)})`);
    }
    for (const f of s.fields) {
      lines.push(
        `  field ${f.field.padEnd(14)} nulls ${percent(f.nullRate)}, invalid ${percent(f.invalidRate)}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The larger of two PSIs, a missing one counting as none. */
function largestPsi(a: number | null, b: number | null | undefined): number {
  return Math.max(a ?? -1, b ?? -1);
}

function offByHalf(now: number, before: number): boolean {
  return before > 0 ? now < before / 2 || now > before * 2 : now > 0;
}

function fixed(value: number | null, digits = 4): string {
  return value === null ? 'n/a' : value.toFixed(digits);
}

function percent(value: number | null): string {
  return value === null ? 'n/a' : `${(100 * value).toFixed(2)}%`;
}

function duration(ms: number | null): string {
  if (ms === null) return 'n/a';
  const hours = ms / 3_600_000;
  return hours >= 48
    ? `${(hours / 24).toFixed(1)} d`
    : hours >= 1
      ? `${hours.toFixed(1)} h`
      : `${(ms / 1000).toFixed(0)} s`;
}

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}
