import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { Problems, throwIfProblems } from './errors.js';
import { logsKeyOf } from './logs-key.js';
import { acknowledgeControl } from './policy-acknowledgements.js';

/** Stage-wide throttling unless told otherwise. */
export const DEFAULT_THROTTLE_RATE = 100;
export const DEFAULT_THROTTLE_BURST = 200;

/** Who may call: AWS SigV4 callers with `execute-api:Invoke`, or bearers of a JWT from an issuer. */
export type ApiAuth =
  | { readonly type: 'iam' }
  | { readonly type: 'jwt'; readonly issuer: string; readonly audience: readonly string[] };

export interface LambdaHttpApiProps {
  /** The function behind the routes. */
  readonly handler: lambda.IFunction;
  /** The routes, e.g. `[{ method: POST, path: '/score' }]`. */
  readonly routes: readonly { readonly method: apigwv2.HttpMethod; readonly path: string }[];
  /**
   * How callers authenticate.
   * @default { type: 'iam' }
   */
  readonly auth?: ApiAuth;
  /**
   * Steady requests per second (stage-wide throttling), above 0 and at most 10000.
   * @default 100
   */
  readonly throttleRate?: number;
  /**
   * Burst above the steady rate: 1 to 5000.
   * @default 200
   */
  readonly throttleBurst?: number;
  /** @default logs.RetentionDays.TWO_WEEKS */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Overrides of the API's properties (CORS, description, ...), merged over the defaults.
   * @default - none
   */
  readonly httpApiProps?: Partial<apigwv2.HttpApiProps>;
}

/** The HTTP API settings a construct with an API in front of its function passes through. */
export type HttpApiOptions = Pick<
  LambdaHttpApiProps,
  'auth' | 'throttleRate' | 'throttleBurst' | 'logRetention' | 'logRemovalPolicy'
>;

/** Every problem with the HTTP API settings, each naming the bad value. */
export function httpApiProblems(options: HttpApiOptions): string[] {
  const problems = new Problems();
  const auth = options.auth ?? { type: 'iam' };
  if (auth.type === 'jwt') {
    problems.check(
      typeof auth.issuer === 'string' && auth.issuer.startsWith('https://'),
      'auth.issuer must be an https URL',
      auth.issuer,
    );
    problems.check(
      Array.isArray(auth.audience) && auth.audience.length > 0,
      'auth.audience must name at least one accepted audience',
      auth.audience,
    );
  } else {
    problems.check(auth.type === 'iam', 'auth.type must be "iam" or "jwt"', auth.type);
  }
  const rate = options.throttleRate ?? DEFAULT_THROTTLE_RATE;
  problems.check(rate > 0 && rate <= 10_000, 'throttleRate must be above 0 and at most 10000', rate);
  const burst = options.throttleBurst ?? DEFAULT_THROTTLE_BURST;
  problems.check(
    Number.isInteger(burst) && burst >= 1 && burst <= 5_000,
    'throttleBurst must be a whole number from 1 to 5000',
    burst,
  );
  return problems.list;
}

/** The HTTP API settings among a construct's props. */
export function httpApiOptionsOf(props: HttpApiOptions): HttpApiOptions {
  const { auth, throttleRate, throttleBurst, logRetention, logRemovalPolicy } = props;
  return { auth, throttleRate, throttleBurst, logRetention, logRemovalPolicy };
}

/** An HTTP API in front of one Lambda: authorized routes only, throttled, with JSON access logs. */
export class LambdaHttpApi extends Construct {
  public readonly api: apigwv2.HttpApi;
  public readonly stage: apigwv2.HttpStage;
  public readonly routes: apigwv2.HttpRoute[];
  public readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: LambdaHttpApiProps) {
    super(scope, id);
    throwIfProblems(this, httpApiProblems(props));
    const auth = props.auth ?? { type: 'iam' };
    this.api = new apigwv2.HttpApi(this, 'Api', {
      // Named after the stack and the construct it fronts (`streamfeatures-dev-ScoringApi`): the console and
      // `aws apigatewayv2 get-apis` list every API of the account and region together.
      apiName: `${Stack.of(this).stackName}-${scope.node.id}`,
      createDefaultStage: false,
      defaultAuthorizer:
        auth.type === 'iam'
          ? new HttpIamAuthorizer()
          : new HttpJwtAuthorizer('Jwt', auth.issuer, { jwtAudience: [...auth.audience] }),
      ...props.httpApiProps,
    });
    const logRemovalPolicy = props.logRemovalPolicy ?? RemovalPolicy.DESTROY;
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? logs.RetentionDays.TWO_WEEKS,
      removalPolicy: logRemovalPolicy,
      encryptionKey: logsKeyOf(this, logRemovalPolicy),
    });
    this.stage = new apigwv2.HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: {
        rateLimit: props.throttleRate ?? DEFAULT_THROTTLE_RATE,
        burstLimit: props.throttleBurst ?? DEFAULT_THROTTLE_BURST,
      },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            caller: '$context.identity.caller',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            responseLatency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });
    const integration = new HttpLambdaIntegration('Integration', props.handler);
    this.routes = props.routes.flatMap((route) =>
      this.api.addRoutes({ path: route.path, methods: [route.method], integration }),
    );
    for (const route of this.routes) {
      // The integration's permission lets API Gateway invoke the function for this API's own ARN only
      // (SourceArn); the control reads a SourceArn built with Fn::Join as missing.
      acknowledgeControl(
        route,
        'CT.LAMBDA.PR.2',
        "Not public: API Gateway may invoke the function only for this API's routes (SourceArn is the API's " +
          'execute-api ARN, an Fn::Join the rule does not read).',
      );
    }
  }

  /**
   * The API's base URL, ending in `/`: its ApiEndpoint, which on AWS is the address of the `$default` stage's
   * URL (`https://<id>.execute-api.<region>.amazonaws.com`); read from the API rather than composed from its id
   * and region, so a local cloud that serves the API at an address of its own gives that one.
   */
  get url(): string {
    return `${this.api.apiEndpoint}/`;
  }
}
