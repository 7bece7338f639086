/**
 * The pipeline's props checked before anything is built: the spec, then every problem at once, each at the path of
 * the construct it belongs to.
 */
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type { Construct } from 'constructs';
import { parseSpec, type Spec, SpecError } from '../core/index.js';
import { atPath, InvalidPropsError, ignoredWith, quote } from './errors.js';
import { DEFAULT_STREAM_RETENTION, eventStreamProblems } from './event-stream.js';
import { DEFAULT_MAX_RECORD_AGE, featureComputerProblems } from './feature-computer.js';
import {
  type FeaturePipelineProps,
  featureComputerSettingsOf,
  type SpecSource,
  streamPropsOf,
} from './feature-pipeline-props.js';
import { httpApiProblems } from './http-api.js';
import { modelMonitoringProblems } from './model-monitoring.js';
import { monitoringProblems } from './monitoring.js';
import { offlineStoreProblems } from './offline-store.js';
import { onlineStoreProblems } from './online-store.js';
import { scoringApiProblems } from './scoring-api.js';

/** The spec, normalized; a spec that does not validate fails at the pipeline's path with every problem. */
export function specOf(scope: Construct, source: SpecSource): Spec {
  const input =
    typeof (source as { build?: unknown }).build === 'function'
      ? (source as { toJSON(): unknown }).toJSON()
      : source;
  try {
    return parseSpec(input, 'props.spec');
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    throw new InvalidPropsError(
      atPath(
        scope,
        error.issues.map((issue) => `spec: ${issue}`),
      ),
    );
  }
}

/**
 * Every problem with the props before anything is built: the pipeline's own (props an existing resource leaves
 * without effect, the record age against the stream's retention), then each construct's, at its path.
 */
export function pipelineProblems(pipeline: Construct, props: FeaturePipelineProps): string[] {
  const own: string[] = [];
  if (props.existingStreamObj) {
    own.push(...ignoredWith('existingStreamObj', props, ['streamMode', 'shardCount', 'streamRetention']));
  }
  if (!props.existingOfflineBucketObj && props.existingOfflineBucketKey !== undefined) {
    own.push(
      `existingOfflineBucketKey applies only with existingOfflineBucketObj (got ${quote(props.existingOfflineBucketKey)} without it)`,
    );
  }
  if (props.existingOfflineBucketObj && !props.existingOfflineBucketKey) {
    own.push(
      'existingOfflineBucketKey is required with existingOfflineBucketObj (the key that encrypts the bucket)',
    );
  }
  if (!props.existingStreamObj) {
    const retention = (props.streamRetention ?? DEFAULT_STREAM_RETENTION).toSeconds({ integral: false });
    const maxRecordAge = (props.maxRecordAge ?? DEFAULT_MAX_RECORD_AGE).toSeconds({ integral: false });
    if (maxRecordAge > retention) {
      own.push(
        `maxRecordAge must not exceed streamRetention (got ${maxRecordAge} s against ${retention} s): records ` +
          'that expire from the stream are lost without reaching the on-failure destination',
      );
    }
  }
  if (props.stage !== undefined && props.stage !== 'dev' && props.stage !== 'prod') {
    own.push(`stage must be "dev" or "prod" (got ${quote(props.stage)})`);
  }
  const path = (child: string) => `${pipeline.node.path}/${child}`;
  const api = { auth: props.apiAuth, throttleRate: props.throttleRate, throttleBurst: props.throttleBurst };
  return [
    ...atPath(pipeline, own),
    ...atPath(path('Stream'), eventStreamProblems(streamPropsOf(props, undefined))),
    ...atPath(path('OnlineStore'), onlineStoreProblems({ existingTableObj: props.existingTableObj })),
    ...atPath(
      path('OfflineStore'),
      offlineStoreProblems({
        format: props.offlineFormat,
        bufferInterval: props.offlineBufferInterval,
        bufferSize: props.offlineBufferSize,
      }),
    ),
    ...atPath(
      path('FeatureComputer'),
      featureComputerProblems({
        ...featureComputerSettingsOf(props),
        ...(props.existingStreamObj && !(props.existingStreamObj instanceof kinesis.Stream)
          ? { stream: props.existingStreamObj }
          : {}),
      }),
    ),
    ...atPath(
      path('ScoringApi'),
      scoringApiProblems({
        model: props.model,
        modelVersion: props.modelVersion,
        challenger: props.challenger,
        ...api,
      }),
    ),
    ...(props.ingestApi ? atPath(path('IngestApi'), httpApiProblems(api)) : []),
    ...(props.ingestLabels === true && !props.ingestApi
      ? [
          `${path('IngestApi')}: ingestLabels: true needs ingestApi: true (POST /labels is a route of the ingest API; got ingestApi ${quote(props.ingestApi)})`,
        ]
      : []),
    ...(props.labelsStream === undefined || typeof props.labelsStream === 'boolean'
      ? []
      : [`${path('LabelsStream')}: labelsStream must be true or false (got ${quote(props.labelsStream)})`]),
    // The labels stream's capacity and retention are the events stream's, checked at its path above.
    ...atPath(
      path('Monitoring'),
      monitoringProblems({ thresholds: props.alarmThresholds, alarmEmail: props.alarmEmail }),
    ),
    ...atPath(path('ModelMonitoring'), modelMonitoringPropProblems(props)),
  ];
}

/** The monitoring job's prop: a switch or settings. */
function modelMonitoringPropProblems(props: FeaturePipelineProps): string[] {
  const value = props.modelMonitoring;
  if (value === undefined || value === false) return [];
  if (value !== true && (typeof value !== 'object' || value === null)) {
    return [`modelMonitoring must be true, false or settings (got ${quote(value)})`];
  }
  return value === true ? [] : modelMonitoringProblems(value);
}
