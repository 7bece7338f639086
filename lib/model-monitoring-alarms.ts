/**
 * The monitoring job's alarms, to the alarm topic, each with the schedule's period: the champion's quality (AUC
 * floor, calibration) and drift per feature it was trained on, labels stopped, volume against last week, and the
 * job's own errors. No quarantine alarm: the job publishes QuarantineRate by rule for the dashboard, but the
 * pipeline's QuarantineRate alarm (lib/monitoring.ts) watches the same share from the features function's own
 * counts, every 5 minutes and without waiting for the side-output files: one problem pages once.
 */
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { MONITOR_DIMENSIONS, MONITOR_METRICS } from '../adapters/monitoring/report-metrics.js';
import type { MonitorMetrics } from './model-monitoring-metrics.js';
import { LABELS_PREFIX, type ResolvedMonitoringSettings } from './model-monitoring-settings.js';

export interface MonitoringAlarmsInput {
  readonly metrics: MonitorMetrics;
  readonly topic: sns.ITopic;
  /** The monitor function's errors. */
  readonly jobErrors: cloudwatch.IMetric;
  /** The champion's version in the log: its quality and drift alarms need it. @default - none of those */
  readonly champion?: string;
  /** The features the champion was trained on with distributions: one drift alarm each. */
  readonly driftFeatures: readonly string[];
  readonly settings: ResolvedMonitoringSettings;
}

type AlarmOptions = {
  threshold: number;
  periods: number;
  comparison: cloudwatch.ComparisonOperator;
  missing: cloudwatch.TreatMissingData;
  description: string;
};

/** Every alarm, by a stable name (drift alarms as `FeatureDrift-<feature>`), created in `scope`. */
export function monitoringAlarms(
  scope: Construct,
  input: MonitoringAlarmsInput,
): Record<string, cloudwatch.Alarm> {
  const { metrics, settings: s, champion } = input;
  const m = MONITOR_METRICS;
  const { GREATER_THAN_THRESHOLD: above, LESS_THAN_THRESHOLD: below } = cloudwatch.ComparisonOperator;
  const { NOT_BREACHING: quiet, BREACHING: breaching } = cloudwatch.TreatMissingData;
  const action = new SnsAction(input.topic);
  const alarms: Record<string, cloudwatch.Alarm> = {};
  const alarm = (name: string, metric: cloudwatch.IMetric, options: AlarmOptions) => {
    const created = new cloudwatch.Alarm(scope, `${name}Alarm`, {
      metric,
      threshold: options.threshold,
      evaluationPeriods: options.periods,
      datapointsToAlarm: options.periods,
      comparisonOperator: options.comparison,
      treatMissingData: options.missing,
      alarmDescription: options.description,
    });
    created.addAlarmAction(action);
    created.addOkAction(action);
    alarms[name] = created;
  };

  if (champion !== undefined) {
    const d = MONITOR_DIMENSIONS;
    const championDims = { [d.modelVersion]: champion, [d.variant]: 'champion' };
    alarm('ModelAuc', metrics.metric(m.rocAuc, 'Minimum', championDims), {
      threshold: s.aucFloor,
      periods: 2,
      comparison: below,
      missing: quiet,
      description:
        `The champion ${champion}'s ROC AUC on the last window's labels is below ${s.aucFloor} for two runs. ` +
        'No labels means no AUC: the LabelsStopped alarm covers that.',
    });
    alarm(
      'ModelCalibration',
      new cloudwatch.MathExpression({
        label: 'calibration off by (x)',
        // The ratio above 1, or its inverse below: one threshold for over- and under-predicting.
        expression: 'IF(r >= 1, r, 1/r)',
        usingMetrics: { r: metrics.metric(m.calibrationRatio, 'Average', championDims) },
        period: metrics.period,
      }),
      {
        threshold: s.calibrationFactor,
        periods: 2,
        comparison: above,
        missing: quiet,
        description: `The champion's mean score is off the observed positive rate by over ${s.calibrationFactor}x.`,
      },
    );
    // One alarm per feature: its name says which feature moved, a metric-math alarm takes at most 10 metrics
    // (the fraud model reads 15), and each alarm costs as one metric would in any case.
    for (const feature of input.driftFeatures) {
      alarm(`FeatureDrift-${feature}`, metrics.psiOf(champion, feature), {
        threshold: s.psiThreshold,
        periods: 2,
        comparison: above,
        missing: quiet,
        description: `${feature} served to ${champion} has drifted from training: PSI above ${s.psiThreshold}.`,
      });
    }
  }
  alarm('LabelsStopped', metrics.metric(m.labelsJoined, 'Maximum'), {
    threshold: 1,
    periods: s.labelsMissingPeriods,
    comparison: below,
    // A job that does not run publishes nothing: that is no label either.
    missing: breaching,
    description:
      `No delayed label has joined a logged prediction for ${s.labelsMissingPeriods} runs: labels stopped ` +
      `arriving under s3://<OfflineBucket>/${LABELS_PREFIX}, or the job stopped.`,
  });
  alarm('VolumeVsLastWeek', metrics.metric(m.eventsVsLastWeek, 'Minimum'), {
    threshold: s.volumeRatio,
    periods: 2,
    comparison: below,
    missing: quiet,
    description: `Under ${s.volumeRatio * 100}% of last week's records arrived in the same window: producers?`,
  });
  alarm('MonitorJobErrors', input.jobErrors, {
    threshold: 0,
    periods: 1,
    comparison: above,
    missing: quiet,
    description: 'A monitoring run failed: its metrics are missing (the function log names the object).',
  });
  return alarms;
}
