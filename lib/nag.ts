import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag's spelling of a CloudFormation reference in an IAM5 finding id (`<Bucket.Arn>/late/*`), as its
 * `flattenCfnReference` (cdk-nag 3, Apache-2.0) writes it: the library must not need cdk-nag at run time, and
 * test/unit/cdk-pipeline.test.ts checks this copy against cdk-nag's.
 */
export function flattenCfnReference(reference: unknown): string {
  const visit = (node: unknown): string => {
    if (node === undefined) return '';
    if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/}/g, '>');
    const record = (node ?? {}) as Record<string, unknown>;
    if (record['Fn::Join']) {
      const [delimiter, items] = record['Fn::Join'] as [string, unknown[]];
      return items.map(visit).join(delimiter);
    }
    if (record['Fn::Sub']) return visit(record['Fn::Sub']);
    if (record['Fn::GetAtt']) {
      const [resource, attribute] = record['Fn::GetAtt'] as [unknown, unknown];
      return `<${visit(resource)}.${visit(attribute)}>`;
    }
    if (record['Fn::ImportValue']) return visit(record['Fn::ImportValue']);
    if (record.Ref) return `<${visit(record.Ref)}>`;
    return JSON.stringify(node);
  };
  return visit(reference);
}

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
