import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { Spec } from '../core/index.js';
import { allow } from './defaults.js';
import { throwIfProblems } from './errors.js';
import { EventStream, type EventStreamProps, eventStreamProblems } from './event-stream.js';
import { S3FailureDestination } from './failure-destinations.js';
import {
  DEFAULT_BATCH_SIZE,
  DEFAULT_MAX_BATCHING_WINDOW,
  DEFAULT_MAX_RECORD_AGE,
  DEFAULT_RETRY_ATTEMPTS,
  grantStreamRead,
  withReadGrant,
} from './feature-computer.js';
import { allowKeyVia } from './key-grants.js';
import {
  type LabelBufferingOptions,
  LabelDelivery,
  labelDeliveryProblems,
  STREAM_LABELS_PREFIX,
} from './label-delivery.js';
import type { Monitoring } from './monitoring.js';
import { acknowledgeWildcardResources } from './nag.js';
import { above, esmMetric, graph, handlerMetric } from './pipeline-metrics.js';
import { StreamfeaturesFunction, type StreamfeaturesFunctionProps } from './streamfeatures-function.js';

/** Where records of the labels stream that are not labels go, in the side-output bucket (with their reason). */
export const LABELS_QUARANTINE_PREFIX = 'labels-quarantine/';
/** How long a new side-output bucket keeps them: as long as the events' quarantine. */
const LABELS_QUARANTINE_RETENTION = Duration.days(90);

export interface LabelsStreamProps extends LabelBufferingOptions {
  readonly spec: Spec;
  /**
   * The stream's capacity, retention and key (lib/event-stream.ts); the pipeline passes the events stream's.
   * @default - on-demand, 24 hours, a new customer-managed key
   */
  readonly stream?: Omit<EventStreamProps, 'existingStreamObj' | 'streamProps'>;
  /** The offline-store bucket and its key: the labels land under `labels/stream/`. */
  readonly offlineBucket: s3.IBucket;
  readonly offlineKey: kms.IKey;
  /** The side-output bucket (and its key, when SSE-KMS): records that are not labels, failed batches. */
  readonly sideOutputBucket: s3.IBucket;
  readonly sideOutputKey?: kms.IKey;
  /**
   * Powertools service name.
   * @default - `<stack name>-labels-stream`
   */
  readonly serviceName?: string;
  /** @default logs.RetentionDays.TWO_WEEKS */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Overrides of the function's properties, merged over the defaults (512 MB, 30 s).
   * @default - none
   */
  readonly functionProps?: StreamfeaturesFunctionProps['functionProps'];
}

/** Every problem with the props, each naming the bad value. */
export function labelsStreamProblems(props: Pick<LabelsStreamProps, 'stream' | keyof LabelBufferingOptions>) {
  return [...eventStreamProblems(props.stream ?? {}), ...labelDeliveryProblems(props)];
}

/**
 * Delayed labels through Kinesis, for producers that already speak it: a Kinesis stream of their own (one label,
 * the monitor's line format, per record), a function on it that checks each with the same rules as `POST /labels`,
 * and a Firehose delivery stream that writes the good ones under the offline bucket's `labels/stream/`, where the
 * monitoring job and `streamfeatures monitor` read them. Records that are not labels go to the side-output bucket
 * under `labels-quarantine/` with their reason; a batch that cannot be delivered is retried (bisected) and then
 * kept whole at the on-failure destination, as the features mapping does.
 */
export class LabelsStream extends Construct {
  public readonly stream: EventStream;
  public readonly delivery: LabelDelivery;
  public readonly handler: StreamfeaturesFunction;
  public readonly function: lambda.IFunction;
  public readonly eventSource: sources.KinesisEventSource;
  public readonly eventSourceMappingId: string;
  public readonly serviceName: string;

