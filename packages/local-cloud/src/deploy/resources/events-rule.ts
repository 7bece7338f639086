/**
 * EventBridge rules (AWS::Events::Rule): kept in the process's rules (src/events/rules.ts), where the cloud's
 * EventBridge API sees them. A ScheduleExpression runs on the clock while the rule is ENABLED, sending the
 * scheduled event (or the target's Input, InputPath or InputTransformer) to each target: Lambda functions of
 * the stack (invoked as EventBridge invokes, asynchronously), SQS queues and SNS topics of the cloud. A failed
 * delivery is retried by the target's RetryPolicy, then sent to its DeadLetterConfig queue (src/events/delivery.ts)
 * and logged (source: the rule's logical id), never fatal. The rule's bus must exist (default, or a custom one). Stopping the stack, an update or a delete
 * stops the schedule.
 */

import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { snsQuery } from '../../event-source-mapping.js';
import { deliveryKind, queueUrlOfArn } from '../../events/cloud-targets.js';
import { TargetTookEvent } from '../../events/delivery.js';
import {
  busNameOf,
  type EventRules,
  localEventRules,
  type RuleState,
  type RuleTarget,
  ruleArn,
} from '../../events/rules.js';
import { parseScheduleExpression } from '../../events/schedule-expression.js';
import { isRecord, notApplied } from '../util.js';
import type { Created, CreatorContext } from './context.js';

const STATES: Readonly<Record<string, RuleState>> = {
  ENABLED: 'ENABLED',
  DISABLED: 'DISABLED',
  // Also matches CloudTrail management events, which the local cloud has none of.
  ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS: 'ENABLED',
};

/** The target properties the local cloud applies. */
const TARGET_PROPERTIES = [
  'Id',
  'Arn',
  'Input',
  'InputPath',
  'InputTransformer',
  'RoleArn',
  'RetryPolicy',
  'DeadLetterConfig',
];

export async function createEventsRule(
  ctx: CreatorContext,
  logicalId: string,
  p: Record<string, unknown>,
): Promise<Created> {
  const { local } = ctx;
  const rules: EventRules = ctx.options.eventRules ?? localEventRules;
  const name = ctx.nameFor('AWS::Events::Rule', logicalId, p);
  const eventBusName = busNameOf(typeof p.EventBusName === 'string' ? p.EventBusName : 'default');
  const arn = ruleArn(local.region, local.accountId, eventBusName, name);
  const schedule = p.ScheduleExpression === undefined ? undefined : String(p.ScheduleExpression);
  const pattern =
    p.EventPattern === undefined
      ? undefined
      : typeof p.EventPattern === 'string'
        ? p.EventPattern
        : JSON.stringify(p.EventPattern);
  if (schedule === undefined && pattern === undefined)
    throw new Error('a rule needs a ScheduleExpression or an EventPattern (it has neither)');
  if (schedule !== undefined) {
    parseScheduleExpression(schedule);
    if (eventBusName !== 'default')
      throw new Error(`ScheduleExpression is allowed only on the default event bus (not ${eventBusName})`);
  }
  const stateText = String(p.State ?? 'ENABLED');
  const state = STATES[stateText];
  if (state === undefined)
    throw new Error(`State ${JSON.stringify(stateText)} is not one of ${Object.keys(STATES).join(', ')}`);
  const targets = targetsOf(p.Targets);
  const notes = notApplied(p, [
    'Name',
    'Description',
    'EventBusName',
    'EventPattern',
    'ScheduleExpression',
    'State',
    'RoleArn',
    'Targets',
  ]);
  for (const target of targets) {
    const unapplied = Object.keys(
      (p.Targets as Array<Record<string, unknown>>).find((t) => t.Id === target.Id) ?? {},
    ).filter((key) => !TARGET_PROPERTIES.includes(key));
    if (unapplied.length > 0) notes.push(`target ${target.Id}: not applied locally: ${unapplied.join(', ')}`);
  }
  for (const target of targets) {
    if (deliveryKind(target.Arn) === undefined)
      notes.push(
        `target ${target.Id} (${target.Arn}) is not delivered locally (Lambda, SQS and SNS targets are)`,
      );
  }

  const log = (line: string) => ctx.options.onLog?.(logicalId, line);
  const sendToQueue = async (queueArn: string, body: string, attributes: Record<string, string>) => {
    await ctx.sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrlOf(ctx, queueArn),
        MessageBody: body,
        MessageAttributes: Object.fromEntries(
          Object.entries(attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]),
        ),
      }),
    );
  };
  rules.put(
    {
      name,
      arn,
      eventBusName,
      ...(schedule === undefined ? {} : { scheduleExpression: schedule }),
      ...(pattern === undefined ? {} : { eventPattern: pattern }),
      ...(typeof p.Description === 'string' ? { description: p.Description } : {}),
      ...(typeof p.RoleArn === 'string' ? { roleArn: p.RoleArn } : {}),
      region: local.region,
      accountId: local.accountId,
      targets,
    },
    state,
    (target, input) => deliver(ctx, target, input),
    log,
    `${local.stackName}/${logicalId}`,
    sendToQueue,
  );
  const forget = async () => rules.remove(arn);
  return {
    // Ref answers the rule's name, `<bus>|<name>` on a bus other than the default.
    physicalId: eventBusName === 'default' ? name : `${eventBusName}|${name}`,
    attributes: { Arn: arn },
    notes,
    stop: forget,
    remove: forget,
  };
}

