/**
 * The part of the EventBridge API (AWS JSON 1.1, `X-Amz-Target: AWSEvents.<Operation>`, signing name
 * `events`) that shows the rules the stacks deployed, turns them on and off, and puts events to them: ListRules,
 * DescribeRule, EnableRule, DisableRule, ListTargetsByRule, ListRuleNamesByTarget, PutEvents (put-events.ts).
 * Rules are created by deploying AWS::Events::Rule; PutRule, PutTargets and the rest answer
 * UnknownOperationException naming them.
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
import { type PutEventsContext, putEvents } from './put-events.js';
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

export function eventsOperations(rules: EventRules, context: PutEventsContext = LOCAL) {
  const bus = (input: JsonObject) => busNameOf(optionalString(input, 'EventBusName') ?? 'default');
  const existing = (name: string, busName: string) => {
    const found = rules.find(name, busName);
    if (found === undefined)
      throw new AwsApiError(
        'ResourceNotFoundException',
        `Rule ${name} does not exist on EventBus ${busName}.`,
      );
    return found;
  };
  const setState = (state: RuleState) => (input: JsonObject) => {
    const name = requiredString(input, 'Name');
    const busName = bus(input);
    existing(name, busName);
    rules.setState(name, busName, state);
    return {};
  };
  return {
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
  options: { onInternalError?: (message: string) => void } = {},
): Promise<EventsServer> {
  const handler = jsonProtocolHandler({
    targetPrefix: 'AWSEvents.',
    contentType: 'application/x-amz-json-1.1',
    operations: eventsOperations(rules),
    ...(options.onInternalError === undefined ? {} : { onInternalError: options.onInternalError }),
  });
  const server = await listenLocal((req: IncomingMessage, res: ServerResponse) => handler(req, res));
  let stopped: Promise<void> | undefined;
  return {
    origin: server.origin,
    stop() {
      stopped ??= closeServer(server.server);
      return stopped;
    },
  };
}
