import { Stack } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { Spec } from '../core/index.js';
import { allow } from './defaults.js';
import { throwIfProblems } from './errors.js';
import { type HttpApiOptions, httpApiOptionsOf, httpApiProblems, LambdaHttpApi } from './http-api.js';
import { allowKeyVia } from './key-grants.js';
import { type LabelBufferingOptions, LabelDelivery, labelDeliveryProblems } from './label-delivery.js';
import { acknowledgeControl } from './policy-acknowledgements.js';
import { StreamfeaturesFunction, type StreamfeaturesFunctionProps } from './streamfeatures-function.js';

/** Also the HTTP API's settings (auth, throttling, log retention): lib/http-api.ts. */
export interface IngestApiProps extends HttpApiOptions {
  readonly spec: Spec;
  readonly stream: kinesis.IStream;
  /**
   * Powertools service name.
   * @default - `<stack name>-ingest`
   */
  readonly serviceName?: string;
  /**
   * Overrides of the functions' properties (the events function's, and the labels function's with `labels`),
   * merged over the defaults (512 MB, 30 s).
   * @default - none
   */
  readonly functionProps?: StreamfeaturesFunctionProps['functionProps'];
  /**
   * Also take delayed labels: `POST /labels` checks them with the monitor's rules and a Firehose delivery stream
   * writes them to the offline bucket under `labels/api/`, where the monitoring job and `streamfeatures monitor`
   * read them. Its own function, so the events route's bundle and permissions stay as they are.
   * @default - no labels route
   */
  readonly labels?: IngestLabelsOptions;
}

/** Where `POST /labels` delivers: the offline store's bucket and key, and the delivery stream's buffering. */
export interface IngestLabelsOptions extends LabelBufferingOptions {
  readonly bucket: s3.IBucket;
  readonly encryptionKey: kms.IKey;
  /**
   * Powertools service name of the labels function.
   * @default - `<stack name>-labels`
   */
  readonly serviceName?: string;
}

/**
 * `POST /events`: puts the request's events on the stream, for producers that speak HTTP rather than Kinesis;
 * with `labels`, `POST /labels` too: delayed labels to the offline bucket's `labels/` prefix.
 */
export class IngestApi extends Construct {
  public readonly handler: StreamfeaturesFunction;
  public readonly function: lambda.IFunction;
  public readonly http: LambdaHttpApi;
  public readonly serviceName: string;
  /** With `labels`: the function behind `POST /labels`, and the delivery stream it puts them to. */
  public readonly labelsHandler?: StreamfeaturesFunction;
  public readonly labelDelivery?: LabelDelivery;

  constructor(scope: Construct, id: string, props: IngestApiProps) {
    super(scope, id);
    throwIfProblems(this, [
      ...httpApiProblems(props),
      ...(props.labels ? labelDeliveryProblems(props.labels) : []),
    ]);
    this.serviceName = props.serviceName ?? `${Stack.of(this).stackName}-ingest`;
    this.handler = new StreamfeaturesFunction(this, 'Handler', {
      bundle: 'ingest',
      spec: props.spec,
      serviceName: this.serviceName,
      wiring: { STREAM_NAME: props.stream.streamName },
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      functionProps: props.functionProps,
    });
    this.function = this.handler.function;
    allow(this.handler.role, ['kinesis:PutRecord', 'kinesis:PutRecords'], [props.stream.streamArn]);
    if (props.stream.encryptionKey) {
      // Kinesis encrypts the records with the caller's data key: through Kinesis only.
      allowKeyVia(this.handler.role, props.stream.encryptionKey, ['kms:GenerateDataKey'], 'kinesis');
    }
    this.http = new LambdaHttpApi(this, 'Http', {
      handler: this.function,
      routes: [{ method: apigwv2.HttpMethod.POST, path: '/events' }],
      ...httpApiOptionsOf(props),
    });
    if (props.labels) {
      const labels = this.addLabelsRoute(props, props.labels);
      this.labelsHandler = labels.handler;
      this.labelDelivery = labels.delivery;
    }
  }

  /** The labels function and its delivery stream, behind `POST /labels` on the same API (same auth, same stage). */
  private addLabelsRoute(
    props: IngestApiProps,
    labels: IngestLabelsOptions,
  ): { handler: StreamfeaturesFunction; delivery: LabelDelivery } {
    const delivery = new LabelDelivery(this, 'LabelDelivery', {
      bucket: labels.bucket,
      encryptionKey: labels.encryptionKey,
      bufferInterval: labels.bufferInterval,
      bufferSize: labels.bufferSize,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    const handler = new StreamfeaturesFunction(this, 'LabelsHandler', {
      bundle: 'labels',
      spec: props.spec,
      serviceName: labels.serviceName ?? `${Stack.of(this).stackName}-labels`,
      wiring: { DELIVERY_STREAM_NAME: delivery.deliveryStreamName },
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      functionProps: props.functionProps,
    });
    delivery.grantPutRecordBatch(handler.role);
    const routes = this.http.api.addRoutes({
      path: '/labels',
      methods: [apigwv2.HttpMethod.POST],
      integration: new HttpLambdaIntegration('LabelsIntegration', handler.function),
    });
    for (const route of routes) {
      acknowledgeControl(
        route,
        'CT.LAMBDA.PR.2',
        "Not public: API Gateway may invoke the function only for this API's routes (SourceArn is the API's " +
          'execute-api ARN, an Fn::Join the rule does not read).',
      );
    }
    this.http.routes.push(...routes);
    return { handler, delivery };
  }
}
