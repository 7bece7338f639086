/** The monitoring job's dashboard widgets: model quality, labels, drift, the stream, and its alarms' states. */
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { MONITOR_METRICS } from '../adapters/monitoring/report-metrics.js';
import type { MonitorMetrics, ServedVariant } from './model-monitoring-metrics.js';
import type { ResolvedMonitoringSettings } from './model-monitoring-settings.js';
import { graph } from './pipeline-metrics.js';

export interface MonitoringWidgetsInput {
  readonly metrics: MonitorMetrics;
  /** The champion and challenger as the log names them: one line each. */
  readonly variants: readonly ServedVariant[];
  readonly champion?: string;
  readonly driftFeatures: readonly string[];
  readonly settings: ResolvedMonitoringSettings;
  readonly alarms: readonly cloudwatch.Alarm[];
}

/** Adds the job's rows to the dashboard. */
export function addMonitoringWidgets(dashboard: cloudwatch.Dashboard, input: MonitoringWidgetsInput): void {
  const { metrics, variants, champion, settings: s } = input;
  const m = MONITOR_METRICS;
  const perVariant = (name: string) => metrics.perVariant(variants, name);
  const auc = (line: cloudwatch.Metric) =>
    line.with({ label: line.label?.replace(m.rocAuc, 'ROC AUC').replace(m.prAuc, 'PR AUC') });
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Model quality: ROC AUC and PR AUC (last window of labels)',
      left: [...perVariant(m.rocAuc), ...perVariant(m.prAuc)].map(auc),
      leftAnnotations: [{ value: s.aucFloor, label: 'AUC floor' }],
      width: 6,
    }),
    graph('Calibration: mean score / positive rate', perVariant(m.calibrationRatio)),
    graph(`Precision and recall at ${s.servingThreshold}`, [
      ...perVariant(m.precision),
      ...perVariant(m.recall),
    ]),
    graph('Labels joined per window', [
      metrics.metric(m.labelsJoined, 'Maximum', {}, 'labels joined'),
      metrics.metric(m.labelsSetAside, 'Maximum', {}, 'label lines set aside (objects read)'),
    ]),
  );
  dashboard.addWidgets(
    graph('Label coverage (share)', perVariant(m.labelCoverage)),
    graph('Label delay (ms)', [...perVariant(m.labelDelayP50), ...perVariant(m.labelDelayP99)]),
    new cloudwatch.GraphWidget({
      title: `Feature drift vs training (PSI), ${champion}`,
      left: input.driftFeatures.map((feature) => metrics.psiOf(champion as string, feature, feature)),
      leftAnnotations: [{ value: s.psiThreshold, label: 'major shift' }],
      width: 6,
    }),
    graph('Stream: volume vs last week, quarantine and late shares', [
      metrics.metric(m.eventsVsLastWeek, 'Minimum', {}, 'records / a week earlier'),
      metrics.metric(m.quarantineRate, 'Maximum', {}, 'quarantined share'),
      metrics.metric(m.lateRate, 'Maximum', {}, 'late share'),
    ]),
  );
  dashboard.addWidgets(
    new cloudwatch.AlarmStatusWidget({
      title: 'Model and data monitoring alarms',
      alarms: [...input.alarms],
      width: 24,
    }),
  );
}
