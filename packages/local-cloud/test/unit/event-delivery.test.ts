import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  deliverWithRetries,
  retryDelayMs,
  retryPolicyOf,
  TargetTookEvent,
} from '../../src/events/delivery.js';

describe('EventBridge retry policy', () => {
  it('defaults to 185 retries over 24 hours, as EventBridge', () => {
    expect(retryPolicyOf(undefined)).toEqual(DEFAULT_RETRY_POLICY);
    expect(DEFAULT_RETRY_POLICY).toEqual({ maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400 });
  });

  it.each([
    [{ MaximumRetryAttempts: 186 }, /MaximumRetryAttempts must be a whole number from 0 to 185 \(got 186\)/],
    [
      { MaximumEventAgeInSeconds: 59 },
      /MaximumEventAgeInSeconds must be a whole number from 60 to 86400 \(got 59\)/,
    ],
    [{ MaximumRetryAttempts: 'many' }, /got "many"/],
    [[1], /RetryPolicy must be an object/],
  ])('refuses a policy out of range, naming the value (%#)', (policy, message) => {
    expect(() => retryPolicyOf(policy)).toThrow(message);
  });

  it('backs off exponentially up to a minute, and stops after the last retry', () => {
    const policy = retryPolicyOf({ MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86_400 });
    const delays = [1, 2, 3, 7, 8, 9].map((retry) => retryDelayMs(policy, retry, 0, 0));
    expect(delays).toEqual([1_000, 2_000, 4_000, 60_000, 60_000, undefined]);
  });

  it('stops when the event would be older than its maximum age at the next try', () => {
    const policy = retryPolicyOf({ MaximumEventAgeInSeconds: 60 });
    expect(retryDelayMs(policy, 1, 0, 58_000)).toBe(1_000);
    expect(retryDelayMs(policy, 1, 0, 59_500)).toBeUndefined();
  });

  it('dead-letters after its retries, and never a target that took the event', async () => {
    const logs: string[] = [];
    let tries = 0;
    const deadLettered: string[] = [];
    await deliverWithRetries({
      attempt: async () => {
        tries++;
        throw new Error('queue gone');
      },
      policy: { maximumRetryAttempts: 0, maximumEventAgeSeconds: 60 },
      deadLetter: async (error) => {
        deadLettered.push(error.message);
      },
      onLog: (line) => logs.push(line),
      live: () => true,
    });
    expect([tries, deadLettered]).toEqual([1, ['queue gone']]);
    await deliverWithRetries({
      attempt: async () => {
        throw new TargetTookEvent('the function failed');
      },
      policy: DEFAULT_RETRY_POLICY,
      deadLetter: async (error) => {
        deadLettered.push(error.message);
      },
      onLog: (line) => logs.push(line),
      live: () => true,
    });
    expect(deadLettered).toEqual(['queue gone']);
    expect(logs).toEqual(['queue gone (after 1 try; sent to the dead-letter queue)', 'the function failed']);
  });
});
