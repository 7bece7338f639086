/**
 * The demo's closing loop: delayed labels for the live scored requests arrive after the scoring (JSON Lines put in
 * the offline bucket's `labels/` prefix with the SDK, each label_time after its request), then `monitor` reports
 * over the live window from the feature log, those labels, the raw archive and the side outputs: model quality per
 * version and variant, drift of the served features against each model's training set, and stream data quality.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { FraudLabel } from '../examples/fraud/traffic-types.js';
import { buildMonitorReport, type MonitorReport } from './monitor-command.js';

/** How many drifting features the demo's summary names per model. */
const TOP_DRIFTING = 3;

/**
 * Puts one label per scored request under `labels/live/`, naming the request by the id the API answered with, each
 * known at `labelTime` (after every request: in the demo, seconds later; a chargeback takes weeks). Returns the
 * object's key.
 */
export async function putLiveLabels(
  s3: S3Client,
  bucket: string,
  scored: readonly { readonly requestId: string; readonly label: FraudLabel }[],
  labelTime: number,
): Promise<string> {
  const lines = scored.map(({ requestId, label }) =>
    JSON.stringify({
      request_id: requestId,
      event_id: label.event_id,
      label: label.label,
      label_time: labelTime,
    }),
  );
  const key = `labels/live/labels-${new Date(labelTime).toISOString().replace(/[:.]/g, '-')}.jsonl`;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `${lines.join('\n')}\n` }));
  return key;
}

export interface DemoMonitorOptions {
  readonly spec: string;
  readonly bucket: string;
  readonly sideOutputBucket: string;
  /** The registry holding the served models (the champion and the shadow challenger the demo trained). */
  readonly registry: string;
  /** The live window: from the first live put to after the labels arrived. */
  readonly fromMs: number;
  readonly toMs: number;
  readonly s3: () => S3Client;
}

/** `streamfeatures monitor` over the live window, on the local cloud's S3. */
export function monitorLiveWindow(options: DemoMonitorOptions): Promise<MonitorReport> {
  return buildMonitorReport({
    spec: options.spec,
    featureLog: `s3://${options.bucket}/features/`,
    labels: `s3://${options.bucket}/labels/live/`,
    archive: `s3://${options.bucket}/raw/`,
    sideOutputs: `s3://${options.sideOutputBucket}/`,
    models: options.registry,
    fromMs: options.fromMs,
    toMs: options.toMs,
    s3: options.s3,
  });
}

/** The summary's lines for the monitor report (the full report is `streamfeatures monitor`'s). */
export function monitoringReport(report: MonitorReport): string[] {
  const lines = [
    `  monitor            live window ${seconds(report)}: ${report.predictions} logged predictions, ${report.labels.read} delayed labels read from labels/live/, ${report.labels.joined} joined (${report.labels.unmatched} unmatched, ${report.labels.setAside} set aside)`,
  ];
  for (const q of report.quality) {
    const m = q.quality;
    lines.push(
      `  model quality      ${q.variant} ${q.modelVersion}: ${m.rows} labelled (${m.positives} fraud): ROC AUC ${fixed(m.rocAuc)}, PR AUC ${fixed(m.prAuc)}, expected/observed ${fixed(m.calibrationRatio, 2)}, at ${m.threshold} precision ${fixed(m.precision, 2)} recall ${fixed(m.recall, 2)}`,
    );
  }
  for (const model of report.drift ?? []) {
    const top = (model.features ?? []).slice(0, TOP_DRIFTING);
    lines.push(
      `  drift              ${model.modelVersion}: ${
        model.features === null
          ? model.note
          : `top PSI vs training ${top.map((f) => `${f.feature} ${fixed(f.psi, 2)}`).join(', ')}`
      }`,
    );
  }
  const stream = report.stream;
  if (stream) {
    const hours = stream.hours
      .map(
        (h) =>
          `${h.records} from ${new Date(h.hourMs).toISOString().slice(11, 16)} (a week earlier ${h.weekEarlier ?? 'not archived'})`,
      )
      .join(', ');
    const setAside = stream.setAside
      .map((s) => `${s.reason}/${s.rule} ${(100 * s.rate).toFixed(1)}%`)
      .join(', ');
    const nulls = stream.fields.filter((f) => (f.nullRate ?? 0) > 0 || (f.invalidRate ?? 0) > 0).length;
    lines.push(
      `  data quality       ${stream.records} records arrived; records by hour of arrival ${hours}; set aside ${setAside || 'none'}; ${nulls} of ${stream.fields.length} spec fields with nulls or invalid values`,
    );
  }
  return lines;
}

function seconds(report: MonitorReport): string {
  const { from, to } = report.window;
  if (from === null || to === null) return 'open';
  return `${((Date.parse(to) - Date.parse(from)) / 1000).toFixed(0)} s`;
}

function fixed(value: number | null, digits = 3): string {
  return value === null ? 'n/a' : value.toFixed(digits);
}
