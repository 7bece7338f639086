/** Per-route throttling from the stage's DefaultRouteSettings: a token bucket per route. */

import type { HttpApiOptions } from './types.js';

export class TokenBucket {
  private tokens: number;
  private last = performance.now();
  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }
  take(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** A route's bucket under the settings; undefined when they set no limit. */
export function routeBucket(settings: HttpApiOptions['defaultRouteSettings']): TokenBucket | undefined {
  if (settings?.throttlingRateLimit === undefined && settings?.throttlingBurstLimit === undefined) {
    return undefined;
  }
  // One limit alone: the other is the account's (10,000 requests/s, burst 5,000).
  return new TokenBucket(settings.throttlingRateLimit ?? 10_000, settings.throttlingBurstLimit ?? 5_000);
}
