import type { RemovalPolicy } from 'aws-cdk-lib';
import { Duration, Stack } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Spec } from '../core/index.js';
import { allow } from './defaults.js';
import { InvalidPropsError } from './errors.js';
import { type ApiAuth, LambdaHttpApi } from './http-api.js';
import type { OfflineDataset } from './offline-dataset.js';
import { StreamfeaturesFunction, type StreamfeaturesFunctionProps } from './streamfeatures-function.js';

/** The model the scoring Lambda calls: in its own bundle, or a SageMaker real-time endpoint. */
export type ModelBackend =
  | { readonly backend: 'embedded' }
  | {
      readonly backend: 'sagemaker';
      readonly endpointName: string;
      /** @default 300 */
      readonly timeoutMs?: number;
      /** On a SageMaker error or timeout: the embedded model answers, or the request fails. @default 'embedded' */
      readonly fallback?: 'embedded' | 'error';
    };

export interface ScoringApiProps {
  readonly spec: Spec;
  readonly table: dynamodb.ITable;
  /**
   * Where each scored request is logged.
   * @default - no feature log
   */
  readonly featureLog?: OfflineDataset;
  /**
   * The model.
   * @default { backend: 'embedded' }
   */
  readonly model?: ModelBackend;
  /**
   * How callers authenticate.
   * @default { type: 'iam' }
   */
  readonly auth?: ApiAuth;
  /** @default 100 */
  readonly throttleRate?: number;
  /** @default 200 */
  readonly throttleBurst?: number;
  /**
   * Powertools service name.
   * @default - `<stack name>-score`
   */
  readonly serviceName?: string;
  /** @default logs.RetentionDays.TWO_WEEKS */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Overrides of the function's properties, merged over the defaults (512 MB; timeout 10 s, or the model
   * timeout plus 5 s, at most 29 s).
   * @default - none
   */
  readonly functionProps?: StreamfeaturesFunctionProps['functionProps'];
}

/** `POST /score`: the freshest features of the request's entities, scored by the model. */
export class ScoringApi extends Construct {
  public readonly handler: StreamfeaturesFunction;
  public readonly function: lambda.IFunction;
  public readonly http: LambdaHttpApi;
  public readonly serviceName: string;

  constructor(scope: Construct, id: string, props: ScoringApiProps) {
    super(scope, id);
    const model = props.model ?? { backend: 'embedded' };
    const timeoutMs = model.backend === 'sagemaker' ? (model.timeoutMs ?? 300) : 300;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 10 || timeoutMs > 25_000) {
      throw new InvalidPropsError(`model timeoutMs must be 10 to 25000 (got ${timeoutMs})`);
    }
    if (model.backend === 'sagemaker' && !/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(model.endpointName)) {
      throw new InvalidPropsError(
        `model endpointName must be a SageMaker endpoint name (got ${JSON.stringify(model.endpointName)})`,
      );
    }
    this.serviceName = props.serviceName ?? `${Stack.of(this).stackName}-score`;
    this.handler = new StreamfeaturesFunction(this, 'Handler', {
      entry: 'lambdas/score/handler.ts',
      spec: props.spec,
      serviceName: this.serviceName,
      wiring: {
        TABLE_NAME: props.table.tableName,
        MODEL_BACKEND: model.backend,
        MODEL_TIMEOUT_MS: String(timeoutMs),
        ...(model.backend === 'sagemaker'
          ? { SAGEMAKER_ENDPOINT_NAME: model.endpointName, MODEL_FALLBACK: model.fallback ?? 'embedded' }
          : {}),
        ...(props.featureLog ? { FEATURE_LOG_STREAM: props.featureLog.deliveryStreamName } : {}),
      },
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      functionProps: {
        timeout: Duration.seconds(Math.min(29, Math.max(10, Math.ceil(timeoutMs / 1000) + 5))),
        ...props.functionProps,
      },
    });
    this.function = this.handler.function;

    // Read only: the scoring path never writes the online store.
    const role = this.handler.role;
    allow(role, ['dynamodb:GetItem', 'dynamodb:BatchGetItem'], [props.table.tableArn]);
    if (props.table.encryptionKey) {
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt', 'kms:DescribeKey'],
          resources: [props.table.encryptionKey.keyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` },
          },
        }),
      );
    }
    props.featureLog?.grantPutRecords(role);
    if (model.backend === 'sagemaker') {
      // SageMaker spells endpoint names in lower case in ARNs.
      allow(
        role,
        ['sagemaker:InvokeEndpoint'],
        [
          Stack.of(this).formatArn({
            service: 'sagemaker',
            resource: 'endpoint',
            resourceName: model.endpointName.toLowerCase(),
          }),
        ],
      );
    }

    this.http = new LambdaHttpApi(this, 'Http', {
      handler: this.function,
      routes: [{ method: apigwv2.HttpMethod.POST, path: '/score' }],
      auth: props.auth,
      throttleRate: props.throttleRate,
      throttleBurst: props.throttleBurst,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
  }
}