  constructor(scope: Construct, id: string, props: LabelsStreamProps) {
    super(scope, id);
    throwIfProblems(this, labelsStreamProblems(props));
    this.serviceName = props.serviceName ?? `${Stack.of(this).stackName}-labels-stream`;
    this.stream = new EventStream(this, 'Stream', props.stream);
    this.delivery = new LabelDelivery(this, 'Delivery', {
      bucket: props.offlineBucket,
      encryptionKey: props.offlineKey,
      prefix: STREAM_LABELS_PREFIX,
      bufferInterval: props.bufferInterval,
      bufferSize: props.bufferSize,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    this.handler = new StreamfeaturesFunction(this, 'Handler', {
      bundle: 'labels-stream',
      spec: props.spec,
      serviceName: this.serviceName,
      wiring: {
        DELIVERY_STREAM_NAME: this.delivery.deliveryStreamName,
        SIDE_OUTPUT_BUCKET: props.sideOutputBucket.bucketName,
        QUARANTINE_PREFIX: LABELS_QUARANTINE_PREFIX,
      },
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      functionProps: props.functionProps,
    });
    this.function = this.handler.function;
    this.grantAccess(props);

    const stream = this.stream.stream;
    this.eventSource = new sources.KinesisEventSource(
      withReadGrant(stream, (grantee) => grantStreamRead(stream, grantee)),
      {
        // The stream is new with the mapping: labels put before the mapping first polls are read, not skipped.
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        // 500: one PutRecordBatch's worth.
        batchSize: DEFAULT_BATCH_SIZE,
        maxBatchingWindow: DEFAULT_MAX_BATCHING_WINDOW,
        retryAttempts: DEFAULT_RETRY_ATTEMPTS,
        maxRecordAge: DEFAULT_MAX_RECORD_AGE,
        parallelizationFactor: 1,
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        onFailure: new S3FailureDestination(props.sideOutputBucket, props.sideOutputKey),
        metricsConfig: { metrics: [lambda.MetricType.EVENT_COUNT] },
      },
    );
    this.function.addEventSource(this.eventSource);
    this.eventSourceMappingId = this.eventSource.eventSourceMappingId;
    // A side-output bucket the app made expires its quarantine; one brought keeps its own rules.
    if (props.sideOutputBucket instanceof s3.Bucket) {
      props.sideOutputBucket.addLifecycleRule({
        id: 'expire-labels-quarantine',
        prefix: LABELS_QUARANTINE_PREFIX,
        expiration: LABELS_QUARANTINE_RETENTION,
      });
    }
  }

  /** Reads its stream (the mapping's grant), puts to its delivery stream, writes its quarantine prefix only. */
  private grantAccess(props: LabelsStreamProps): void {
    const role = this.handler.role;
    this.delivery.grantPutRecordBatch(role);
    const quarantine = props.sideOutputBucket.arnForObjects(`${LABELS_QUARANTINE_PREFIX}*`);
    allow(role, ['s3:PutObject'], [quarantine]);
    acknowledgeWildcardResources(
      role,
      [quarantine],
      'Quarantine objects are named per batch (dt=/hour=/shard-sequence range): PutObject is limited to the ' +
        'labels-quarantine/ prefix of the side-output bucket.',
    );
    if (props.sideOutputKey) allowKeyVia(role, props.sideOutputKey, ['kms:GenerateDataKey'], 's3');
  }

  /**
   * Its alarms on the pipeline's alarm topic and a dashboard row: the stream's iterator age, batches kept at the
   * on-failure destination, records set aside. (The function's errors and the delivery stream's are watched
   * with the pipeline's other functions and datasets, under the name `LabelsStream`.)
   */
  watch(monitoring: Monitoring, iteratorAgeMinutes: number): void {
    const iteratorAge = this.function.metric('IteratorAge', {
      statistic: 'Maximum',
      period: Duration.minutes(1),
    });
    monitoring.alarm(
      'LabelsStreamIteratorAge',
      iteratorAge,
      above(
        iteratorAgeMinutes * 60_000,
        3,
        `The labels-stream Lambda is over ${iteratorAgeMinutes} min behind the labels stream.`,
      ),
    );
    const arrivals = esmMetric(this.eventSourceMappingId, 'OnFailureDestinationDeliveredEventCount');
    monitoring.alarm(
      'LabelsStreamFailureDestinationArrivals',
      arrivals,
      above(
        0,
        1,
        'Labels reached the on-failure destination (aws/lambda/ in the side-output bucket): none was ' +
          'delivered. Put them on the labels stream again.',
      ),
    );
    const quarantined = handlerMetric(this.serviceName, 'LabelsQuarantined');
    monitoring.alarm(
      'LabelsStreamQuarantined',
      quarantined,
      above(0, 1, `Records on the labels stream are not labels: they are under ${LABELS_QUARANTINE_PREFIX}.`),
    );
    const own = [
      'LabelsStreamIteratorAge',
      'LabelsStreamFailureDestinationArrivals',
      'LabelsStreamQuarantined',
    ];
    monitoring.dashboard.addWidgets(
      // The dashboard's Alarms widget is built with the pipeline's own; these get a status row of theirs.
      new cloudwatch.AlarmStatusWidget({
        title: 'Labels stream alarms',
        alarms: own.map((name) => monitoring.alarms[name] as cloudwatch.Alarm),
        width: 6,
      }),
      graph('Labels stream: iterator age (ms, max)', [iteratorAge]),
      graph('Labels stream: labels', [
        handlerMetric(this.serviceName, 'LabelsAccepted'),
        quarantined,
        handlerMetric(this.serviceName, 'LabelErrors'),
        arrivals,
      ]),
    );
  }
}
