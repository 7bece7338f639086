import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Spec } from '../core/index.js';
import { FUNCTION_FILES } from '../lambdas/shared/spec.js';
import { withOverrides } from './defaults.js';
import { InvalidPropsError, quote, throwIfProblems } from './errors.js';
import { logsKeyOf } from './logs-key.js';
import { packageRoot } from './package-root.js';
import { acknowledgeControl, REASONS } from './policy-acknowledgements.js';

/** The root of this package: the repository, or `node_modules/streamfeatures` where it is installed. */
export const PACKAGE_ROOT = packageRoot();

/** The pre-built, generic handler bundles (`npm run build`, scripts/bundle-lambdas.mjs), one folder each. */
export const BUNDLES_DIR = join(PACKAGE_ROOT, 'dist', 'lambdas');

/** The handler bundles the package ships. */
export type HandlerBundle =
  | 'features'
  | 'score'
  | 'ingest'
  | 'labels'
  | 'labels-stream'
  | 'spec-guard'
  | 'monitor';

/** The namespace of the handlers' EMF metrics (Powertools `POWERTOOLS_METRICS_NAMESPACE`). */
export const METRICS_NAMESPACE = 'streamfeatures';

/**
 * A function's code directory: the pre-built bundle with its source map, plus `files` (name to JSON value) beside
 * it, the normalized spec first of all. Staged under the system's temporary folder by content (the same content
 * reuses one folder), written whole and then renamed into place, so a concurrent synth never sees half of one.
 * `lambda.Code.fromAsset` copies it into the cloud assembly as a directory asset.
 */
export function stageFunctionDirectory(
  bundle: HandlerBundle,
  files: Readonly<Record<string, unknown>>,
): string {
  const source = join(BUNDLES_DIR, bundle);
  const bundleFile = join(source, FUNCTION_FILES.bundle);
  if (!existsSync(bundleFile)) {
    throw new Error(
      `streamfeatures: the pre-built ${bundle} bundle is missing (${bundleFile}); in a checkout of the ` +
        'repository run `npm run build`, otherwise reinstall the package',
    );
  }
  const contents = new Map<string, Buffer>();
  for (const name of [FUNCTION_FILES.bundle, `${FUNCTION_FILES.bundle}.map`]) {
    const path = join(source, name);
    if (existsSync(path)) contents.set(name, readFileSync(path));
  }
  for (const [name, value] of Object.entries(files)) {
    if (contents.has(name)) throw new Error(`streamfeatures: ${name} is the bundle's own file`);
    contents.set(name, Buffer.from(`${JSON.stringify(value)}\n`));
  }
  const hash = createHash('sha256');
  for (const [name, content] of [...contents].sort(([a], [b]) => a.localeCompare(b))) {
    hash.update(name).update('\0').update(content).update('\0');
  }
  const staged = join(tmpdir(), 'streamfeatures-functions', `${bundle}-${hash.digest('hex').slice(0, 20)}`);
  if (existsSync(join(staged, FUNCTION_FILES.bundle))) return staged;
  const partial = `${staged}.${process.pid}.${Date.now()}.partial`;
  mkdirSync(partial, { recursive: true });
  for (const [name, content] of contents) writeFileSync(join(partial, name), content);
  try {
    renameSync(partial, staged);
  } catch (error) {
    // Another synth staged the same content first: theirs is identical.
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(join(staged, FUNCTION_FILES.bundle))) throw error;
  }
  return staged;
}

export interface StreamfeaturesFunctionProps {
  /** The pre-built handler bundle (dist/lambdas/<bundle>/index.mjs, exports `handler`). */
  readonly bundle: HandlerBundle;
  /** The normalized spec, staged beside the bundle as spec.json. */
  readonly spec: Spec;
  /** Powertools service name: the `service` dimension of the handler's metrics. */
  readonly serviceName: string;
  /**
   * More JSON files staged beside the bundle, by file name (the score function's models.json).
   * @default - none: the spec only
   */
  readonly files?: Readonly<Record<string, unknown>>;
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
   * merged over the defaults: Node 22 on ARM64, 512 MB, 30 s, X-Ray tracing. The code, handler, role and log
   * group are this construct's (grant to `role`).
   * @default - none
   */
  readonly functionProps?: Partial<Omit<lambda.FunctionProps, 'code' | 'handler' | 'role' | 'logGroup'>>;
}

/**
 * A handler as a Lambda function with this app's defaults: the package's pre-built bundle with the spec (and
 * models) staged beside it as an asset, a role with no managed policies (logs go to its own log group only), and
 * Powertools settings.
 */
export class StreamfeaturesFunction extends Construct {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: StreamfeaturesFunctionProps) {
    super(scope, id);
    const overrides = props.functionProps ?? {};
    throwIfProblems(this, environmentProblems(props, overrides.environment));
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

    let directory: string;
    try {
      directory = stageFunctionDirectory(props.bundle, { [FUNCTION_FILES.spec]: props.spec, ...props.files });
    } catch (error) {
      throw new InvalidPropsError([`${this.node.path}: ${(error as Error).message}`]);
    }
    const defaults: lambda.FunctionProps = {
      code: lambda.Code.fromAsset(directory),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.seconds(30),
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
    };
    this.function = new lambda.Function(this, 'Function', {
      ...withOverrides<lambda.FunctionProps>(defaults, overrides),
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

/** The wiring: resource names, and the Powertools service and namespace the alarms watch. */
function wiringOf(props: StreamfeaturesFunctionProps): Record<string, string> {
  return {
    POWERTOOLS_SERVICE_NAME: props.serviceName,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    ...props.wiring,
  };
}

/** Every caller's variable that would override the wiring. */
function environmentProblems(
  props: StreamfeaturesFunctionProps,
  callers: Readonly<Record<string, string>> = {},
): string[] {
  const wiring = wiringOf(props);
  return Object.keys(callers)
    .filter((key) => key in wiring)
    .map(
      (key) =>
        `functionProps.environment.${key} is set by the construct (to ${quote(wiring[key])}); remove it ` +
        `(got ${quote(callers[key])})`,
    );
}

/** Defaults, then the caller's variables (theirs win), then the wiring, which nobody may override. */
function environmentOf(
  props: StreamfeaturesFunctionProps,
  callers: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return { NODE_OPTIONS: '--enable-source-maps', ...callers, ...wiringOf(props) };
}
