/**
 * EventBridge Scheduler schedules (AWS::Scheduler::Schedule): `at()`, `rate()` and `cron()` expressions (UTC)
 * run in this process (src/scheduler/) while the schedule is ENABLED, between its StartDate and EndDate, and
 * invoke their target as Scheduler does: a Lambda function of the stack (asynchronously) gets the Input (JSON) as
 * its event, an SQS queue the Input as a message body, an SNS topic as a publication; no Input sends `{}`. The
 * context attributes `<aws.scheduler.schedule-arn>`, `<aws.scheduler.scheduled-time>`,
 * `<aws.scheduler.execution-id>` and `<aws.scheduler.attempt-number>` in the Input are filled in. A failed
 * invocation is logged (source: the schedule's logical id) and not retried; other targets (universal targets,
 * ECS...) are noted and not invoked; FlexibleTimeWindow, RetryPolicy, DeadLetterConfig, KmsKeyArn and
 * ActionAfterCompletion are not applied (noted).
 */

import { randomUUID } from 'node:crypto';
import { runSchedule } from '../../scheduler/schedule-runner.js';
import { parseSchedulerExpression } from '../../scheduler/scheduler-expression.js';
import { isRecord, notApplied } from '../util.js';
import type { Created, CreatorContext } from './context.js';
import { deliver, deliveryKind } from './events-rule.js';

const STATES = ['ENABLED', 'DISABLED'];
const FLEXIBLE_MODES = ['OFF', 'FLEXIBLE'];

export async function createSchedulerSchedule(
  ctx: CreatorContext,
  logicalId: string,
  p: Record<string, unknown>,
): Promise<Created> {
  const { local } = ctx;
  const name = ctx.nameFor('AWS::Scheduler::Schedule', logicalId, p);
  const group = typeof p.GroupName === 'string' ? p.GroupName : 'default';
  const arn = `arn:aws:scheduler:${local.region}:${local.accountId}:schedule/${group}/${name}`;
  if (typeof p.ScheduleExpression !== 'string') throw new Error('a schedule needs a ScheduleExpression');
  const expression = parseSchedulerExpression(
    p.ScheduleExpression,
    typeof p.ScheduleExpressionTimezone === 'string' ? p.ScheduleExpressionTimezone : undefined,
  );
  const state = String(p.State ?? 'ENABLED');
  if (!STATES.includes(state))
    throw new Error(`State ${JSON.stringify(state)} is not one of ${STATES.join(', ')}`);
  const window = p.FlexibleTimeWindow;
  if (!isRecord(window) || !FLEXIBLE_MODES.includes(String(window.Mode)))
    throw new Error(
      `FlexibleTimeWindow needs a Mode, ${FLEXIBLE_MODES.join(' or ')} (got ${JSON.stringify(window)})`,
    );
  const target = p.Target;
  if (!isRecord(target) || typeof target.Arn !== 'string' || typeof target.RoleArn !== 'string')
    throw new Error(`Target needs an Arn and a RoleArn (got ${JSON.stringify(target)})`);
  const date = (key: 'StartDate' | 'EndDate'): number | undefined => {
    if (p[key] === undefined) return undefined;
    const ms = Date.parse(String(p[key]));
    if (Number.isNaN(ms)) throw new Error(`${key} ${JSON.stringify(p[key])} is not a date`);
    return ms;
  };
  const startMs = date('StartDate');
  const endMs = date('EndDate');
  if (startMs !== undefined && endMs !== undefined && endMs <= startMs)
    throw new Error(`EndDate ${String(p.EndDate)} is not after StartDate ${String(p.StartDate)}`);

  const notes = notApplied(p, [
    'Name',
    'GroupName',
    'Description',
    'ScheduleExpression',
    'ScheduleExpressionTimezone',
    'State',
    'StartDate',
    'EndDate',
    'Target',
  ]);
  if (window.Mode === 'FLEXIBLE')
    notes.push('FlexibleTimeWindow FLEXIBLE is not applied: the local cloud invokes at the due time');
  for (const key of [
    'RetryPolicy',
    'DeadLetterConfig',
    'SqsParameters',
    'EcsParameters',
    'EventBridgeParameters',
  ])
    if (target[key] !== undefined) notes.push(`Target.${key} is not applied locally`);
  const kind = deliveryKind(target.Arn);
  if (kind === undefined)
    notes.push(`target ${target.Arn} is not invoked locally (Lambda, SQS and SNS targets are)`);

  const targetArn = target.Arn;
  const template = typeof target.Input === 'string' ? target.Input : '{}';
  const log = (line: string) => ctx.options.onLog?.(logicalId, line);
  const stop =
    state === 'ENABLED' && kind !== undefined
      ? runSchedule(
          expression,
          { ...(startMs === undefined ? {} : { startMs }), ...(endMs === undefined ? {} : { endMs }) },
          (dueMs) => {
            const text = withContext(template, {
              'schedule-arn': arn,
              'scheduled-time': new Date(dueMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
              'execution-id': randomUUID(),
              'attempt-number': '1',
            });
            let input: unknown = text;
            if (kind === 'lambda') {
              try {
                input = JSON.parse(text);
              } catch {
                log(
                  `schedule ${name}: the Input is not JSON, so the function is not invoked: ${text.slice(0, 200)}`,
                );
                return;
              }
            }
            void deliver(ctx, { Id: 'scheduler', Arn: targetArn }, input).catch((error: unknown) => {
              log(
                `schedule ${name}: invoking ${targetArn} failed: ${(error as Error).message ?? String(error)}`,
              );
            });
          },
        )
      : () => {};
  const forget = async () => stop();
  return {
    // Ref answers the schedule's name.
    physicalId: name,
    attributes: { Arn: arn },
    notes,
    stop: forget,
    remove: forget,
  };
}

/** Fills the `<aws.scheduler.*>` context attributes of an Input. */
function withContext(input: string, values: Readonly<Record<string, string>>): string {
  return input.replace(/<aws\.scheduler\.([a-z-]+)>/g, (whole, key: string) => values[key] ?? whole);
}
