import { Stack, Validations } from 'aws-cdk-lib';
// cdk-nag's own spelling of a resource in an IAM5 finding id (not in its index; the package has no exports map).
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges cdk-nag AwsSolutions-IAM5 for exactly these wildcard resources (object-key prefixes, typically) on
 * a role or policy, with the reason. A wildcard resource not listed here still fails the check.
 */
export function acknowledgeWildcardResources(
  scope: IConstruct,
  arns: readonly string[],
  reason: string,
): void {
  const stack = Stack.of(scope);
  for (const arn of arns) {
    Validations.of(scope).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${flattenCfnReference(stack.resolve(arn))}]`,
      reason,
    });
  }
}
