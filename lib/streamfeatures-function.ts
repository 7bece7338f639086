import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  type BundlingOptions,
  NodejsFunction,
  type NodejsFunctionProps,
  OutputFormat,
} from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Spec } from '../core/index.js';
import { withOverrides } from './defaults.js';
import { InvalidPropsError } from './errors.js';
import { logsKeyOf } from './logs-key.js';
import { acknowledgeControl, REASONS } from './policy-acknowledgements.js';

/** The repository root: esbuild bundles from here, with its package-lock.json. */
export const PROJECT_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** The namespace of the handlers' EMF metrics (Powertools `POWERTOOLS_METRICS_NAMESPACE`). */
export const METRICS_NAMESPACE = 'streamfeatures';

/** ESM bundles still meet CommonJS dependencies that call `require`: give them one. */
export const CREATE_REQUIRE_BANNER =
  "import { createRequire as __sfCreateRequire } from 'node:module'; const require = __sfCreateRequire(import.meta.url);";

/** The identifier the normalized spec is compiled in as. */
const SPEC_CONSTANT = '__STREAMFEATURES_SPEC__';

/**
 * The handlers' bundling: ESM for Node 22, minified, with source maps, the AWS SDK left to the runtime, and the
 * normalized spec compiled in as the string constant `__STREAMFEATURES_SPEC__` (no environment size limit), plus
 * any other `constants`, each compiled in the same way: a string constant holding the value's JSON text.
 */
export function handlerBundling(
  spec: Spec,
  constants: Readonly<Record<string, unknown>> = {},
): BundlingOptions {
  if (SPEC_CONSTANT in constants) {
    throw new InvalidPropsError(`constants.${SPEC_CONSTANT} is the spec's; name the constant otherwise`);
  }
  const define: Record<string, string> = {};
  for (const [name, value] of Object.entries({ [SPEC_CONSTANT]: spec, ...constants })) {
    define[name] = JSON.stringify(JSON.stringify(value));
  }
  return {
    format: OutputFormat.ESM,
    minify: true,
    sourceMap: true,
    // Stack traces need the mappings only; the sources would double the bundle.
    sourcesContent: false,
    target: 'node22',
    mainFields: ['module', 'main'],
    banner: CREATE_REQUIRE_BANNER,
    externalModules: ['@aws-sdk/*'],
    define,
  };
}

export interface StreamfeaturesFunctionProps {
  /** The handler entry relative to the project root, e.g. `lambdas/features/handler.ts` (exports `handler`). */
  readonly entry: string;
  /** The normalized spec, compiled into the bundle. */
  readonly spec: Spec;
  /** Powertools service name: the `service` dimension of the handler's metrics. */
  readonly serviceName: string;
  /**
   * More constants compiled into the bundle beside the spec, by identifier (the score function's models).
   * @default - none: the spec only
   */
  readonly constants?: Readonly<Record<string, unknown>>;
  /**
   * Environment variables the app wires (resource names). `functionProps.environment` may add variables but not
   * set these.
   */
  readonly wiring: Readonly<Record<string, string>>;
  /**
   * Log retention.
   * @default logs.RetentionDays.TWO_WEEKS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Removal policy of the log group.
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Overrides of the function's properties (memory, timeout, reserved concurrency, more environment, ...),
   * merged over the defaults: Node 22 on ARM64, 512 MB, 30 s, X-Ray tracing, the bundling above. The role and
   * log group are this construct's (grant to `role`).
   * @default - none
   */
  readonly functionProps?: Partial<
    Omit<NodejsFunctionProps, 'entry' | 'handler' | 'projectRoot' | 'depsLockFilePath' | 'role' | 'logGroup'>
  >;
}

/**
 * A handler as a Lambda function with this app's defaults: a role with no managed policies (logs go to its own
 * log group only), Powertools settings, and the bundling contract above.
 */
export class StreamfeaturesFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: StreamfeaturesFunctionProps) {
    super(scope, id);
    const logRemovalPolicy = props.logRemovalPolicy ?? RemovalPolicy.DESTROY;
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.TWO_WEEKS,
      removalPolicy: logRemovalPolicy,
      encryptionKey: logsKeyOf(this, logRemovalPolicy),
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `streamfeatures ${props.serviceName}: execution role`,
    });
    this.logGroup.grantWrite(this.role);

    const defaults: NodejsFunctionProps = {
      entry: join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.seconds(30),
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      bundling: handlerBundling(props.spec, props.constants),
    };
    const overrides = props.functionProps ?? {};
    this.function = new NodejsFunction(this, 'Function', {
      ...withOverrides(defaults, overrides),
      environment: environmentOf(props, overrides.environment),
    });
    if (this.function.runtime.name === lambda.Runtime.NODEJS_22_X.name) {
      Validations.of(this.function).acknowledge({
        id: 'AwsSolutions-L1',
        reason:
          'Node.js 22 is the handler contract (bundles target node22, the local cloud runs them on Node 20+); ' +
          'moving to nodejs24.x is one change of runtime and esbuild target together.',
      });
    }
    acknowledgeControl(this.function, 'CT.LAMBDA.PR.3', REASONS.noVpc);
    if ((this.function.node.defaultChild as lambda.CfnFunction).tracingConfig) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level ' +
          'permissions. Every other statement of this role names its resources (test/unit/cdk-stack.test.ts).',
      });
    }
  }
}

/**
 * Defaults, then the caller's variables (theirs win), then the wiring, which nobody may override: resource names,
 * and the Powertools service and namespace the alarms watch.
 */
function environmentOf(
  props: StreamfeaturesFunctionProps,
  callers: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const wiring: Record<string, string> = {
    POWERTOOLS_SERVICE_NAME: props.serviceName,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    ...props.wiring,
  };
  for (const key of Object.keys(callers)) {
    if (key in wiring) {
      throw new InvalidPropsError(
        `functionProps.environment.${key} is set by the app (to ${JSON.stringify(wiring[key])}); ` +
          `remove it (got ${JSON.stringify(callers[key])})`,
      );
    }
  }
  return { NODE_OPTIONS: '--enable-source-maps', ...callers, ...wiring };
}
