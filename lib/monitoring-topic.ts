/** The alarm topic the Monitoring construct creates when none is brought: KMS-encrypted, TLS only. */
import { type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { newDataKey } from './defaults.js';

/** A new alarm topic in `scope` (ids `TopicKey` and `Topic`), which CloudWatch may publish to for this account. */
export function newAlarmTopic(scope: Construct, removalPolicy: RemovalPolicy): sns.Topic {
  const key = newDataKey(scope, 'TopicKey', 'streamfeatures: alarm topic', removalPolicy);
  // CloudWatch publishes alarms to the encrypted topic: it needs the key (AWS's documented key policy), and
  // only for this account's alarms (the confused-deputy conditions AWS recommends).
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: ownAlarmsOnly(scope),
    }),
  );
  const topic = new sns.Topic(scope, 'Topic', {
    masterKey: key,
    enforceSSL: true,
    displayName: 'streamfeatures alarms',
  });
  // enforceSSL gives the topic a policy of its own, which replaces SNS's default policy (the one that lets the
  // account's services publish): without this statement every alarm action fails, "not authorized to perform
  // SNS:Publish", and no alarm reaches anyone.
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CloudWatchAlarmsPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: ownAlarmsOnly(scope),
    }),
  );
  return topic;
}

/** Conditions that limit a grant to CloudWatch to the alarms of this stack's account and region. */
function ownAlarmsOnly(scope: Construct): Record<string, Record<string, string>> {
  const { account, region, partition } = Stack.of(scope);
  return {
    StringEquals: { 'aws:SourceAccount': account },
    ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` },
  };
}
