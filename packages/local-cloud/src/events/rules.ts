/**
 * The EventBridge rules of the local cloud, kept in this process: what the deployer creates for
 * AWS::Events::Rule, what the EventBridge API (src/events/api.ts) lists, enables and disables. An enabled rule
 * with a ScheduleExpression runs on the clock (src/events/schedule-timer.ts) and sends the scheduled event
 * AWS sends to each of its targets; a disabled one does not fire. An enabled rule with an EventPattern
 * (src/events/event-pattern.ts) sends each event put on its bus (PutEvents, `putEvent`) that matches it to its
 * targets.
 */

import { randomUUID } from 'node:crypto';
import { EventBuses } from './buses.js';
import { deliverWithRetries, type RetryPolicy, retryPolicyOf } from './delivery.js';
import { type EventPattern, matchesPattern, parseEventPattern } from './event-pattern.js';
import { parseScheduleExpression } from './schedule-expression.js';
import { type ScheduleTimer, scheduleScale, startScheduleTimer } from './schedule-timer.js';
import { targetInput } from './target-input.js';

export type RuleState = 'ENABLED' | 'DISABLED';

export interface RuleTarget {
  readonly Id: string;
  readonly Arn: string;
  readonly Input?: string;
  readonly InputPath?: string;
  readonly InputTransformer?: { InputPathsMap?: Record<string, string>; InputTemplate: string };
  readonly RoleArn?: string;
  /** How often and how long a failed delivery is retried (delivery.ts). */
  readonly RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
  /** The SQS queue an event goes to once its delivery has failed for good. */
  readonly DeadLetterConfig?: { Arn: string };
}

export interface EventRule {
  readonly name: string;
  readonly arn: string;
  readonly eventBusName: string;
  readonly scheduleExpression?: string;
  readonly eventPattern?: string;
  readonly description?: string;
  readonly roleArn?: string;
  readonly region: string;
  readonly accountId: string;
  readonly targets: readonly RuleTarget[];
}

/** Sends a target its input; rejects with the reason it could not be delivered (logged, not fatal). */
export type DeliverToTarget = (target: RuleTarget, input: unknown) => Promise<void>;

/** Sends a message to an SQS queue by ARN, with string message attributes (a target's dead-letter queue). */
export type SendToQueue = (
  queueArn: string,
  body: string,
  attributes: Record<string, string>,
) => Promise<void>;

interface Entry {
  rule: EventRule;
  state: RuleState;
  deliver: DeliverToTarget;
  onError: (message: string) => void;
  timer: ScheduleTimer | undefined;
  /** The rule's EventPattern, checked. */
  pattern: EventPattern | undefined;
  /** Each scheduled fire so far (due time), newest last; at most 100. */
  fires: number[];
  /** Who put it (a stack's resource), to refuse another with the same name. */
  owner: string;
  /** Each target's retry policy, read when the rule was put. */
  policies: Map<string, RetryPolicy>;
  sendToQueue: SendToQueue | undefined;
}

const FIRES_KEPT = 100;

export class EventRules {
  private readonly entries = new Map<string, Entry>();
  /** The buses rules and events name. */
  readonly buses = new EventBuses();

  /**
   * Adds (or replaces) a rule, running its schedule when enabled. A bad expression throws naming it, and so
   * does a rule of the same name on the same bus that another `owner` (a stack's resource) put.
   */
  put(
    rule: EventRule,
    state: RuleState,
    deliver: DeliverToTarget,
    onError: (message: string) => void = () => {},
    owner = '',
    sendToQueue?: SendToQueue,
  ): void {
    if (!this.buses.exists(rule.eventBusName))
      throw new Error(`Event bus ${rule.eventBusName} does not exist.`);
    if (rule.scheduleExpression !== undefined) parseScheduleExpression(rule.scheduleExpression);
    const policies = policiesOf(rule.targets);
    const pattern = rule.eventPattern === undefined ? undefined : parseEventPattern(rule.eventPattern);
    const existing = this.entries.get(rule.arn);
    if (existing !== undefined && existing.owner !== owner)
      throw new Error(
        `rule ${rule.name} already exists on event bus ${rule.eventBusName} (${existing.owner})`,
      );
    this.remove(rule.arn);
    const entry: Entry = {
      rule,
      state,
      deliver,
      onError,
      timer: undefined,
      pattern,
      fires: [],
      owner,
      policies,
      sendToQueue,
    };
    this.entries.set(rule.arn, entry);
    this.startTimer(entry);
  }

