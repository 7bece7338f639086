/**
 * The monitoring report over the last window, read from the offline and side-output buckets with the sources
 * `streamfeatures monitor` uses (adapters/monitoring/sources.ts, the archive reader) and computed by the same pure
 * functions (quality by model and variant, PSI against training, the stream tally). What differs from the CLI is
 * only what is read: the hour partitions Firehose and the features function write (`dt=YYYY-MM-DD/hour=HH/`) that
 * can hold the window's rows, instead of a whole location; of an Iceberg table, the data files whose `dt`/`hour`
 * partition values (from its manifests) are those hours.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { findIcebergTable, listS3Objects } from '../../adapters/archive/archive-files.js';
import { archiveFileSource, type EventSource, openEventSource } from '../../adapters/archive/event-source.js';
import { readFeatureLogFiles } from '../../adapters/archive/feature-log.js';
import { filesInHours } from '../../adapters/archive/iceberg-window.js';
import { labelFilesModifiedSince } from '../../adapters/monitoring/label-files.js';
import {
  inWindow,
  type LabelSummary,
  labelSummary,
  qualityByModel,
  type TimeWindow,
  type VariantQuality,
} from '../../adapters/monitoring/quality-report.js';
import type { ReportFigures } from '../../adapters/monitoring/report-metrics.js';
import { readDelayedLabels, readScoredRequests, readSetAside } from '../../adapters/monitoring/sources.js';
import {
  type ModelDrift,
  servedColumnsByModel,
  shadowComparison,
  weekOverWeek,
} from '../../adapters/monitoring/window-comparisons.js';
import type { CompiledSpec } from '../../core/index.js';
import {
  compareWithTraining,
  type FeatureDistribution,
  joinLabels,
  recordBody,
  type ScoredRequest,
  type StreamQuality,
  StreamQualityTally,
} from '../../core/monitoring/index.js';
import type { MonitorLocations, MonitorWindows } from './config.js';

const HOUR_MS = 3_600_000;
const WEEK_MS = 7 * 24 * HOUR_MS;

// The rule for which label objects can hold a label known in the quality window is shared with the CLIs.
export { LABEL_CLOCK_SLACK_MS } from '../../adapters/monitoring/label-files.js';

/** Training distributions of the models deployed with the function, by version; undefined when not recorded. */
export type TrainingDistributions = ReadonlyMap<
  string,
  Readonly<Record<string, FeatureDistribution>> | undefined
>;

export interface WindowReport extends ReportFigures {
  readonly window: {
    readonly quality: { readonly from: string; readonly to: string };
    readonly serving: { readonly from: string; readonly to: string };
  };
  /** Logged predictions whose request time is in the serving window. */
  readonly predictions: number;
  readonly labels: LabelSummary;
  readonly quality: readonly VariantQuality[];
  readonly drift: readonly ModelDrift[];
  readonly stream: StreamQuality;
  readonly recordsWeekEarlier: number | null;
  /** Objects read, for the run's log line. */
  readonly objects: {
    readonly featureLog: number;
    readonly labels: number;
    /** Label objects listed but not read: last modified too long before the quality window. */
    readonly labelsOlder: number;
    readonly archive: number;
    readonly archiveWeekEarlier: number;
  };
}

export interface WindowReportInputs {
  readonly spec: CompiledSpec;
  readonly client: S3Client;
  readonly locations: MonitorLocations;
  readonly windows: MonitorWindows;
  readonly threshold: number;
  readonly training: TrainingDistributions;
  /** The run's time, epoch ms: the windows end `windows.lagMs` before it. */
  readonly nowMs: number;
}

