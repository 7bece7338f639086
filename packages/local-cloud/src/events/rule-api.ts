/**
 * The EventBridge operations that make and change rules: PutRule, PutTargets, RemoveTargets, DeleteRule. A rule
 * made this way runs like a deployed one (its schedule on the clock, its pattern matched by PutEvents, its
 * targets' retries and dead letters), its targets reached through the cloud's endpoint (cloud-targets.ts). A
 * rule a stack deployed is changed with its stack: PutRule, PutTargets and RemoveTargets refuse it, naming the
 * stack's resource (DeleteRule does delete it, as on AWS).
 */

import { AwsApiError } from '../services/aws-errors.js';
import { type JsonObject, optionalString, requiredString } from '../services/json-protocol.js';
import { DEFAULT_BUS } from './buses.js';
import type { CloudTargets } from './cloud-targets.js';
import { parseEventPattern } from './event-pattern.js';
import type { PutEventsContext } from './put-events.js';
import { busNameOf, type EventRules, type RuleState, type RuleTarget, ruleArn } from './rules.js';
import { parseScheduleExpression } from './schedule-expression.js';

/** Who puts a rule through the API (EventRules' owner). */
export const API_OWNER = 'PutRule';
/** EventBridge's limit of targets per rule. */
export const MAX_TARGETS_PER_RULE = 5;
const NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
const STATES: readonly string[] = ['ENABLED', 'DISABLED'];

function constraint(member: string, value: unknown, rule: string): AwsApiError {
  return new AwsApiError(
    'ValidationException',
    `1 validation error detected: Value ${JSON.stringify(value)} at '${member}' failed to satisfy constraint: ${rule}`,
  );
}

