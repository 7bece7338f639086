import { Stack } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { Spec } from '../core/index.js';
import { allow } from './defaults.js';
import { throwIfProblems } from './errors.js';
import { type HttpApiOptions, httpApiOptionsOf, httpApiProblems, LambdaHttpApi } from './http-api.js';
import { allowKeyVia } from './key-grants.js';
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
   * Overrides of the function's properties, merged over the defaults (512 MB, 30 s).
   * @default - none
   */
  readonly functionProps?: StreamfeaturesFunctionProps['functionProps'];
}

/** `POST /events`: puts the request's events on the stream, for producers that speak HTTP rather than Kinesis. */
export class IngestApi extends Construct {
  public readonly handler: StreamfeaturesFunction;
  public readonly function: lambda.IFunction;
  public readonly http: LambdaHttpApi;
  public readonly serviceName: string;

  constructor(scope: Construct, id: string, props: IngestApiProps) {
    super(scope, id);
    throwIfProblems(this, httpApiProblems(props));
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
  }
}
