/**
 * The monitoring report as CloudWatch metrics: a pure mapping from the figures `streamfeatures monitor` reports
 * (the same types) to metric values grouped by their dimensions. The scheduled monitor function publishes them
 * (EMF); the CDK constructs read the names below for the alarms and the dashboard.
 */
import type { FeatureDrift, StreamQuality } from '../../core/monitoring/index.js';
import type { VariantQuality } from './quality-report.js';
import type { ShadowComparison, WeekOverWeek } from './window-comparisons.js';

/** The metric names, stated once: the function publishes them, the alarms and dashboard read them. */
export const MONITOR_METRICS = {
  // per model version and variant (dimensions ModelVersion, Variant)
  rocAuc: 'RocAuc',
  prAuc: 'PrAuc',
  calibrationRatio: 'CalibrationRatio',
  precision: 'Precision',
  recall: 'Recall',
  labelCoverage: 'LabelCoverage',
  labelDelayP50: 'LabelDelayP50',
  labelDelayP99: 'LabelDelayP99',
  labelsJoined: 'LabelsJoined',
  predictions: 'Predictions',
  // per model version and feature (dimensions ModelVersion, Feature)
  featurePsi: 'FeaturePsi',
  featureNullShare: 'FeatureNullShare',
  // per feature, whatever model it served (dimension Feature)
  featurePsiVsLastWeek: 'FeaturePsiVsLastWeek',
  // per champion and shadow challenger (dimensions ModelVersion, Challenger)
  shadowScorePsi: 'ShadowScorePsi',
  shadowDisagreement: 'ShadowDisagreement',
  shadowRankCorrelation: 'ShadowRankCorrelation',
  // the stream (no dimension beyond the service; Rule or Field where named)
  eventsVsLastWeek: 'EventsVsLastWeek',
  streamRecords: 'StreamRecords',
  quarantineRate: 'QuarantineRate',
  lateRate: 'LateRate',
  fieldNullRate: 'FieldNullRate',
  fieldInvalidRate: 'FieldInvalidRate',
  // the labels read (no dimension beyond the service)
  labelsSetAside: 'LabelsSetAside',
  labelsUnmatched: 'LabelsUnmatched',
} as const;

/** The dimension names the metrics carry besides Powertools' `service`. */
export const MONITOR_DIMENSIONS = {
  modelVersion: 'ModelVersion',
  variant: 'Variant',
  challenger: 'Challenger',
  feature: 'Feature',
  rule: 'Rule',
  field: 'Field',
} as const;

export type MetricUnit = 'None' | 'Count' | 'Milliseconds';

export interface MetricValue {
  readonly name: string;
  readonly unit: MetricUnit;
  readonly value: number;
}

/** Metrics that share one set of dimensions: one EMF document. */
export interface MetricGroup {
  readonly dimensions: Readonly<Record<string, string>>;
  readonly metrics: readonly MetricValue[];
}

/**
 * What the mapping reads of the report: the parts of `streamfeatures monitor`'s report (cli/monitor-command.ts
 * MonitorReport) it publishes, plus the volume of the same window a week earlier.
 */
export interface ReportFigures {
  readonly labels: { readonly unmatched: number; readonly setAside: number };
  readonly quality: readonly VariantQuality[];
  readonly drift?: readonly {
    readonly modelVersion: string;
    readonly features: readonly FeatureDrift[] | null;
  }[];
  readonly stream?: StreamQuality;
  /**
   * Records that arrived in the same window a week earlier; null when the archive does not reach back that far
   * (then no EventsVsLastWeek is published).
   */
  readonly recordsWeekEarlier?: number | null;
  readonly weekOverWeek?: WeekOverWeek;
  readonly shadowComparison?: readonly ShadowComparison[];
}

/**
 * The report as metric groups. A figure the report could not compute (null: no label, no positive, nothing
 * served) is left out rather than published as a number that means nothing; counts are always published, so a
 * run over an empty window still says "0 labels joined". CalibrationRatio is the overall ratio (mean score over
 * the positive rate of the window's labelled requests), not a decile's. LabelsJoined without a model dimension
 * counts the labelled requests of the champion and challenger (a shadow score is a second score of the same
 * request, so it is not counted twice). Rates are shares (0 to 1).
 */
