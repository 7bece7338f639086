import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** What a deployment stage changes: data stores are kept and guarded in `prod`, disposable in `dev`. */
export interface StageDefaults {
  /** Removal policy of stores holding state (table, stream, queues, their keys, log groups). */
  readonly removalPolicy: RemovalPolicy;
  /** DynamoDB deletion protection. */
  readonly deletionProtection: boolean;
  readonly logRetention: RetentionDays;
}

export function stageDefaults(stage: 'dev' | 'prod'): StageDefaults {
  return stage === 'prod'
    ? {
        removalPolicy: RemovalPolicy.RETAIN,
        deletionProtection: true,
        logRetention: RetentionDays.THREE_MONTHS,
      }
    : {
        removalPolicy: RemovalPolicy.DESTROY,
        deletionProtection: false,
        logRetention: RetentionDays.TWO_WEEKS,
      };
}

/** A customer-managed key with yearly rotation, for one store. */
export function newDataKey(
  scope: Construct,
  id: string,
  description: string,
  removalPolicy: RemovalPolicy = RemovalPolicy.RETAIN,
): kms.Key {
  return new kms.Key(scope, id, {
    description,
    enableKeyRotation: true,
    removalPolicy,
    pendingWindow: Duration.days(removalPolicy === RemovalPolicy.DESTROY ? 7 : 30),
  });
}

/**
 * Adds one statement to a principal's policy: the explicit actions on the named resources, nothing more. CDK's
 * `grant*` helpers add wildcard actions (`s3:Abort*`, `kms:GenerateDataKey*`, `kms:ReEncrypt*`), which this
 * app avoids on data resources.
 */
export function allow(grantee: iam.IGrantable, actions: string[], resourceArns: string[]): iam.Grant {
  return iam.Grant.addToPrincipal({ grantee, actions, resourceArns });
}

/**
 * Merges a construct's defaults with the caller's overrides, in the one place a construct does it. A key the
 * caller sets to `undefined` does not erase the default.
 */
export function withOverrides<T extends object>(defaults: T, overrides: Partial<T> | undefined): T {
  const merged: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [key, value] of Object.entries(overrides ?? {})) if (value !== undefined) merged[key] = value;
  return merged as T;
}

/** Glue names: lower case letters, digits and `_`. */
export function glueName(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}
