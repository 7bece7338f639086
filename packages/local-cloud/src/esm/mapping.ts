/**
 * A mapping that can be disabled, enabled and re-tuned while it runs, as UpdateEventSourceMapping does: the
 * shard pollers (shard-poller.ts) are stopped and started again, each shard resuming after the last record
 * its function finished, so records put while the mapping was disabled are processed once, after it is
 * enabled again. The counters add up across restarts.
 */

import { randomUUID } from 'node:crypto';
import { kinesisStreamOfArn } from './kinesis-event.js';
import {
  newMappingCounters,
  type ShardPollers,
  type ShardResume,
  startShardPollers,
} from './shard-poller.js';
import type {
  KinesisEventSourceMapping,
  KinesisMappingOptions,
  KinesisMappingSettings,
  MappingUpdate,
} from './types.js';

/** Starts polling at once (unless `settings.enabled` is false); `stop()` ends it. */
export function startKinesisEventSourceMapping(
  initialSettings: KinesisMappingSettings,
  options: KinesisMappingOptions,
): KinesisEventSourceMapping {
  let settings: KinesisMappingSettings = { ...initialSettings, uuid: initialSettings.uuid ?? randomUUID() };
  const counters = newMappingCounters();
  let resumeFrom: ReadonlyMap<string, ShardResume> | undefined;
  let runner: ShardPollers | undefined;
  let last: ShardPollers | undefined;
  let stopped = false;
  /** Updates apply one after another. */
  let updating: Promise<void> = Promise.resolve();

  const start = () => {
    runner = startShardPollers(settings, { ...options, counters, ...(resumeFrom ? { resumeFrom } : {}) });
    last = runner;
  };
  const halt = async () => {
    const running = runner;
    runner = undefined;
    if (running === undefined) return;
    await running.stop();
    resumeFrom = running.resumePositions();
  };
  if (settings.enabled !== false) start();
  const { streamArn } = kinesisStreamOfArn(settings.eventSourceArn);

  return {
    uuid: settings.uuid as string,
    eventSourceArn: settings.eventSourceArn,
    streamArn,
    functionArn: settings.functionArn,
    counters,
    get warnings() {
      return last?.warnings ?? [];
    },
    get state() {
      return runner === undefined ? 'Disabled' : 'Enabled';
    },
    settings: () => ({ ...settings, enabled: runner !== undefined }),
    shards: () => (runner ?? last)?.shards() ?? [],
    ready: async (timeoutMs) => {
      await updating;
      await runner?.ready(timeoutMs);
    },
    drain: async (timeoutMs) => {
      await updating;
      await runner?.drain(timeoutMs);
    },
    update(changes: MappingUpdate) {
      const apply = async () => {
        if (stopped) throw new Error(`mapping ${settings.uuid} was stopped`);
        const { enabled, ...tuning } = changes;
        const defined = Object.fromEntries(Object.entries(tuning).filter(([, v]) => v !== undefined));
        const retune = Object.keys(defined).length > 0;
        const wasEnabled = runner !== undefined;
        const enable = enabled ?? wasEnabled;
        if (retune || !enable) await halt();
        settings = { ...settings, ...defined, enabled: enable };
        if (enable && runner === undefined) start();
      };
      const next = updating.then(apply);
      updating = next.catch(() => undefined);
      return next;
    },
    async stop() {
      stopped = true;
      await updating;
      await runner?.stop();
    },
  };
}
