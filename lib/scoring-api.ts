import { Duration, Stack } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { Spec } from '../core/index.js';
import { FUNCTION_FILES } from '../lambdas/shared/spec.js';
import { allow } from './defaults.js';
import { InvalidPropsError, Problems, quote, throwIfProblems } from './errors.js';
import { type HttpApiOptions, httpApiOptionsOf, httpApiProblems, LambdaHttpApi } from './http-api.js';
import { allowKeyVia } from './key-grants.js';
import {
  type BuiltInModels,
  DEFAULT_MODEL_REGISTRY,
  DEFAULT_MODEL_VERSION,
  modelsToBuildIn,
} from './model-registry.js';
import type { OfflineDataset } from './offline-dataset.js';
import { StreamfeaturesFunction, type StreamfeaturesFunctionProps } from './streamfeatures-function.js';

/** How long the scoring Lambda waits on a SageMaker endpoint unless told otherwise. */
export const DEFAULT_MODEL_TIMEOUT_MS = 300;

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
   * @default - the registry the package ships (DEFAULT_MODEL_REGISTRY: the trained fraud model and an untrained
   * placeholder)
   */
  readonly modelRegistry?: string;
  /**
   * The version in `modelRegistry` deployed with the function: the model with backend `embedded`, the fallback
   * with `sagemaker`. Synth fails when the registry lacks it. Name an earlier version and deploy to roll back.
   * @default DEFAULT_MODEL_VERSION (the trained fraud model)
   */
  readonly modelVersion?: string;
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
  /** The model documents deployed with the function (its models.json): the model, and an embedded challenger. */
  public readonly models: BuiltInModels;
  /** The model version the function embeds. */
  public readonly modelVersion: string;

  constructor(scope: Construct, id: string, props: ScoringApiProps) {
    super(scope, id);
    throwIfProblems(this, scoringApiProblems(props));
    const model = props.model ?? { backend: 'embedded' };
    const timeoutMs =
      model.backend === 'sagemaker'
        ? (model.timeoutMs ?? DEFAULT_MODEL_TIMEOUT_MS)
        : DEFAULT_MODEL_TIMEOUT_MS;
    const challenger = props.challenger;
    const challengerTimeoutMs =
      challenger?.endpointName !== undefined ? (challenger.timeoutMs ?? DEFAULT_MODEL_TIMEOUT_MS) : undefined;
    const worstModelMs = longestModelWait(model, timeoutMs, challenger, challengerTimeoutMs);
    this.modelVersion = props.modelVersion ?? DEFAULT_MODEL_VERSION;
    // Read and checked here, so a missing or broken model fails the synth, not the first request.
    try {
      this.models = modelsToBuildIn(
        props.modelRegistry ?? DEFAULT_MODEL_REGISTRY,
        this.modelVersion,
        challenger?.version,
        props.spec,
      );
    } catch (error) {
      throw new InvalidPropsError([`${this.node.path}: ${(error as Error).message}`]);
    }

    this.serviceName = props.serviceName ?? `${Stack.of(this).stackName}-score`;
    this.handler = new StreamfeaturesFunction(this, 'Handler', {
      bundle: 'score',
      spec: props.spec,
      files: { [FUNCTION_FILES.models]: this.models },
      serviceName: this.serviceName,
      wiring: {
        TABLE_NAME: props.table.tableName,
        MODEL_BACKEND: model.backend,
        MODEL_VERSION: this.modelVersion,
        MODEL_TIMEOUT_MS: String(timeoutMs),
        ...(model.backend === 'sagemaker'
          ? { SAGEMAKER_ENDPOINT_NAME: model.endpointName, MODEL_FALLBACK: model.fallback ?? 'embedded' }
          : {}),
        ...challengerWiring(challenger, challengerTimeoutMs),
        ...(props.featureLog ? { FEATURE_LOG_STREAM: props.featureLog.deliveryStreamName } : {}),
        // Iceberg partitions on dt/hour columns the records carry.
        ...(props.featureLog?.writersAddPartitionFields ? { FEATURE_LOG_PARTITION_FIELDS: 'dt-hour' } : {}),
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
      allowKeyVia(role, props.table.encryptionKey, ['kms:Decrypt', 'kms:DescribeKey'], 'dynamodb');
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
const MODEL_VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Every problem with the props, each naming the bad value: the model, the challenger (the checks the types
 * cannot make, for callers in JavaScript or with computed values) and the HTTP API's settings.
 */
export function scoringApiProblems(props: Partial<ScoringApiProps>): string[] {
  const problems = new Problems();
  const timeout = (what: string, ms: number) =>
    problems.check(Number.isInteger(ms) && ms >= 10 && ms <= 25_000, `${what} must be 10 to 25000`, ms);
  const endpoint = (what: string, name: string) =>
    problems.check(ENDPOINT_NAME.test(name), `${what} must be a SageMaker endpoint name`, name);
  const version = (what: string, value: string) =>
    problems.check(
      typeof value === 'string' && MODEL_VERSION.test(value),
      `${what} must be a model version like fraud-lr-3f2a9c01b7de (letters, digits, ".", "_" and "-")`,
      value,
    );
  const modelVersion = props.modelVersion ?? DEFAULT_MODEL_VERSION;
  if (props.modelVersion !== undefined) version('modelVersion', props.modelVersion);
  const model = props.model ?? { backend: 'embedded' };
  if (model.backend === 'sagemaker') {
    endpoint('model.endpointName', model.endpointName);
    timeout('model.timeoutMs', model.timeoutMs ?? DEFAULT_MODEL_TIMEOUT_MS);
    const fallback = model.fallback ?? 'embedded';
    problems.check(
      fallback === 'embedded' || fallback === 'error',
      'model.fallback must be "embedded" or "error"',
      fallback,
    );
  } else {
    problems.check(
      model.backend === 'embedded',
      'model.backend must be "embedded" or "sagemaker"',
      model.backend,
    );
  }
  const challenger = props.challenger;
  if (challenger) {
    const { mode, version: challengerVersion, endpointName } = challenger;
    problems.check(
      mode === 'shadow' || mode === 'split',
      'challenger.mode must be "shadow" or "split"',
      mode,
    );
    if ((challengerVersion === undefined) === (endpointName === undefined)) {
      problems.add(
        `challenger needs exactly one of version and endpointName (got ${quote({ version: challengerVersion, endpointName })})`,
      );
    }
    if (challengerVersion !== undefined) {
      version('challenger.version', challengerVersion);
      problems.check(
        challengerVersion !== modelVersion,
        'challenger.version is the model itself (modelVersion): name another version',
        challengerVersion,
      );
    }
    if (endpointName !== undefined) {
      endpoint('challenger.endpointName', endpointName);
      timeout('challenger.timeoutMs', challenger.timeoutMs ?? DEFAULT_MODEL_TIMEOUT_MS);
    }
    if (mode === 'split') {
      problems.check(
        challenger.weight > 0 && challenger.weight < 1,
        'challenger.weight must be above 0 and below 1, the share of requests it answers',
        challenger.weight,
      );
    }
  }
  problems.add(...httpApiProblems(props));
  return problems.list;
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
