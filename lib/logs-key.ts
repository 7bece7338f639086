import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { keyDeletionWindow, newDataKey } from './defaults.js';

/** The id of the stack's logs key, a direct child of the stack. */
const LOGS_KEY_ID = 'LogsKey';

/**
 * The stack's one customer-managed key for CloudWatch Logs (AWS Control Tower's CT.CLOUDWATCH.PR.3), made by the
 * first log group that asks for it. Its policy lets the regional CloudWatch Logs service use it for this account's
 * log groups only (the key policy AWS documents for log-group encryption: the `kms:EncryptionContext:aws:logs:arn`
 * condition). Writers (Lambda, Firehose, API Gateway) and readers need no permission on it: CloudWatch Logs
 * encrypts and decrypts.
 *
 * The key must outlive every log group it encrypts (a retained log group under a deleted key is unreadable): when
 * any caller asks to retain, the key is retained.
 */
export function logsKeyOf(scope: Construct, removalPolicy: RemovalPolicy = RemovalPolicy.RETAIN): kms.IKey {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild(LOGS_KEY_ID) as kms.Key | undefined;
  if (existing) {
    if (removalPolicy === RemovalPolicy.RETAIN) retain(existing);
    return existing;
  }
  const key = newDataKey(stack, LOGS_KEY_ID, 'streamfeatures: CloudWatch Logs', removalPolicy);
  const { account, region, partition } = stack;
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CloudWatchLogsOfThisAccount',
      principals: [new iam.ServicePrincipal(`logs.${region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': `arn:${partition}:logs:${region}:${account}:log-group:*`,
        },
      },
    }),
  );
  return key;
}

/** Retains a key made to be destroyed, with the pending window a retained key gets. */
function retain(key: kms.Key): void {
  key.applyRemovalPolicy(RemovalPolicy.RETAIN);
  (key.node.defaultChild as kms.CfnKey).pendingWindowInDays = keyDeletionWindow(
    RemovalPolicy.RETAIN,
  ).toDays();
}
