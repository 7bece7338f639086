import { describe, expect, it } from 'vitest';
import { modelQuality } from '../../adapters/model/live-quality.js';
import type { VariantQuality } from '../../adapters/monitoring/quality-report.js';
import {
  type MetricGroup,
  type ReportFigures,
  reportMetrics,
} from '../../adapters/monitoring/report-metrics.js';
import type { MonitorReport } from '../../cli/monitor-command.js';
import type { StreamQuality } from '../../core/monitoring/index.js';

/** The CLI's report is what the mapping takes: `tsc` fails here when the two drift apart. */
const cliReportFits = (report: MonitorReport): ReportFigures => report;
void cliReportFits;

function variant(
  modelVersion: string,
  name: string,
  scores: number[],
  labels: (0 | 1)[],
  extra: Partial<VariantQuality> = {},
): VariantQuality {
  return {
    modelVersion,
    variant: name,
    predictions: scores.length + 2,
    labelCoverage: scores.length / (scores.length + 2),
    labelDelayP50Ms: 60_000,
    labelDelayP99Ms: 120_000,
    quality: modelQuality(scores, labels, 0.5),
    ...extra,
  };
}

function metricsOf(groups: MetricGroup[], dimensions: Record<string, string>): Record<string, number> {
  const group = groups.find((g) => JSON.stringify(g.dimensions) === JSON.stringify(dimensions));
  return Object.fromEntries((group?.metrics ?? []).map((m) => [m.name, m.value]));
}

const stream: StreamQuality = {
  records: 200,
  unreadable: 0,
  hours: [],
  setAside: [
    { reason: 'invalid', rule: 'time', count: 4, rate: 0.02 },
    { reason: 'future', rule: 'future', count: 2, rate: 0.01 },
    { reason: 'late', rule: 'late', count: 10, rate: 0.05 },
  ],
  fields: [{ field: 'amount', kind: 'number', nullRate: 0.1, invalidRate: 0.005 }],
};

