/**
 * CloudWatch alarms (AWS::CloudWatch::Alarm): a static threshold on one metric or on a metric-math expression,
 * read as PutMetricAlarm reads it (src/cloudwatch/alarm-definition.ts), is evaluated by the local cloud
 * (src/cloudwatch/alarms.ts) on its metrics, and its SNS actions get CloudWatch's notification on each change of
 * state. Anomaly-detection bands (ThresholdMetricId) are recorded, not evaluated, with the reason.
 */

import { ALARM_PROPERTIES, alarmDefinitionOf } from '../../cloudwatch/alarm-definition.js';
import { localAlarms } from '../../cloudwatch/alarms.js';
import { snsQuery } from '../../event-source-mapping.js';
import { synthesizedAttributes } from '../naming.js';
import { notApplied } from '../util.js';
import type { Created, CreatorContext } from './context.js';

export async function createCloudWatchAlarm(
  ctx: CreatorContext,
  logicalId: string,
  p: Record<string, unknown>,
): Promise<Created> {
  const { local } = ctx;
  const name = ctx.nameFor('AWS::CloudWatch::Alarm', logicalId, p);
  const base = synthesizedAttributes('AWS::CloudWatch::Alarm', logicalId, name, local);
  if (p.ThresholdMetricId !== undefined)
    return {
      ...base,
      skipped: 'anomaly-detection alarms (ThresholdMetricId) are not evaluated by the local cloud',
    };
  const definition = alarmDefinitionOf(p, {
    name,
    arn: base.attributes.Arn as string,
    region: local.region,
    accountId: local.accountId,
    configuredAtMs: Date.now(),
  });
  const alarms = ctx.options.alarms ?? localAlarms;
  alarms.put(
    definition,
    async (topicArn, subject, message) => {
      await snsQuery(local.cloudEndpoint, local.region, {
        Action: 'Publish',
        TopicArn: topicArn,
        Subject: subject,
        Message: message,
      });
    },
    (line) => ctx.options.onLog?.(logicalId, line),
    `${local.stackName}/${logicalId}`,
  );
  const forget = async () => alarms.remove(name);
  return {
    ...base,
    notes: notApplied(p, [...ALARM_PROPERTIES]),
    stop: forget,
    remove: forget,
  };
}