export async function buildWindowReport(inputs: WindowReportInputs): Promise<WindowReport> {
  const { spec, client, locations: at, windows, nowMs } = inputs;
  const end = nowMs - windows.lagMs;
  const quality: Required<TimeWindow> = { fromMs: end - windows.qualityMs, toMs: end };
  const serving: Required<TimeWindow> = { fromMs: end - windows.servingMs, toMs: end };
  const s3 = () => client;
  const bucketUrl = (bucket: string, key: string) => `s3://${bucket}/${key}`;

  // Iceberg tables (offlineFormat 'iceberg') are read by their manifests' dt/hour partition values, not prefixes.
  const featureLogTable = bucketUrl(at.offlineBucket, at.featureLogPrefix);
  const archiveTable = bucketUrl(at.offlineBucket, at.rawArchivePrefix);
  const icebergLog = await findIcebergTable(featureLogTable, s3);
  const icebergArchive = await findIcebergTable(archiveTable, s3);

  // The feature log: every hour that can hold a request a window's label names, or served in the window.
  const requests: ScoredRequest[] = [];
  let featureLogObjects = 0;
  const logFrom = Math.min(quality.fromMs - windows.labelLookbackMs, serving.fromMs);
  if (icebergLog) {
    const files = filesInHours(featureLogTable, icebergLog, logFrom, nowMs);
    featureLogObjects = files.length;
    requests.push(...(await readFeatureLogFiles(files)));
  }
  for (const prefix of icebergLog ? [] : hourPrefixes(at.featureLogPrefix, logFrom, nowMs)) {
    const objects = await parquetObjects(client, at.offlineBucket, prefix);
    if (objects === 0) continue;
    featureLogObjects += objects;
    requests.push(...(await readScoredRequests(bucketUrl(at.offlineBucket, prefix), s3)));
  }

  // Labels: the objects under the prefix that can hold a label known in the quality window (older ones are only
  // listed, so a run's reads do not grow with the history); a bad line is set aside and counted, never fatal.
  const read = await readDelayedLabels(spec, bucketUrl(at.offlineBucket, at.labelsPrefix), s3, {
    modifiedSinceMs: labelFilesModifiedSince(quality.fromMs),
  });
  const join = joinLabels(requests, read.labels);

  // The stream: the serving window's hours, and the same hours a week earlier for the volume comparison.
  const tally = new StreamQualityTally(spec, serving);
  const weekEarlier = new StreamQualityTally(spec, {
    fromMs: serving.fromMs - WEEK_MS,
    toMs: serving.toMs - WEEK_MS,
  });
  const tallyRecords = async (source: EventSource): Promise<void> => {
    for await (const chunk of source.chunks) {
      for (const record of chunk) {
        const body = recordBody(record.data);
        tally.addRecord(record.arrivalMs, body);
        weekEarlier.addRecord(record.arrivalMs, body);
      }
    }
  };
  const readArchive = async (fromMs: number, toMs: number): Promise<number> => {
    if (icebergArchive) {
      const files = filesInHours(archiveTable, icebergArchive, fromMs, toMs);
      if (files.length > 0) await tallyRecords(archiveFileSource(archiveTable, files));
      return files.length;
    }
    let objects = 0;
    for (const prefix of hourPrefixes(at.rawArchivePrefix, fromMs, toMs)) {
      const found = await parquetObjects(client, at.offlineBucket, prefix);
      if (found === 0) continue;
      objects += found;
      await tallyRecords(await openEventSource(spec, bucketUrl(at.offlineBucket, prefix), { s3 }));
    }
    return objects;
  };
  // Up to the run's time, a week earlier too: a partition is named by when Firehose received the record.
  const archiveWeekEarlier = await readArchive(serving.fromMs - WEEK_MS, nowMs - WEEK_MS);
  const archive = await readArchive(serving.fromMs, nowMs);
  for (const sidePrefix of [at.quarantinePrefix, at.latePrefix]) {
    for (const prefix of hourPrefixes(sidePrefix, serving.fromMs, nowMs)) {
      for (const line of await readSetAside(bucketUrl(at.sideOutputBucket, prefix), s3)) {
        tally.addSetAside(line.reason, line.rule, line.arrivalMs);
      }
    }
  }

  return {
    window: { quality: isoWindow(quality), serving: isoWindow(serving) },
    predictions: requests.filter((request) => inWindow(serving, request.requestMs)).length,
    labels: labelSummary(read, join),
    quality: qualityByModel(requests, join, quality, inputs.threshold),
    drift: servedDrift(requests, serving, inputs.training),
    weekOverWeek: weekOverWeek(requests, serving),
    shadowComparison: shadowComparison(requests, serving, inputs.threshold),
    stream: tally.report(),
    recordsWeekEarlier: archiveWeekEarlier > 0 ? weekEarlier.report().records : null,
    objects: {
      featureLog: featureLogObjects,
      labels: read.files,
      labelsOlder: read.filesOlder,
      archive,
      archiveWeekEarlier,
    },
  };
}

/**
 * PSI of each model version's served features (champion or challenger, and the shadow model on the same vector)
 * in the window against the training distributions deployed with the function.
 */
function servedDrift(
  requests: readonly ScoredRequest[],
  window: TimeWindow,
  training: TrainingDistributions,
): WindowReport['drift'] {
  const served = servedColumnsByModel(requests, window);
  return [...served].map(([modelVersion, columns]) => {
    if (!training.has(modelVersion)) {
      return { modelVersion, features: null, note: 'not among the models deployed with the function' };
    }
    const distributions = training.get(modelVersion);
    if (!distributions) {
      return {
        modelVersion,
        features: null,
        note: 'no training distribution (trained before they were recorded)',
      };
    }
    return { modelVersion, features: compareWithTraining(distributions, columns) };
  });
}

/** `<prefix>dt=YYYY-MM-DD/hour=HH/` of every UTC hour that overlaps [fromMs, toMs]. */
export function hourPrefixes(prefix: string, fromMs: number, toMs: number): string[] {
  const prefixes: string[] = [];
  for (let hour = Math.floor(fromMs / HOUR_MS) * HOUR_MS; hour <= toMs; hour += HOUR_MS) {
    const iso = new Date(hour).toISOString();
    prefixes.push(`${prefix}dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/`);
  }
  return prefixes;
}

/** How many Parquet objects a prefix holds: an hour with none is skipped (the archive readers refuse none). */
async function parquetObjects(client: S3Client, bucket: string, prefix: string): Promise<number> {
  const objects = await listS3Objects(client, bucket, prefix);
  return objects.filter(({ key }) => key.endsWith('.parquet')).length;
}

function isoWindow(window: Required<TimeWindow>): { from: string; to: string } {
  return { from: new Date(window.fromMs).toISOString(), to: new Date(window.toMs).toISOString() };
}
