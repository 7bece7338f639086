import { Duration, Stack } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { Spec } from '../core/index.js';
import { allow } from './defaults.js';
import { InvalidPropsError } from './errors.js';
import { type HttpApiOptions, httpApiOptionsOf, LambdaHttpApi } from './http-api.js';
import { type BuiltInModels, modelsToBuildIn } from './model-registry.js';
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

/** The challenger's model: an embedded version from the same registry, or a SageMaker endpoint. */
export type ChallengerModel =
  | { readonly version: string; readonly endpointName?: undefined }
  | {
      readonly endpointName: string;
      readonly version?: undefined;
      /** Give up on the endpoint after this long. @default 300 */
      readonly timeoutMs?: number;
    };

/**
 * A second model beside the first. `shadow`: the first answers every request and the challenger scores the same
 * features beside it, for the feature log only. `split`: the challenger answers `weight` of the entity keys (a
 * hash of the key assigns each key to one model for good) and the first answers the rest.
 */
export type Challenger =
  | ({ readonly mode: 'shadow' } & ChallengerModel)
  | ({
      readonly mode: 'split';
      /** The share of requests the challenger answers, above 0 and below 1. */
      readonly weight: number;
    } & ChallengerModel);

/** Also the HTTP API's settings (auth, throttling, log retention): lib/http-api.ts. */
export interface ScoringApiProps extends HttpApiOptions {
  readonly spec: Spec;
  readonly table: dynamodb.ITable;
  /**
   * The model registry: a directory of model documents `<version>.json` (a relative path resolves from the
   * working directory, the project root under `cdk`).
   */
  readonly modelRegistry: string;
  /**
   * The version in `modelRegistry` compiled into the function: the model with backend `embedded`, the fallback
   * with `sagemaker`. Synth fails when the registry lacks it.
   */
  readonly modelVersion: string;
  /**
   * A challenger model, in shadow or split mode.
   * @default - none
   */
  readonly challenger?: Challenger;
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
   * Powertools service name.
   * @default - `<stack name>-score`
   */
  readonly serviceName?: string;
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
  /** The model documents compiled into the function: the model, and an embedded challenger. */
  public readonly models: BuiltInModels;