  /** Who put the rule (a stack's resource, or `PutRule`), or undefined when there is none. */
  ownerOf(name: string, eventBusName = 'default'): string | undefined {
    const found = this.find(name, eventBusName);
    return found === undefined ? undefined : this.entries.get(found.rule.arn)?.owner;
  }

  /**
   * Gives a rule new targets, its schedule running on undisturbed; false when there is no such rule. A target's
   * bad RetryPolicy or DeadLetterConfig throws naming it, and nothing changes.
   */
  setTargets(name: string, eventBusName: string, targets: readonly RuleTarget[]): boolean {
    const found = this.find(name, eventBusName);
    const entry = found === undefined ? undefined : this.entries.get(found.rule.arn);
    if (entry === undefined) return false;
    const policies = policiesOf(targets);
    entry.rule = { ...entry.rule, targets };
    entry.policies = policies;
    return true;
  }

  /** Stops and forgets every rule `owner` put (the cloud's API rules when it stops). */
  removeOwnedBy(owner: string): void {
    for (const [arn, entry] of [...this.entries]) if (entry.owner === owner) this.remove(arn);
  }

  /** The rules on a bus, by name (DeleteEventBus refuses a bus that has rules). */
  rulesOnBus(eventBusName: string): string[] {
    const bus = busNameOf(eventBusName);
    return [...this.entries.values()].filter((e) => e.rule.eventBusName === bus).map((e) => e.rule.name);
  }

  /** Stops and forgets a rule (no-op when it is not here). */
  remove(arn: string): void {
    const entry = this.entries.get(arn);
    entry?.timer?.stop();
    this.entries.delete(arn);
  }

  find(name: string, eventBusName = 'default'): { rule: EventRule; state: RuleState } | undefined {
    const bus = busNameOf(eventBusName);
    for (const entry of this.entries.values())
      if (entry.rule.name === name && entry.rule.eventBusName === bus)
        return { rule: entry.rule, state: entry.state };
    return undefined;
  }

  list(eventBusName = 'default'): Array<{ rule: EventRule; state: RuleState }> {
    const bus = busNameOf(eventBusName);
    return [...this.entries.values()]
      .filter((entry) => entry.rule.eventBusName === bus)
      .map((entry) => ({ rule: entry.rule, state: entry.state }))
      .sort((a, b) => (a.rule.name < b.rule.name ? -1 : a.rule.name > b.rule.name ? 1 : 0));
  }

  /** Enables or disables a rule by name; false when there is none. Enabling restarts its rate from now. */
  setState(name: string, eventBusName: string, state: RuleState): boolean {
    const found = this.find(name, eventBusName);
    const entry = found === undefined ? undefined : this.entries.get(found.rule.arn);
    if (entry === undefined) return false;
    if (entry.state === state) return true;
    entry.state = state;
    entry.timer?.stop();
    entry.timer = undefined;
    this.startTimer(entry);
    return true;
  }

  /** When each scheduled fire of the rule was due (epoch ms), oldest first: for tests and diagnostics. */
  firesOf(arn: string): readonly number[] {
    return [...(this.entries.get(arn)?.fires ?? [])];
  }

  /** When the rule fires next (epoch ms), or undefined (disabled, unscheduled, or never again). */
  nextFireOf(arn: string): number | undefined {
    return this.entries.get(arn)?.timer?.nextFireMs;
  }

  /**
   * Sends an event put on `eventBusName` to the targets of each enabled rule of that bus whose pattern it
   * matches (asynchronously, as EventBridge does); answers the names of those rules.
   */
  putEvent(eventBusName: string, event: Record<string, unknown>): string[] {
    const bus = busNameOf(eventBusName);
    const matched: string[] = [];
    for (const entry of this.entries.values()) {
      if (entry.rule.eventBusName !== bus || entry.state !== 'ENABLED' || entry.pattern === undefined)
        continue;
      if (!matchesPattern(entry.pattern, event)) continue;
      matched.push(entry.rule.name);
      this.send(entry, event);
    }
    return matched;
  }

