/**
 * How EventBridge retries a target it could not deliver to, and where an undeliverable event goes (pure policy
 * plus a small loop). A target's RetryPolicy: MaximumRetryAttempts (0 to 185, default 185) and
 * MaximumEventAgeInSeconds (60 to 86,400, default 86,400); retries back off exponentially (1 s, 2 s, 4 s... at most
 * 60 s between tries; AWS adds jitter and does not publish its intervals). When the retries or the event's age run
 * out, the event goes to the target's DeadLetterConfig (an SQS queue) with the attributes EventBridge sets
 * (RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE), else it is dropped (and logged).
 *
 * What counts as a failed delivery is what EventBridge counts: the target could not take the event (no such
 * function, queue or topic). A Lambda function that took the event and then failed is Lambda's business (its
 * own asynchronous retries, not emulated), not a failed delivery: `TargetTookEvent` marks that.
 */

export interface RetryPolicy {
  readonly maximumRetryAttempts: number;
  readonly maximumEventAgeSeconds: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maximumRetryAttempts: 185,
  maximumEventAgeSeconds: 86_400,
};

const FIRST_RETRY_MS = 1_000;
const LONGEST_RETRY_MS = 60_000;

/** Reads a target's RetryPolicy (numbers or numeric strings); throws naming a value out of AWS's ranges. */
export function retryPolicyOf(value: unknown): RetryPolicy {
  if (value === undefined) return DEFAULT_RETRY_POLICY;
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new Error(`RetryPolicy must be an object (got ${JSON.stringify(value)})`);
  const v = value as Record<string, unknown>;
  const whole = (key: string, min: number, max: number, fallback: number): number => {
    if (v[key] === undefined) return fallback;
    const n = Number(v[key]);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(
        `RetryPolicy.${key} must be a whole number from ${min} to ${max} (got ${JSON.stringify(v[key])})`,
      );
    return n;
  };
  return {
    maximumRetryAttempts: whole('MaximumRetryAttempts', 0, 185, DEFAULT_RETRY_POLICY.maximumRetryAttempts),
    maximumEventAgeSeconds: whole(
      'MaximumEventAgeInSeconds',
      60,
      86_400,
      DEFAULT_RETRY_POLICY.maximumEventAgeSeconds,
    ),
  };
}

/**
 * The wait before retry number `retry` (1 for the first) of an event first tried at `firstTryMs`, or undefined
 * when the policy says to stop: no retries left, or the event would be past its maximum age by then.
 */
export function retryDelayMs(
  policy: RetryPolicy,
  retry: number,
  firstTryMs: number,
  nowMs: number,
): number | undefined {
  if (retry > policy.maximumRetryAttempts) return undefined;
  const delay = Math.min(FIRST_RETRY_MS * 2 ** (retry - 1), LONGEST_RETRY_MS);
  if (nowMs + delay - firstTryMs > policy.maximumEventAgeSeconds * 1000) return undefined;
  return delay;
}

/** Thrown by a delivery that reached its target, which then failed: not retried, not dead-lettered. */
export class TargetTookEvent extends Error {}

export interface DeliveryAttempts {
  /** One try; rejects with why the target could not take the event. */
  readonly attempt: () => Promise<void>;
  readonly policy: RetryPolicy;
  /** Sends the event to the dead-letter queue, told the last error; undefined: no DeadLetterConfig. */
  readonly deadLetter?: (error: Error) => Promise<void>;
  readonly onLog: (line: string) => void;
  /** Whether to go on: false once the rule is gone. */
  readonly live: () => boolean;
}

/** Tries, retries by the policy, then dead-letters or drops; never rejects. */
export async function deliverWithRetries(d: DeliveryAttempts): Promise<void> {
  const firstTryMs = Date.now();
  for (let retry = 1; ; retry++) {
    let failure: Error;
    try {
      await d.attempt();
      return;
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    }
    if (failure instanceof TargetTookEvent) {
      d.onLog(failure.message);
      return;
    }
    // A rule deleted meanwhile takes its pending retries with it.
    if (!d.live()) return;
    const delay = retryDelayMs(d.policy, retry, firstTryMs, Date.now());
    if (delay === undefined) {
      const tries = `after ${retry} ${retry === 1 ? 'try' : 'tries'}`;
      if (d.deadLetter === undefined) {
        d.onLog(`${failure.message} (${tries}; dropped: the target has no DeadLetterConfig)`);
        return;
      }
      try {
        await d.deadLetter(failure);
        d.onLog(`${failure.message} (${tries}; sent to the dead-letter queue)`);
      } catch (error) {
        d.onLog(
          `${failure.message} (${tries}); the dead-letter queue failed too: ${(error as Error).message}`,
        );
      }
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, delay).unref());
  }
}
