/**
 * The part of the EventBridge API (AWS JSON 1.1, `X-Amz-Target: AWSEvents.<Operation>`, signing name
 * `events`) that shows the rules the stacks deployed, turns them on and off, and puts events to them: ListRules,
 * DescribeRule, EnableRule, DisableRule, ListTargetsByRule, ListRuleNamesByTarget, PutEvents (put-events.ts);
 * and the custom event buses: CreateEventBus, DeleteEventBus, DescribeEventBus, ListEventBuses; with `targets`
 * (how the cloud reaches a target), the rules made through the API too: PutRule, PutTargets, RemoveTargets,
 * DeleteRule (rule-api.ts). Other operations answer UnknownOperationException naming them.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { closeServer, listenLocal } from '../http-server.js';
import { AwsApiError } from '../services/aws-errors.js';
import {
  type JsonObject,
  jsonProtocolHandler,
  optionalNumber,
  optionalString,
  requiredString,
} from '../services/json-protocol.js';
import { BusExistsError, busArn, DEFAULT_BUS, type EventBus, EventBuses } from './buses.js';
import type { CloudTargets } from './cloud-targets.js';
import { type PutEventsContext, putEvents } from './put-events.js';
import { existingRule, ruleWriteOperations } from './rule-api.js';
import { busNameOf, type EventRule, type EventRules, type RuleState } from './rules.js';

const MAX_LIMIT = 100;

function ruleShape(rule: EventRule, state: RuleState): JsonObject {
  return {
    Name: rule.name,
    Arn: rule.arn,
    ...(rule.eventPattern === undefined ? {} : { EventPattern: rule.eventPattern }),
    State: state,
    ...(rule.description === undefined ? {} : { Description: rule.description }),
    ...(rule.scheduleExpression === undefined ? {} : { ScheduleExpression: rule.scheduleExpression }),
    ...(rule.roleArn === undefined ? {} : { RoleArn: rule.roleArn }),
    EventBusName: rule.eventBusName,
  };
}

/** One page of `items`: NextToken is the index of the next item. */
function page<T>(items: T[], input: JsonObject): { items: T[]; nextToken?: string } {
  const limit = optionalNumber(input, 'Limit') ?? MAX_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    throw new AwsApiError(
      'ValidationException',
      `Limit ${limit} is not a whole number from 1 to ${MAX_LIMIT}.`,
    );
  const token = optionalString(input, 'NextToken');
  const start = token === undefined ? 0 : Number(token);
  if (!Number.isInteger(start) || start < 0 || start > items.length)
    throw new AwsApiError('ValidationException', `NextToken ${JSON.stringify(token)} is not valid.`);
  const end = start + limit;
  return { items: items.slice(start, end), ...(end < items.length ? { nextToken: String(end) } : {}) };
}

const LOCAL: PutEventsContext = { region: 'us-east-1', accountId: '000000000000' };

