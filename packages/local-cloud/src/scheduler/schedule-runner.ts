/**
 * Runs an EventBridge Scheduler schedule on the clock: `at()` once at its time (not at all when that time is
 * already past), `rate()`/`cron()` as EventBridge rules run them (src/events/schedule-timer.ts, with
 * STREAMFEATURES_LOCAL_SCHEDULE_SCALE), only between StartDate and EndDate when they are given. A flexible
 * time window is not applied: each invocation is at the due time.
 */

import { scheduleScale, startScheduleTimer } from '../events/schedule-timer.js';
import type { SchedulerExpression } from './scheduler-expression.js';

/** Node's timers hold at most 2^31 - 1 ms: a later time is reached in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface ScheduleWindow {
  readonly startMs?: number;
  readonly endMs?: number;
}

/** Starts firing; `fire` gets the time each invocation was due. Answers the function that stops it. */
export function runSchedule(
  expression: SchedulerExpression,
  window: ScheduleWindow,
  fire: (dueMs: number) => void,
): () => void {
  const inWindow = (ms: number) =>
    (window.startMs === undefined || ms >= window.startMs) &&
    (window.endMs === undefined || ms <= window.endMs);
  if (expression.kind !== 'at') {
    const timer = startScheduleTimer(expression, (due) => inWindow(due) && fire(due), {
      scale: scheduleScale(),
    });
    return () => timer.stop();
  }
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const arm = () => {
    if (stopped) return;
    const wait = expression.atMs - Date.now();
    if (wait <= 0) {
      if (inWindow(expression.atMs)) fire(expression.atMs);
      return;
    }
    timer = setTimeout(arm, Math.min(wait, MAX_TIMER_MS));
    timer.unref();
  };
  if (expression.atMs > Date.now()) arm();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  };
}