  constructor(scope: Construct, id: string, props: ScoringApiProps) {
    super(scope, id);
    const model = props.model ?? { backend: 'embedded' };
    const timeoutMs = model.backend === 'sagemaker' ? (model.timeoutMs ?? 300) : 300;
    checkTimeout('model timeoutMs', timeoutMs);
    if (model.backend === 'sagemaker') checkEndpointName('model endpointName', model.endpointName);
    const challenger = props.challenger;
    if (challenger) checkChallenger(challenger, props.modelVersion);
    const challengerTimeoutMs =
      challenger?.endpointName !== undefined ? (challenger.timeoutMs ?? 300) : undefined;
    if (challengerTimeoutMs !== undefined) checkTimeout('challenger timeoutMs', challengerTimeoutMs);
    const worstModelMs = longestModelWait(model, timeoutMs, challenger, challengerTimeoutMs);
    // Read and checked here, so a missing or broken model fails the synth, not the first request.
    this.models = modelsToBuildIn(props.modelRegistry, props.modelVersion, challenger?.version);

    this.serviceName = props.serviceName ?? `${Stack.of(this).stackName}-score`;
    this.handler = new StreamfeaturesFunction(this, 'Handler', {
      entry: 'lambdas/score/handler.ts',
      spec: props.spec,
      constants: { __STREAMFEATURES_MODELS__: this.models },
      serviceName: this.serviceName,
      wiring: {
        TABLE_NAME: props.table.tableName,
        MODEL_BACKEND: model.backend,
        MODEL_VERSION: props.modelVersion,
        MODEL_TIMEOUT_MS: String(timeoutMs),
        ...(model.backend === 'sagemaker'
          ? { SAGEMAKER_ENDPOINT_NAME: model.endpointName, MODEL_FALLBACK: model.fallback ?? 'embedded' }
          : {}),
        ...challengerWiring(challenger, challengerTimeoutMs),
        ...(props.featureLog ? { FEATURE_LOG_STREAM: props.featureLog.deliveryStreamName } : {}),
      },
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      functionProps: {
        timeout: Duration.seconds(Math.min(29, Math.max(10, Math.ceil(worstModelMs / 1000) + 5))),
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
    // InvokeEndpoint on the endpoints this function calls, and on nothing when it calls none.
    const endpoints = [
      ...(model.backend === 'sagemaker' ? [model.endpointName] : []),
      ...(challenger?.endpointName !== undefined ? [challenger.endpointName] : []),
    ];
    if (endpoints.length > 0) {
      allow(
        role,
        ['sagemaker:InvokeEndpoint'],
        // SageMaker spells endpoint names in lower case in ARNs.
        [...new Set(endpoints.map((name) => name.toLowerCase()))].map((name) =>
          Stack.of(this).formatArn({ service: 'sagemaker', resource: 'endpoint', resourceName: name }),
        ),
      );
    }

    this.http = new LambdaHttpApi(this, 'Http', {
      handler: this.function,
      routes: [{ method: apigwv2.HttpMethod.POST, path: '/score' }],
      ...httpApiOptionsOf(props),
    });
  }
}

const ENDPOINT_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

function checkTimeout(what: string, timeoutMs: number): void {
  if (!Number.isInteger(timeoutMs) || timeoutMs < 10 || timeoutMs > 25_000) {
    throw new InvalidPropsError(`${what} must be 10 to 25000 (got ${timeoutMs})`);
  }
}

function checkEndpointName(what: string, name: string): void {
  if (!ENDPOINT_NAME.test(name)) {
    throw new InvalidPropsError(`${what} must be a SageMaker endpoint name (got ${JSON.stringify(name)})`);
  }
}

/** The checks the types cannot make, for callers in JavaScript or with computed values. */
function checkChallenger(challenger: Challenger, modelVersion: string): void {
  const { mode, version, endpointName } = challenger;
  if (mode !== 'shadow' && mode !== 'split') {
    throw new InvalidPropsError(`challenger mode must be "shadow" or "split" (got ${JSON.stringify(mode)})`);
  }
  if ((version === undefined) === (endpointName === undefined)) {
    throw new InvalidPropsError(
      `challenger needs exactly one of version and endpointName (got ${JSON.stringify({ version, endpointName })})`,
    );
  }
  if (version === modelVersion) {
    throw new InvalidPropsError(
      `challenger version is the model itself (got ${JSON.stringify(version)}): name another version`,
    );
  }
  if (endpointName !== undefined) checkEndpointName('challenger endpointName', endpointName);
  if (mode === 'split' && !(challenger.weight > 0 && challenger.weight < 1)) {
    throw new InvalidPropsError(
      `challenger weight must be above 0 and below 1, the share of requests it answers (got ${challenger.weight})`,
    );
  }
}

/** The challenger's environment: its mode always, so the console shows when there is none. */
function challengerWiring(
  challenger: Challenger | undefined,
  challengerTimeoutMs: number | undefined,
): Record<string, string> {
  if (!challenger) return { CHALLENGER_MODE: 'off' };
  return {
    CHALLENGER_MODE: challenger.mode,
    ...(challenger.version !== undefined
      ? { CHALLENGER_VERSION: challenger.version }
      : {
          CHALLENGER_ENDPOINT_NAME: challenger.endpointName,
          CHALLENGER_TIMEOUT_MS: String(challengerTimeoutMs),
        }),
    ...(challenger.mode === 'split' ? { CHALLENGER_WEIGHT: String(challenger.weight) } : {}),
  };
}

/**
 * The longest a request can wait on models: in split mode a failed SageMaker challenger is followed by the model;
 * in shadow mode the two run side by side.
 */
function longestModelWait(
  model: ModelBackend,
  timeoutMs: number,
  challenger: Challenger | undefined,
  challengerTimeoutMs: number | undefined,
): number {
  const modelMs = model.backend === 'sagemaker' ? timeoutMs : 0;
  if (challenger === undefined || challengerTimeoutMs === undefined) return modelMs;
  return challenger.mode === 'split' ? modelMs + challengerTimeoutMs : Math.max(modelMs, challengerTimeoutMs);
}
