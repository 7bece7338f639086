/**
 * Runs a schedule expression on the clock: calls `fire` at each time it fires (rates one period after the
 * start, then every period; crons at each matching UTC minute), until stopped. A late timer fires once for
 * the time it was due, never again for the periods missed meanwhile, as EventBridge does.
 *
 * `STREAMFEATURES_LOCAL_SCHEDULE_SCALE=N` (local only) runs rate expressions N times faster (rate(1 minute)
 * every second with 60), for demos and tests; crons keep the wall clock. The default, 1, is AWS's timing.
 */

import { nextFireTime, type ScheduleExpression } from './schedule-expression.js';

export const SCHEDULE_SCALE_VARIABLE = 'STREAMFEATURES_LOCAL_SCHEDULE_SCALE';

/** Node's timers hold at most 2^31 - 1 ms (about 24.8 days): a later fire is reached in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The speed-up of rate expressions from the environment: 1 unless set; a bad value throws naming it. */
export function scheduleScale(environment: NodeJS.ProcessEnv = process.env): number {
  const text = environment[SCHEDULE_SCALE_VARIABLE];
  if (text === undefined || text === '') return 1;
  const scale = Number(text);
  if (!Number.isFinite(scale) || scale < 1 || scale > 3600)
    throw new Error(`${SCHEDULE_SCALE_VARIABLE}=${JSON.stringify(text)} is not a number from 1 to 3600`);
  return scale;
}

export interface ScheduleTimer {
  /** When it fires next (epoch ms), or undefined when it never will. */
  readonly nextFireMs: number | undefined;
  stop(): void;
}

/** Starts firing `expression` from `startMs` (default now); `fire` gets the time it was due. */
export function startScheduleTimer(
  expression: ScheduleExpression,
  fire: (dueMs: number) => void,
  options: { scale?: number; startMs?: number } = {},
): ScheduleTimer {
  const scale = options.scale ?? 1;
  const scaled: ScheduleExpression =
    expression.kind === 'rate' ? { ...expression, periodMs: expression.periodMs / scale } : expression;
  const startMs = options.startMs ?? Date.now();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let due = nextFireTime(scaled, startMs, startMs);
  const arm = () => {
    if (stopped || due === undefined) return;
    const wait = Math.min(MAX_TIMER_MS, Math.max(0, due - Date.now()));
    timer = setTimeout(tick, wait);
    // A schedule alone does not keep the process alive: the cloud's servers do.
    timer.unref();
  };
  const tick = () => {
    if (stopped || due === undefined) return;
    const now = Date.now();
    if (now < due) return arm();
    const fired = due;
    due = nextFireTime(scaled, now, startMs);
    fire(fired);
    arm();
  };
  arm();
  return {
    get nextFireMs() {
      return stopped ? undefined : due;
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