  private startTimer(entry: Entry): void {
    const text = entry.rule.scheduleExpression;
    if (text === undefined || entry.state !== 'ENABLED') return;
    entry.timer = startScheduleTimer(parseScheduleExpression(text), (dueMs) => this.fire(entry, dueMs), {
      scale: scheduleScale(),
    });
  }

  private fire(entry: Entry, dueMs: number): void {
    const { rule } = entry;
    entry.fires.push(dueMs);
    if (entry.fires.length > FIRES_KEPT) entry.fires.shift();
    this.send(entry, scheduledEvent(rule, dueMs));
  }

  private send(entry: Entry, event: Record<string, unknown>): void {
    const { rule } = entry;
    for (const target of rule.targets) {
      let input: unknown;
      try {
        input = targetInput(target, event);
      } catch (error) {
        entry.onError(`rule ${rule.name}, target ${target.Id}: ${(error as Error).message}`);
        continue;
      }
      // Delivered asynchronously, as EventBridge invokes: a slow target does not hold the schedule.
      const where = `rule ${rule.name}: delivery to target ${target.Id} (${target.Arn}) failed`;
      const deadLetterArn = target.DeadLetterConfig?.Arn;
      const sendToQueue = entry.sendToQueue;
      void deliverWithRetries({
        attempt: () => entry.deliver(target, input),
        policy: entry.policies.get(target.Id) ?? retryPolicyOf(undefined),
        ...(deadLetterArn === undefined || sendToQueue === undefined
          ? {}
          : {
              deadLetter: (error: Error) =>
                sendToQueue(deadLetterArn, JSON.stringify(event), {
                  RULE_ARN: rule.arn,
                  TARGET_ARN: target.Arn,
                  ERROR_CODE: errorCodeOf(error),
                  ERROR_MESSAGE: error.message,
                }),
            }),
        onLog: (line) => entry.onError(`${where}: ${line}`),
        live: () => this.entries.get(rule.arn) === entry,
      });
    }
  }
}

/** Each target's retry policy, checked with its dead-letter queue; throws naming a bad one. */
function policiesOf(targets: readonly RuleTarget[]): Map<string, RetryPolicy> {
  for (const t of targets)
    if (t.DeadLetterConfig !== undefined && !/^arn:aws[\w-]*:sqs:/.test(t.DeadLetterConfig.Arn))
      throw new Error(
        `target ${t.Id}: DeadLetterConfig.Arn ${t.DeadLetterConfig.Arn} is not an SQS queue ARN`,
      );
  return new Map(targets.map((t) => [t.Id, retryPolicyOf(t.RetryPolicy)]));
}

/** The ERROR_CODE EventBridge gives a dead-lettered event: the target is gone, or the call failed. */
function errorCodeOf(error: Error): string {
  return /not ?found|NonExistent|does not exist|no such/i.test(error.message)
    ? 'RESOURCE_NOT_FOUND'
    : 'SDK_CLIENT_ERROR';
}

/** The event EventBridge sends for a scheduled rule's fire (times without milliseconds, as AWS writes them). */
export function scheduledEvent(rule: EventRule, dueMs: number): Record<string, unknown> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: rule.accountId,
    time: new Date(dueMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: rule.region,
    resources: [rule.arn],
    detail: {},
  };
}

/** A bus name from a name or an ARN (`arn:aws:events:<region>:<account>:event-bus/<name>`). */
export function busNameOf(nameOrArn: string): string {
  const fromArn = /:event-bus\/(.+)$/.exec(nameOrArn)?.[1];
  return fromArn ?? nameOrArn;
}

/** The rule ARN AWS gives: `rule/<name>` on the default bus, `rule/<bus>/<name>` on another. */
export function ruleArn(region: string, accountId: string, eventBusName: string, name: string): string {
  const bus = busNameOf(eventBusName);
  return `arn:aws:events:${region}:${accountId}:rule/${bus === 'default' ? '' : `${bus}/`}${name}`;
}

/** The rules of this process: the deployer adds to it, the cloud's EventBridge API serves it. */
export const localEventRules = new EventRules();
