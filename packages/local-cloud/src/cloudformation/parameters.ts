/**
 * A stack's parameter values as CloudFormation settles them: given, else the previous value when asked
 * (UsePreviousValue), else the Default; `AWS::SSM::Parameter::Value<...>` types resolved from the Parameter
 * Store; then the template's Rules checked (the CDK's CheckBootstrapVersion among them).
 */

import { Resolver } from '../deploy/intrinsics.js';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../deploy/naming.js';
import type { Template } from '../deploy/types.js';
import type { ParameterStore } from '../ssm/parameter-store.js';
import { CloudFormationError } from './query-protocol.js';

export interface ParameterInput {
  ParameterKey?: string;
  ParameterValue?: string;
  UsePreviousValue?: string | boolean;
}

export interface SettledParameter {
  key: string;
  /** As given (for an SSM type: the parameter's name). */
  value: string;
  /** For an SSM type: the value read from the Parameter Store. */
  resolved?: string;
}

const SSM_TYPE = /^AWS::SSM::Parameter::Value<(.+)>$/;

export function settleParameters(
  template: Template,
  given: readonly ParameterInput[],
  previous: readonly SettledParameter[],
  ssm: ParameterStore | undefined,
): SettledParameter[] {
  const declared = template.Parameters ?? {};
  const unknown = given.map((p) => p.ParameterKey ?? '').filter((k) => !(k in declared));
  if (unknown.length > 0) {
    throw new CloudFormationError(`Parameters: [${unknown.join(', ')}] do not exist in the template`);
  }
  const missing: string[] = [];
  const settled: SettledParameter[] = [];
  for (const [key, definition] of Object.entries(declared)) {
    const input = given.find((p) => p.ParameterKey === key);
    const usePrevious = input?.UsePreviousValue === true || input?.UsePreviousValue === 'true';
    const value = usePrevious
      ? previous.find((p) => p.key === key)?.value
      : (input?.ParameterValue ??
        (definition.Default === undefined ? undefined : String(definition.Default)));
    if (value === undefined) {
      missing.push(key);
      continue;
    }
    const ssmType = SSM_TYPE.exec(definition.Type ?? '');
    // Without a Parameter Store (a deployment onto another cloud) the name stands for itself.
    if (ssmType === null || ssm === undefined) {
      settled.push({ key, value });
      continue;
    }
    const found = ssm?.find(value);
    if (found === undefined) {
      throw new CloudFormationError(
        `Unable to fetch parameters [${value}] from parameter store for this account.`,
      );
    }
    settled.push({ key, value, resolved: found.value });
  }
  if (missing.length > 0)
    throw new CloudFormationError(`Parameters: [${missing.join(', ')}] must have values`);
  return settled;
}

/** The values the deployment resolves Ref to: the resolved value of an SSM type, else the value. */
export function parameterValues(settled: readonly SettledParameter[]): Record<string, string> {
  return Object.fromEntries(settled.map((p) => [p.key, p.resolved ?? p.value]));
}

/** Checks the template's Rules against the parameters; a failed assertion fails with its description. */
export function checkRules(template: Template, stackName: string, values: Record<string, string>): void {
  const local = {
    stackName,
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT_ID,
    cloudEndpoint: '',
    stackId: '',
  };
  const resolver = new Resolver(template, local, values, new Map(), () => {});
  for (const [name, rule] of Object.entries(template.Rules ?? {})) {
    let applies = true;
    try {
      if (rule.RuleCondition !== undefined) applies = resolver.resolve(rule.RuleCondition) === true;
      if (!applies) continue;
      for (const assertion of rule.Assertions ?? []) {
        if (resolver.resolve(assertion.Assert) !== true) {
          throw new CloudFormationError(assertion.AssertDescription ?? `Template rule ${name} failed`);
        }
      }
    } catch (error) {
      if (error instanceof CloudFormationError) throw error;
      throw new CloudFormationError(`Template error: rule ${name}: ${(error as Error).message}`);
    }
  }
}