describe('reportMetrics', () => {
  it('publishes each variant quality figure under its model version and variant', () => {
    // 3 positives, 3 negatives; scores rank 8 of the 9 positive/negative pairs right: AUC 8/9.
    const scores = [0.9, 0.8, 0.3, 0.6, 0.2, 0.1];
    const labels: (0 | 1)[] = [1, 1, 1, 0, 0, 0];
    const groups = reportMetrics({
      labels: { unmatched: 1, setAside: 2 },
      quality: [variant('m1', 'champion', scores, labels)],
    });
    const champion = metricsOf(groups, { ModelVersion: 'm1', Variant: 'champion' });
    expect(champion.RocAuc).toBeCloseTo(8 / 9, 12);
    // Mean score 0.48333 over the positive rate 0.5.
    expect(champion.CalibrationRatio).toBeCloseTo(2.9 / 6 / 0.5, 12);
    // At 0.5: flagged 0.9, 0.8, 0.6 (two positive); three positives.
    expect(champion.Precision).toBeCloseTo(2 / 3, 12);
    expect(champion.Recall).toBeCloseTo(2 / 3, 12);
    expect(champion.LabelCoverage).toBeCloseTo(6 / 8, 12);
    expect(champion.LabelDelayP50).toBe(60_000);
    expect(champion.LabelDelayP99).toBe(120_000);
    expect(champion.LabelsJoined).toBe(6);
    expect(champion.Predictions).toBe(8);
    expect(champion.PrAuc).toBeGreaterThan(0);
    expect(metricsOf(groups, {})).toEqual({ LabelsJoined: 6, LabelsSetAside: 2, LabelsUnmatched: 1 });
  });

  it('leaves out the figures a window cannot give, and still publishes 0 labels joined for an empty one', () => {
    const groups = reportMetrics({
      labels: { unmatched: 0, setAside: 0 },
      quality: [
        variant('m1', 'champion', [], [], {
          labelCoverage: null,
          labelDelayP50Ms: null,
          labelDelayP99Ms: null,
        }),
      ],
    });
    expect(metricsOf(groups, { ModelVersion: 'm1', Variant: 'champion' })).toEqual({
      LabelsJoined: 0,
      Predictions: 2,
    });
    expect(metricsOf(groups, {}).LabelsJoined).toBe(0);
    expect(reportMetrics({ labels: { unmatched: 0, setAside: 0 }, quality: [] })).toEqual([
      {
        dimensions: {},
        metrics: [
          { name: 'LabelsJoined', unit: 'Count', value: 0 },
          { name: 'LabelsSetAside', unit: 'Count', value: 0 },
          { name: 'LabelsUnmatched', unit: 'Count', value: 0 },
        ],
      },
    ]);
  });

  it('counts a shadow score apart from the labels joined overall', () => {
    const groups = reportMetrics({
      labels: { unmatched: 0, setAside: 0 },
      quality: [
        variant('m1', 'champion', [0.9, 0.1], [1, 0]),
        variant('m2', 'challenger', [0.7], [1]),
        variant('m3', 'shadow', [0.8, 0.2], [1, 0]),
      ],
    });
    expect(metricsOf(groups, {}).LabelsJoined).toBe(3);
    expect(metricsOf(groups, { ModelVersion: 'm3', Variant: 'shadow' }).LabelsJoined).toBe(2);
  });

  it('publishes PSI and null share per feature of each model, leaving out a PSI that could not be computed', () => {
    const groups = reportMetrics({
      labels: { unmatched: 0, setAside: 0 },
      quality: [],
      drift: [
        {
          modelVersion: 'm1',
          features: [
            {
              feature: 'card_amount_sum_1h',
              psi: 1.7,
              trainingNullShare: 0,
              servedNullShare: 0.25,
              servedRows: 4,
            },
            {
              feature: 'card_txn_count_10m',
              psi: null,
              trainingNullShare: 0,
              servedNullShare: 1,
              servedRows: 4,
            },
            { feature: 'never_served', psi: null, trainingNullShare: 0, servedNullShare: 0, servedRows: 0 },
          ],
        },
        { modelVersion: 'm0', features: null },
      ],
    });
    expect(metricsOf(groups, { ModelVersion: 'm1', Feature: 'card_amount_sum_1h' })).toEqual({
      FeaturePsi: 1.7,
      FeatureNullShare: 0.25,
    });
    expect(metricsOf(groups, { ModelVersion: 'm1', Feature: 'card_txn_count_10m' })).toEqual({
      FeatureNullShare: 1,
    });
    expect(groups.some((g) => g.dimensions.Feature === 'never_served')).toBe(false);
  });

  it('publishes volume against last week, quarantine and late shares overall and by rule, and field rates', () => {
    const groups = reportMetrics({
      labels: { unmatched: 0, setAside: 0 },
      quality: [],
      stream,
      recordsWeekEarlier: 400,
    });
    expect(metricsOf(groups, {})).toMatchObject({
      StreamRecords: 200,
      EventsVsLastWeek: 0.5,
      QuarantineRate: 6 / 200,
      LateRate: 10 / 200,
    });
    expect(metricsOf(groups, { Rule: 'time' })).toEqual({ QuarantineRate: 0.02 });
    expect(metricsOf(groups, { Rule: 'future' })).toEqual({ QuarantineRate: 0.01 });
    expect(metricsOf(groups, { Rule: 'late' })).toEqual({ LateRate: 0.05 });
    expect(metricsOf(groups, { Field: 'amount' })).toEqual({ FieldNullRate: 0.1, FieldInvalidRate: 0.005 });
  });

  it('gives EventsVsLastWeek 0 for an outage, and none when a week earlier is not archived or was empty', () => {
    const outage = { ...stream, records: 0, setAside: [] };
    const at = (recordsWeekEarlier: number | null) =>
      metricsOf(
        reportMetrics({
          labels: { unmatched: 0, setAside: 0 },
          quality: [],
          stream: outage,
          recordsWeekEarlier,
        }),
        {},
      ).EventsVsLastWeek;
    expect(at(120)).toBe(0);
    expect(at(null)).toBeUndefined();
    expect(at(0)).toBeUndefined();
  });
  it('publishes PSI against last week per feature, and a shadow challenger against its champion', () => {
    const groups = reportMetrics({
      labels: { unmatched: 0, setAside: 0 },
      quality: [],
      weekOverWeek: {
        window: { from: null, to: null },
        earlierWindow: { from: null, to: null },
        requests: 10,
        earlierRequests: 10,
        features: [
          {
            feature: 'card_amount_sum_1h',
            psi: 0.8,
            earlierNullShare: 0,
            servedNullShare: 0,
            earlierRows: 10,
            servedRows: 10,
          },
          {
            feature: 'card_last_country_7d',
            psi: null,
            earlierNullShare: 0,
            servedNullShare: 0,
            earlierRows: 10,
            servedRows: 10,
          },
        ],
      },
      shadowComparison: [
        {
          championVersion: 'm1',
          challengerVersion: 'm2',
          requests: 4,
          psi: 0.3,
          threshold: 0.5,
          disagreements: 1,
          disagreementShare: 0.25,
          championFlagged: 1,
          challengerFlagged: 2,
          spearman: null,
        },
      ],
    });
    expect(metricsOf(groups, { Feature: 'card_amount_sum_1h' })).toEqual({ FeaturePsiVsLastWeek: 0.8 });
    expect(groups.some((g) => g.dimensions.Feature === 'card_last_country_7d')).toBe(false);
    expect(metricsOf(groups, { ModelVersion: 'm1', Challenger: 'm2' })).toEqual({
      ShadowScorePsi: 0.3,
      ShadowDisagreement: 0.25,
    });
  });
});