function targetsOf(value: unknown): RuleTarget[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`Targets must be a list (got ${JSON.stringify(value)})`);
  return value.map((target, i) => {
    if (!isRecord(target) || typeof target.Id !== 'string' || typeof target.Arn !== 'string')
      throw new Error(`Targets[${i}] needs an Id and an Arn (got ${JSON.stringify(target)})`);
    const transformer = target.InputTransformer;
    if (
      transformer !== undefined &&
      (!isRecord(transformer) || typeof transformer.InputTemplate !== 'string')
    )
      throw new Error(
        `Targets[${i}].InputTransformer needs an InputTemplate (got ${JSON.stringify(transformer)})`,
      );
    return {
      Id: target.Id,
      Arn: target.Arn,
      ...(target.Input === undefined ? {} : { Input: String(target.Input) }),
      ...(target.InputPath === undefined ? {} : { InputPath: String(target.InputPath) }),
      ...(transformer === undefined
        ? {}
        : {
            InputTransformer: {
              InputTemplate: transformer.InputTemplate as string,
              ...(isRecord(transformer.InputPathsMap)
                ? { InputPathsMap: transformer.InputPathsMap as Record<string, string> }
                : {}),
            },
          }),
      ...(typeof target.RoleArn === 'string' ? { RoleArn: target.RoleArn } : {}),
      ...(isRecord(target.RetryPolicy)
        ? { RetryPolicy: target.RetryPolicy as NonNullable<RuleTarget['RetryPolicy']> }
        : {}),
      ...(target.DeadLetterConfig === undefined ? {} : { DeadLetterConfig: deadLetterOf(target, i) }),
    };
  });
}

function deadLetterOf(target: Record<string, unknown>, i: number): { Arn: string } {
  const config = target.DeadLetterConfig;
  if (!isRecord(config) || typeof config.Arn !== 'string')
    throw new Error(`Targets[${i}].DeadLetterConfig needs an Arn (got ${JSON.stringify(config)})`);
  return { Arn: config.Arn };
}

/** The cloud's URL of a queue, from its ARN. */
function queueUrlOf(ctx: CreatorContext, queueArn: string): string {
  return queueUrlOfArn(ctx.local.cloudEndpoint, queueArn);
}

export { deliveryKind };

/** Sends a target (Lambda function of the stack, SQS queue, SNS topic) its input; rejects with the reason it could not. */
export async function deliver(ctx: CreatorContext, target: RuleTarget, input: unknown): Promise<void> {
  const kind = deliveryKind(target.Arn);
  const text = typeof input === 'string' ? input : JSON.stringify(input);
  if (kind === 'lambda') {
    const fn = ctx.functionNamed(target.Arn);
    if (fn === undefined) throw new Error('no such function runs in this stack');
    const outcome = await fn.invoke(input);
    // The function took the event: its failure is not a failed delivery (no retry, no dead letter).
    if (!outcome.ok)
      throw new TargetTookEvent(
        `the function failed: ${outcome.error.errorType}: ${outcome.error.errorMessage}`,
      );
    return;
  }
  if (kind === 'sqs') {
    await ctx.sqs.send(new SendMessageCommand({ QueueUrl: queueUrlOf(ctx, target.Arn), MessageBody: text }));
    return;
  }
  if (kind === 'sns') {
    await snsQuery(ctx.local.cloudEndpoint, ctx.local.region, {
      Action: 'Publish',
      TopicArn: target.Arn,
      Message: text,
    });
    return;
  }
  throw new Error('this target type is not delivered by the local cloud (Lambda, SQS and SNS are)');
}