function checkedName(input: JsonObject, member: string): string {
  const name = requiredString(input, member);
  if (!NAME.test(name))
    throw constraint(
      member,
      name,
      'Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ (1 to 64)',
    );
  return name;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A target of PutTargets, as the rules keep it; throws a ValidationException naming what is wrong. */
function targetOf(value: unknown, i: number): RuleTarget {
  const where = `Targets.${i + 1}`;
  if (!isObject(value)) throw constraint(where, value, 'Member must be an object with Id and Arn');
  const id = value.Id;
  if (typeof id !== 'string' || !NAME.test(id))
    throw constraint(
      `${where}.Id`,
      id,
      'Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ (1 to 64)',
    );
  if (typeof value.Arn !== 'string' || value.Arn === '')
    throw constraint(`${where}.Arn`, value.Arn, 'Member must not be null');
  const text = (member: string): string | undefined => {
    const v = value[member];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw constraint(`${where}.${member}`, v, 'Member must be a string');
    return v;
  };
  const input = text('Input');
  if (input !== undefined) {
    try {
      JSON.parse(input);
    } catch {
      throw new AwsApiError(
        'ValidationException',
        `Target ${id}: Input ${JSON.stringify(input)} is not valid JSON.`,
      );
    }
  }
  const inputPath = text('InputPath');
  const roleArn = text('RoleArn');
  const transformer = value.InputTransformer;
  if (transformer !== undefined && (!isObject(transformer) || typeof transformer.InputTemplate !== 'string'))
    throw constraint(`${where}.InputTransformer`, transformer, 'InputTemplate must be a string');
  const retry = value.RetryPolicy;
  if (retry !== undefined && !isObject(retry))
    throw constraint(`${where}.RetryPolicy`, retry, 'Member must be an object');
  const deadLetter = value.DeadLetterConfig;
  if (deadLetter !== undefined && (!isObject(deadLetter) || typeof deadLetter.Arn !== 'string'))
    throw constraint(`${where}.DeadLetterConfig`, deadLetter, 'Arn must be a string');
  return {
    Id: id,
    Arn: value.Arn,
    ...(input === undefined ? {} : { Input: input }),
    ...(inputPath === undefined ? {} : { InputPath: inputPath }),
    ...(transformer === undefined
      ? {}
      : {
          InputTransformer: {
            InputTemplate: transformer.InputTemplate as string,
            ...(isObject(transformer.InputPathsMap)
              ? { InputPathsMap: transformer.InputPathsMap as Record<string, string> }
              : {}),
          },
        }),
    ...(roleArn === undefined ? {} : { RoleArn: roleArn }),
    ...(retry === undefined ? {} : { RetryPolicy: retry as NonNullable<RuleTarget['RetryPolicy']> }),
    ...(deadLetter === undefined ? {} : { DeadLetterConfig: { Arn: deadLetter.Arn as string } }),
  };
}

export function ruleWriteOperations(
  rules: EventRules,
  context: PutEventsContext,
  targets: CloudTargets,
  onError: (message: string) => void,
) {
  const busOf = (input: JsonObject) => busNameOf(optionalString(input, 'EventBusName') ?? DEFAULT_BUS);
  const existing = (name: string, busName: string) => existingRule(rules, name, busName);
  /** Refuses to change a rule a stack deployed. */
  const madeHere = (name: string, busName: string) => {
    const owner = rules.ownerOf(name, busName);
    if (owner !== undefined && owner !== API_OWNER)
      throw new AwsApiError(
        'ValidationException',
        `Rule ${name} belongs to the stack resource ${owner}: change it with its stack.`,
      );
  };
  const changeTargets = (name: string, busName: string, next: RuleTarget[]) => {
    try {
      rules.setTargets(name, busName, next);
    } catch (error) {
      throw new AwsApiError('ValidationException', (error as Error).message);
    }
  };

  return {
    PutRule: (input: JsonObject) => {
      const name = checkedName(input, 'Name');
      const busName = busOf(input);
      const schedule = optionalString(input, 'ScheduleExpression');
      const rawPattern = optionalString(input, 'EventPattern');
      if (schedule === undefined && rawPattern === undefined)
        throw new AwsApiError(
          'ValidationException',
          'Parameter(s) ScheduleExpression or EventPattern must be specified.',
        );
      if (schedule !== undefined) {
        if (busName !== DEFAULT_BUS)
          throw new AwsApiError(
            'ValidationException',
            `ScheduleExpression is supported only on the default event bus (not ${busName}).`,
          );
        try {
          parseScheduleExpression(schedule);
        } catch (error) {
          throw new AwsApiError(
            'ValidationException',
            `Parameter ScheduleExpression is not valid: ${(error as Error).message}`,
          );
        }
      }
      if (rawPattern !== undefined) {
        try {
          parseEventPattern(rawPattern);
        } catch (error) {
          throw new AwsApiError(
            'InvalidEventPatternException',
            `Event pattern is not valid. Reason: ${(error as Error).message}`,
          );
        }
      }
      const stateText = optionalString(input, 'State') ?? 'ENABLED';
      if (!STATES.includes(stateText))
        throw constraint('state', stateText, `Member must satisfy enum value set: [${STATES.join(', ')}]`);
      if (!rules.buses.exists(busName))
        throw new AwsApiError('ResourceNotFoundException', `Event bus ${busName} does not exist.`);
      madeHere(name, busName);
      const description = optionalString(input, 'Description');
      const roleArn = optionalString(input, 'RoleArn');
      const arn = ruleArn(context.region, context.accountId, busName, name);
      // As EventBridge: putting a rule again changes it and keeps its targets.
      const kept = rules.find(name, busName)?.rule.targets ?? [];
      rules.put(
        {
          name,
          arn,
          eventBusName: busName,
          ...(schedule === undefined ? {} : { scheduleExpression: schedule }),
          ...(rawPattern === undefined ? {} : { eventPattern: rawPattern }),
          ...(description === undefined ? {} : { description }),
          ...(roleArn === undefined ? {} : { roleArn }),
          region: context.region,
          accountId: context.accountId,
          targets: kept,
        },
        stateText as RuleState,
        targets.deliver,
        (line) => onError(line),
        API_OWNER,
        targets.sendToQueue,
      );
      return { RuleArn: arn };
    },
    PutTargets: (input: JsonObject) => {
      const name = checkedName(input, 'Rule');
      const busName = busOf(input);
      const { rule } = existing(name, busName);
      madeHere(name, busName);
      const list = input.Targets;
      if (!Array.isArray(list) || list.length < 1 || list.length > 10)
        throw constraint('targets', list, 'Member must have length between 1 and 10');
      const given = list.map(targetOf);
      const next = new Map(rule.targets.map((t) => [t.Id, t]));
      for (const target of given) next.set(target.Id, target);
      if (next.size > MAX_TARGETS_PER_RULE)
        throw new AwsApiError(
          'LimitExceededException',
          `Rule ${name} would have ${next.size} targets; a rule has at most ${MAX_TARGETS_PER_RULE}.`,
        );
      changeTargets(name, busName, [...next.values()]);
      return { FailedEntryCount: 0, FailedEntries: [] };
    },
    RemoveTargets: (input: JsonObject) => {
      const name = checkedName(input, 'Rule');
      const busName = busOf(input);
      const { rule } = existing(name, busName);
      madeHere(name, busName);
      const ids = input.Ids;
      if (
        !Array.isArray(ids) ||
        ids.length < 1 ||
        ids.length > 100 ||
        ids.some((id) => typeof id !== 'string')
      )
        throw constraint('ids', ids, 'Member must have length between 1 and 100');
      const removed = new Set(ids as string[]);
      changeTargets(
        name,
        busName,
        rule.targets.filter((t) => !removed.has(t.Id)),
      );
      return { FailedEntryCount: 0, FailedEntries: [] };
    },
    DeleteRule: (input: JsonObject) => {
      const name = checkedName(input, 'Name');
      const busName = busOf(input);
      const found = rules.find(name, busName);
      // As EventBridge: deleting a rule that does not exist succeeds.
      if (found === undefined) return {};
      if (found.rule.targets.length > 0)
        throw new AwsApiError('ValidationException', "Rule can't be deleted since it has targets.");
      rules.remove(found.rule.arn);
      return {};
    },
  };
}

/** The rule named on the bus, or EventBridge's ResourceNotFoundException. */
export function existingRule(rules: EventRules, name: string, busName: string) {
  const found = rules.find(name, busName);
  if (found === undefined)
    throw new AwsApiError('ResourceNotFoundException', `Rule ${name} does not exist on EventBus ${busName}.`);
  return found;
}
