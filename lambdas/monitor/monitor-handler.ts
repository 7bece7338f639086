/**
 * The monitor function: each run builds the report over the last window and publishes it as metrics. A run over
 * an empty window publishes what it can (0 labels joined) and succeeds; a read that fails (a bucket it may not
 * read, an object the pipeline wrote wrongly) fails the run, which the job's errors alarm reports.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { type MetricGroup, reportMetrics } from '../../adapters/monitoring/report-metrics.js';
import type { CompiledSpec } from '../../core/index.js';
import type { HandlerLogger } from '../shared/observability.js';
import type { MonitorConfig } from './config.js';
import { buildWindowReport, type TrainingDistributions } from './window-report.js';

/** Publishes metric groups: Powertools Metrics (EMF) in Lambda, a recorder in tests. */
export type PublishMetrics = (groups: readonly MetricGroup[]) => void;

export interface MonitorDeps {
  readonly spec: CompiledSpec;
  readonly client: S3Client;
  readonly config: MonitorConfig;
  readonly training: TrainingDistributions;
  readonly publish: PublishMetrics;
  readonly logger: HandlerLogger;
  /** The clock when the event names no time. @default Date.now */
  readonly now?: () => number;
}

/** What a run answers (and logs): the windows and the headline counts. */
export interface MonitorRunSummary {
  readonly window: {
    readonly quality: { from: string; to: string };
    readonly serving: { from: string; to: string };
  };
  readonly predictions: number;
  readonly labelsRead: number;
  readonly labelsJoined: number;
  readonly labelsSetAside: number;
  readonly records: number;
  readonly recordsWeekEarlier: number | null;
  readonly variants: number;
  readonly metrics: number;
  readonly objects: Readonly<Record<string, number>>;
}

/**
 * The run's time: the scheduled event's `time` (EventBridge sends the scheduled time, so a delayed run still
 * covers its own window), or now for an event without one (`aws lambda invoke` with `{}`).
 */
export function runTimeOf(event: unknown, now: () => number): number {
  const time = (event as { time?: unknown } | null)?.time;
  if (typeof time === 'string') {
    const ms = Date.parse(time);
    if (Number.isFinite(ms)) return ms;
  }
  return now();
}

export function createMonitorHandler(deps: MonitorDeps): (event: unknown) => Promise<MonitorRunSummary> {
  const now = deps.now ?? Date.now;
  return async (event) => {
    const report = await buildWindowReport({
      spec: deps.spec,
      client: deps.client,
      locations: deps.config.locations,
      windows: deps.config.windows,
      threshold: deps.config.threshold,
      training: deps.training,
      nowMs: runTimeOf(event, now),
    });
    const groups = reportMetrics(report);
    deps.publish(groups);
    const summary: MonitorRunSummary = {
      window: report.window,
      predictions: report.predictions,
      labelsRead: report.labels.read,
      labelsJoined: report.labels.joined,
      labelsSetAside: report.labels.setAside,
      records: report.stream.records,
      recordsWeekEarlier: report.recordsWeekEarlier,
      variants: report.quality.length,
      metrics: groups.reduce((sum, group) => sum + group.metrics.length, 0),
      objects: report.objects,
    };
    deps.logger.info('monitoring run', { ...summary, labelExamples: report.labels.examples });
    return summary;
  };
}