export function reportMetrics(report: ReportFigures): MetricGroup[] {
  const groups: MetricGroup[] = [];
  const d = MONITOR_DIMENSIONS;
  const m = MONITOR_METRICS;
  const present = (name: string, unit: MetricUnit, value: number | null | undefined): MetricValue[] =>
    value === null || value === undefined || !Number.isFinite(value) ? [] : [{ name, unit, value }];

  let labelled = 0;
  for (const q of report.quality) {
    if (q.variant !== 'shadow') labelled += q.quality.rows;
    groups.push({
      dimensions: { [d.modelVersion]: q.modelVersion, [d.variant]: q.variant },
      metrics: [
        ...present(m.rocAuc, 'None', q.quality.rocAuc),
        ...present(m.prAuc, 'None', q.quality.prAuc),
        ...present(m.calibrationRatio, 'None', q.quality.calibrationRatio),
        ...present(m.precision, 'None', q.quality.precision),
        ...present(m.recall, 'None', q.quality.recall),
        ...present(m.labelCoverage, 'None', q.labelCoverage),
        ...present(m.labelDelayP50, 'Milliseconds', q.labelDelayP50Ms),
        ...present(m.labelDelayP99, 'Milliseconds', q.labelDelayP99Ms),
        { name: m.labelsJoined, unit: 'Count', value: q.quality.rows },
        { name: m.predictions, unit: 'Count', value: q.predictions },
      ],
    });
  }

  const service: MetricValue[] = [
    { name: m.labelsJoined, unit: 'Count', value: labelled },
    { name: m.labelsSetAside, unit: 'Count', value: report.labels.setAside },
    { name: m.labelsUnmatched, unit: 'Count', value: report.labels.unmatched },
  ];

  for (const model of report.drift ?? []) {
    for (const f of model.features ?? []) {
      groups.push({
        dimensions: { [d.modelVersion]: model.modelVersion, [d.feature]: f.feature },
        metrics: [
          ...present(m.featurePsi, 'None', f.psi),
          ...(f.servedRows > 0
            ? [{ name: m.featureNullShare, unit: 'None' as const, value: f.servedNullShare }]
            : []),
        ],
      });
    }
  }

  for (const f of report.weekOverWeek?.features ?? []) {
    const psi = present(m.featurePsiVsLastWeek, 'None', f.psi);
    if (psi.length > 0) groups.push({ dimensions: { [d.feature]: f.feature }, metrics: psi });
  }

  for (const c of report.shadowComparison ?? []) {
    groups.push({
      dimensions: { [d.modelVersion]: c.championVersion, [d.challenger]: c.challengerVersion },
      metrics: [
        ...present(m.shadowScorePsi, 'None', c.psi),
        ...present(m.shadowDisagreement, 'None', c.disagreementShare),
        ...present(m.shadowRankCorrelation, 'None', c.spearman),
      ],
    });
  }

  const stream = report.stream;
  if (stream) {
    service.push({ name: m.streamRecords, unit: 'Count', value: stream.records });
    const weekEarlier = report.recordsWeekEarlier;
    if (weekEarlier !== null && weekEarlier !== undefined && weekEarlier > 0) {
      service.push({ name: m.eventsVsLastWeek, unit: 'None', value: stream.records / weekEarlier });
    }
    let quarantined = 0;
    let late = 0;
    for (const entry of stream.setAside) {
      const isLate = entry.reason === 'late';
      if (isLate) late += entry.count;
      else quarantined += entry.count;
      groups.push({
        dimensions: { [d.rule]: entry.rule },
        metrics: [{ name: isLate ? m.lateRate : m.quarantineRate, unit: 'None', value: entry.rate }],
      });
    }
    const share = (n: number) => (stream.records > 0 ? n / stream.records : 0);
    service.push(
      { name: m.quarantineRate, unit: 'None', value: share(quarantined) },
      { name: m.lateRate, unit: 'None', value: share(late) },
    );
    for (const f of stream.fields) {
      groups.push({
        dimensions: { [d.field]: f.field },
        metrics: [
          { name: m.fieldNullRate, unit: 'None', value: f.nullRate },
          { name: m.fieldInvalidRate, unit: 'None', value: f.invalidRate },
        ],
      });
    }
  }
  groups.unshift({ dimensions: {}, metrics: service });
  return groups.filter((group) => group.metrics.length > 0);
}
