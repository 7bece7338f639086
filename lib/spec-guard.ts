import { CustomResource, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, type IConstruct } from 'constructs';
import type { Spec } from '../core/index.js';
import { SPEC_GUARD_PROPERTIES } from '../lambdas/spec-guard/decide.js';
import { DEFAULT_BACKFILL_PLANNED } from './defaults.js';
import { StreamfeaturesFunction } from './streamfeatures-function.js';

export interface SpecGuardProps {
  /** The normalized spec this deploy brings. */
  readonly spec: Spec;
  /**
   * The deploy's backfill plan: `true` lets a spec change through that leaves features empty until a backfill.
   * @default false
   */
  readonly backfillPlanned?: boolean;
  /** The online store's table name, for the backfill command the refusal prints. */
  readonly tableName: string;
  /** The raw archive's location (`s3://bucket/raw/`), likewise. */
  readonly rawArchiveUrl: string;
  /**
   * Log retention of the guard's function.
   * @default logs.RetentionDays.TWO_WEEKS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Removal policy of its log group.
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * Refuses, at deploy time, a spec change that would leave features empty without a backfill plan: a custom
 * resource (`Custom::StreamfeaturesSpecGuard`) whose properties carry the spec, answered by the spec-guard
 * function (lambdas/spec-guard/), which judges the change with `spec diff`'s rules. On an update CloudFormation
 * sends the deployed spec along (OldResourceProperties); a refusal fails the resource with spec diff's message and
 * the stack rolls back. What `guard(...)` is given depends on the resource, so it changes only once the guard
 * has passed. Create and Delete always pass.
 *
 * The function needs no permission beyond its own log group (and X-Ray): it answers by PUT to the presigned
 * ResponseURL CloudFormation gives it, and CloudFormation invokes it with the deployer's credentials.
 */
export class SpecGuard extends Construct {
  public readonly handler: StreamfeaturesFunction;
  public readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: SpecGuardProps) {
    super(scope, id);
    const backfillPlanned = props.backfillPlanned ?? DEFAULT_BACKFILL_PLANNED;
    this.handler = new StreamfeaturesFunction(this, 'Handler', {
      bundle: 'spec-guard',
      // Staged beside the bundle as every function's is; the guard reads the specs from its request instead.
      spec: props.spec,
      serviceName: `${Stack.of(this).stackName}-spec-guard`,
      wiring: {},
      functionProps: { memorySize: 256, timeout: Duration.seconds(60) },
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
      ...(props.logRemovalPolicy === undefined ? {} : { logRemovalPolicy: props.logRemovalPolicy }),
    });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.handler.function.functionArn,
      resourceType: 'Custom::StreamfeaturesSpecGuard',
      properties: {
        // As strings: CloudFormation sends every property value as one.
        [SPEC_GUARD_PROPERTIES.spec]: JSON.stringify(props.spec),
        [SPEC_GUARD_PROPERTIES.backfillPlanned]: String(backfillPlanned),
        [SPEC_GUARD_PROPERTIES.table]: props.tableName,
        [SPEC_GUARD_PROPERTIES.archive]: props.rawArchiveUrl,
      },
    });
  }

  /** Makes each construct (and everything under it) wait for the guard to pass. */
  guard(...constructs: IConstruct[]): void {
    for (const construct of constructs) construct.node.addDependency(this.resource);
  }
}
