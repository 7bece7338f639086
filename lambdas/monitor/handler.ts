/**
 * Lambda entry point of the monitor function (an EventBridge schedule). Env: OFFLINE_BUCKET, FEATURE_LOG_PREFIX,
 * LABELS_PREFIX, RAW_ARCHIVE_PREFIX, SIDE_OUTPUT_BUCKET, QUARANTINE_PREFIX, LATE_PREFIX, QUALITY_WINDOW_MS,
 * SERVING_WINDOW_MS, LABEL_LOOKBACK_MS, WINDOW_LAG_MS, SERVING_THRESHOLD.
 */

import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { S3Client } from '@aws-sdk/client-s3';
import { parseModelDocument } from '../../adapters/model/embedded-model.js';
import type { MetricGroup } from '../../adapters/monitoring/report-metrics.js';
import { loadModelSource } from '../score/models.js';
import { usesCustomEndpoint } from '../shared/endpoints.js';
import { handlerAtColdStart } from '../shared/entry.js';
import { powertools } from '../shared/powertools.js';
import { loadSpec } from '../shared/spec.js';
import { readMonitorConfig } from './config.js';
import { createMonitorHandler } from './monitor-handler.js';
import type { TrainingDistributions } from './window-report.js';

const SERVICE = 'streamfeatures-monitor';

export const handler = handlerAtColdStart('monitor', () => {
  const config = readMonitorConfig(process.env);
  const spec = loadSpec();
  const models = loadModelSource();
  const training: TrainingDistributions = new Map(
    models.versions.map((version) => [
      version,
      parseModelDocument(models.document(version), `model ${version} (${models.where})`).featureDistributions,
    ]),
  );
  const { logger, metrics, tracer } = powertools(SERVICE);
  const client = tracer.captureAWSv3Client(new S3Client({ forcePathStyle: usesCustomEndpoint('s3') }));
  return createMonitorHandler({
    spec,
    client,
    config,
    training,
    logger,
    publish: (groups) => publishGroups(metrics, groups),
  });
});

/**
 * One EMF document per group: its dimensions beside Powertools' `service`, in the function's namespace.
 * Publishing clears the added dimensions (the default `service` stays), so one group's never reach another's.
 */
function publishGroups(metrics: Metrics, groups: readonly MetricGroup[]): void {
  const units = {
    None: MetricUnit.NoUnit,
    Count: MetricUnit.Count,
    Milliseconds: MetricUnit.Milliseconds,
  } as const;
  for (const group of groups) {
    if (Object.keys(group.dimensions).length > 0) metrics.addDimensions({ ...group.dimensions });
    for (const metric of group.metrics) metrics.addMetric(metric.name, units[metric.unit], metric.value);
    metrics.publishStoredMetrics();
  }
}