export function eventsOperations(
  rules: EventRules,
  context: PutEventsContext = LOCAL,
  targets?: CloudTargets,
  onError: (message: string) => void = () => {},
) {
  const bus = (input: JsonObject) => busNameOf(optionalString(input, 'EventBusName') ?? 'default');
  const existing = (name: string, busName: string) => existingRule(rules, name, busName);
  const setState = (state: RuleState) => (input: JsonObject) => {
    const name = requiredString(input, 'Name');
    const busName = bus(input);
    existing(name, busName);
    rules.setState(name, busName, state);
    return {};
  };
  const busShape = (b: Pick<EventBus, 'name' | 'arn' | 'description'> & { createdAtMs?: number }) => ({
    Name: b.name,
    Arn: b.arn,
    ...(b.description === undefined ? {} : { Description: b.description }),
    ...(b.createdAtMs === undefined
      ? {}
      : { CreationTime: b.createdAtMs / 1000, LastModifiedTime: b.createdAtMs / 1000 }),
  });
  const defaultBus = () => ({
    name: DEFAULT_BUS,
    arn: busArn(context.region, context.accountId, DEFAULT_BUS),
  });
  return {
    ...(targets === undefined ? {} : ruleWriteOperations(rules, context, targets, onError)),
    CreateEventBus: (input: JsonObject) => {
      const name = requiredString(input, 'Name');
      if (input.EventSourceName !== undefined)
        throw new AwsApiError(
          'ValidationException',
          'Partner event buses (EventSourceName) are not served by the local cloud.',
        );
      try {
        EventBuses.checkName(name);
      } catch (error) {
        throw new AwsApiError(
          'ValidationException',
          `Event bus name ${name} is not valid: ${(error as Error).message}.`,
        );
      }
      const arn = busArn(context.region, context.accountId, name);
      const description = optionalString(input, 'Description');
      try {
        rules.buses.create({
          name,
          arn,
          ...(description === undefined ? {} : { description }),
          createdAtMs: Date.now(),
          owner: 'CreateEventBus',
        });
      } catch (error) {
        if (error instanceof BusExistsError)
          throw new AwsApiError('ResourceAlreadyExistsException', error.message);
        throw error;
      }
      return { EventBusArn: arn, ...(description === undefined ? {} : { Description: description }) };
    },
    DeleteEventBus: (input: JsonObject) => {
      const name = busNameOf(requiredString(input, 'Name'));
      if (name === DEFAULT_BUS)
        throw new AwsApiError('ValidationException', 'Cannot delete event bus default.');
      const bus = rules.buses.find(name);
      // As EventBridge: deleting a bus that does not exist succeeds.
      if (bus === undefined) return {};
      if (!bus.owner.startsWith('CreateEventBus'))
        throw new AwsApiError(
          'ValidationException',
          `Event bus ${name} belongs to the stack resource ${bus.owner}: delete it with its stack.`,
        );
      const onBus = rules.rulesOnBus(name);
      if (onBus.length > 0)
        throw new AwsApiError(
          'ValidationException',
          `Event bus ${name} still has rules (${onBus.join(', ')}): the local cloud deletes a bus without rules only.`,
        );
      rules.buses.delete(name);
      return {};
    },
    DescribeEventBus: (input: JsonObject) => {
      const name = busNameOf(optionalString(input, 'Name') ?? DEFAULT_BUS);
      if (name === DEFAULT_BUS) return busShape(defaultBus());
      const found = rules.buses.find(name);
      if (found === undefined)
        throw new AwsApiError('ResourceNotFoundException', `Event bus ${name} does not exist.`);
      return busShape(found);
    },
    ListEventBuses: (input: JsonObject) => {
      const prefix = optionalString(input, 'NamePrefix') ?? '';
      const all = [defaultBus(), ...rules.buses.list()].filter((b) => b.name.startsWith(prefix));
      const { items, nextToken } = page(all, input);
      return {
        EventBuses: items.map(busShape),
        ...(nextToken === undefined ? {} : { NextToken: nextToken }),
      };
    },
    ListRules: (input: JsonObject) => {
      const prefix = optionalString(input, 'NamePrefix') ?? '';
      const matching = rules.list(bus(input)).filter(({ rule }) => rule.name.startsWith(prefix));
      const { items, nextToken } = page(matching, input);
      return {
        Rules: items.map(({ rule, state }) => ruleShape(rule, state)),
        ...(nextToken === undefined ? {} : { NextToken: nextToken }),
      };
    },
    DescribeRule: (input: JsonObject) => {
      const { rule, state } = existing(requiredString(input, 'Name'), bus(input));
      return { ...ruleShape(rule, state), CreatedBy: rule.accountId };
    },
    PutEvents: (input: JsonObject) => putEvents(rules, input, context),
    EnableRule: setState('ENABLED'),
    DisableRule: setState('DISABLED'),
    ListTargetsByRule: (input: JsonObject) => {
      const { rule } = existing(requiredString(input, 'Rule'), bus(input));
      const { items, nextToken } = page([...rule.targets], input);
      return { Targets: items, ...(nextToken === undefined ? {} : { NextToken: nextToken }) };
    },
    ListRuleNamesByTarget: (input: JsonObject) => {
      const arn = requiredString(input, 'TargetArn');
      const names = rules
        .list(bus(input))
        .filter(({ rule }) => rule.targets.some((t) => t.Arn === arn))
        .map(({ rule }) => rule.name);
      const { items, nextToken } = page(names, input);
      return { RuleNames: items, ...(nextToken === undefined ? {} : { NextToken: nextToken }) };
    },
  };
}

export interface EventsServer {
  readonly origin: string;
  stop(): Promise<void>;
}

/** Serves `rules` on a port of its own (the cloud routes `events` to it). */
export async function startEventsServer(
  rules: EventRules,
  options: {
    onInternalError?: (message: string) => void;
    context?: PutEventsContext;
    /** How rules made through the API reach their targets; without, PutRule and the rest are not served. */
    targets?: CloudTargets;
    /** A failed delivery of a rule made through the API (source: the rule). */
    onRuleLog?: (message: string) => void;
  } = {},
): Promise<EventsServer> {
  const handler = jsonProtocolHandler({
    targetPrefix: 'AWSEvents.',
    contentType: 'application/x-amz-json-1.1',
    operations: eventsOperations(rules, options.context, options.targets, options.onRuleLog),
    ...(options.onInternalError === undefined ? {} : { onInternalError: options.onInternalError }),
  });
  const server = await listenLocal((req: IncomingMessage, res: ServerResponse) => handler(req, res));
  let stopped: Promise<void> | undefined;
  return {
    origin: server.origin,
    stop() {
      stopped ??= closeServer(server.server).finally(() => options.targets?.stop());
      return stopped;
    },
  };
}
