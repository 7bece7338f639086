import { CfnGuardValidator, type CfnGuardValidatorProps } from '@cdklabs/cdk-validator-cfnguard';
import type {
  IPolicyValidationContextBeta1,
  IPolicyValidationPluginBeta1,
  PolicyValidationPluginReportBeta1,
} from 'aws-cdk-lib';

/**
 * AWS Control Tower's proactive controls as a policy-validation plugin: `@cdklabs/cdk-validator-cfnguard`, whose
 * findings are marked as errors. The plugin reports findings without a severity, and aws-cdk-lib, once any of them
 * is acknowledged, recomputes the report's success from the severities of the rest: an unmarked finding would then
 * pass the synth. Marked, every finding not acknowledged fails it.
 *
 * For the app and the tests (the plugin is a development dependency): acknowledge a control with
 * `acknowledgeControl` (lib/policy-acknowledgements.ts), on the resource it concerns.
 */
export class ControlTowerChecks implements IPolicyValidationPluginBeta1 {
  /** The wrapped plugin's name: acknowledgement ids are namespaced by it (`cdk-validator-cfnguard::rule`). */
  public readonly name: string;
  public readonly version?: string;
  public readonly ruleIds?: string[];
  private readonly guard: CfnGuardValidator;

  constructor(props: CfnGuardValidatorProps = {}) {
    // cfn-guard answers with one JSON document that grows with the stack and its findings (some 200 KB for the
    // prod stack); Node's default 1 MB buffer would leave little room.
    this.guard = new CfnGuardValidator({ maxBuffer: 64 * 1024 * 1024, ...props });
    this.name = this.guard.name;
    this.version = this.guard.version;
    this.ruleIds = this.guard.ruleIds;
  }

  validate(context: IPolicyValidationContextBeta1): PolicyValidationPluginReportBeta1 {
    const report = this.guard.validate(context);
    return {
      ...report,
      violations: report.violations.map((violation) => ({
        ...violation,
        severity: violation.severity ?? 'error',
      })),
    };
  }
}
