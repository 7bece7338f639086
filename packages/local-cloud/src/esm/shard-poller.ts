/**
 * The runner of a mapping: lists the stream's shards (again, to adopt children of resharded ones), polls each
 * in order with standard iterators, one batch in flight per shard, and answers ready/drain/stop.
 */

import { randomUUID } from 'node:crypto';
import {
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  KinesisClient,
  ListShardsCommand,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { NO_SERVICE_METRICS } from '../cloudwatch/service-metrics.js';
import { batchReady, takeBatch } from './batcher.js';
import { clampInteger, errorText } from './errors.js';
import { publishIteratorAge } from './iterator-age.js';
import { kinesisStreamOfArn, toRec } from './kinesis-event.js';
import { processBatch, type RetryPolicy } from './retry-policy.js';
import { MIN_GET_RECORDS_INTERVAL_MS, newMappingCounters, runnerSettings } from './runner-settings.js';
import type {
  KinesisEventSourceMapping,
  KinesisMappingOptions,
  KinesisMappingSettings,
  MappingCounters,
  ShardState,
} from './types.js';

/** How often shards are listed again, to find children of resharded ones. */
const LIST_SHARDS_INTERVAL_MS = 10_000;

/**
 * Where each shard of a stopped runner goes on: after its checkpoint, at the time its LATEST iterator was
 * taken, at its first position, or nowhere (`'done'`: read to its end).
 */
export type ShardResume = Partial<GetShardIteratorCommandInput> | 'done';

export { newMappingCounters };

/** A runner's extras: the counters to add to (kept across restarts), and where each shard resumes. */
export interface RunnerOptions extends KinesisMappingOptions {
  counters?: MappingCounters;
  resumeFrom?: ReadonlyMap<string, ShardResume>;
}

/** A runner of the mapping's pollers (mapping.ts restarts one on Enable or a changed setting). */
export type ShardPollers = Omit<KinesisEventSourceMapping, 'state' | 'settings' | 'update'> & {
  /** Where each shard would resume if started again now (meaningful once stopped). */
  resumePositions(): Map<string, ShardResume>;
};

/** Starts polling at once; `stop()` ends it. */
export function startShardPollers(settings: KinesisMappingSettings, options: RunnerOptions): ShardPollers {
  const uuid = settings.uuid ?? randomUUID();
  const region = options.region ?? 'us-east-1';
  const { streamArn, streamName } = kinesisStreamOfArn(settings.eventSourceArn);
  const ownClient = options.kinesis === undefined;
  const kinesis =
    options.kinesis ??
    new KinesisClient({
      region,
      ...(options.cloudEndpoint ? { endpoint: options.cloudEndpoint } : {}),
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  const {
    batchSize,
    windowMs,
    maxRetries,
    maxAgeMs,
    bisect,
    partialResponses,
    pollIntervalMs,
    retryBaseDelayMs,
    retryMaxDelayMs,
    invokeIdentityArn,
    warnings,
  } = runnerSettings(settings, options, streamArn);
  const log = (line: string) => options.onLog?.(`[esm ${uuid.slice(0, 8)}] ${line}`);
  for (const warning of warnings) log(warning);

  const counters = options.counters ?? newMappingCounters();
  const shards = new Map<string, ShardState>();
  const stopping = new AbortController();
  const loops = new Set<Promise<void>>();
  let listedOnce = false;
  let listError: unknown;

  const sleep = (ms: number) =>
    new Promise<void>((resolveSleep) => {
      if (stopping.signal.aborted || ms <= 0) {
        resolveSleep();
        return;
      }
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        stopping.signal.removeEventListener('abort', done);
        resolveSleep();
      }
      stopping.signal.addEventListener('abort', done, { once: true });
    });

  const iteratorFor = async (
    shard: ShardState,
    position: Partial<GetShardIteratorCommandInput>,
  ): Promise<string | undefined> => {
    const answer = await kinesis.send(
      new GetShardIteratorCommand({
        ShardIteratorType: 'TRIM_HORIZON',
        ...position,
        StreamName: streamName,
        ShardId: shard.shardId,
      }),
    );
    return answer.ShardIterator;
  };

  const startPosition = (initial: boolean): Partial<GetShardIteratorCommandInput> => {
    if (!initial || settings.startingPosition === 'TRIM_HORIZON')
      return { ShardIteratorType: 'TRIM_HORIZON' };
    if (settings.startingPosition === 'LATEST') return { ShardIteratorType: 'LATEST' };
    return {
      ShardIteratorType: 'AT_TIMESTAMP',
      Timestamp: new Date((settings.startingPositionTimestamp ?? Date.now() / 1000) * 1000),
    };
  };

  const read = async (shard: ShardState): Promise<boolean> => {
    const wait = shard.lastGetRecordsAt + MIN_GET_RECORDS_INTERVAL_MS - Date.now();
    if (wait > 0) await sleep(wait);
    if (stopping.signal.aborted || shard.iterator === undefined) return false;
    const startedAt = Date.now();
    shard.lastGetRecordsAt = startedAt;
    let answer: Awaited<ReturnType<typeof getRecords>>;
    try {
      answer = await getRecords(shard.iterator, batchSize - shard.buffer.length);
    } catch (error) {
      if (error instanceof ExpiredIteratorException) {
        shard.iterator = await iteratorFor(
          shard,
          shard.lastReadSequence === undefined
            ? shard.position
            : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: shard.lastReadSequence },
        );
        return false;
      }
      throw error;
    }
    const records = answer.Records ?? [];
    shard.iterator = answer.NextShardIterator ?? undefined;
    if (shard.iterator === undefined) shard.closed = true;
    if (records.length > 0) {
      if (shard.buffer.length === 0) shard.firstBufferedAt = Date.now();
      for (const record of records) {
        const rec = toRec(source, shard.shardId, record);
        shard.buffer.push(rec);
        shard.bufferBytes += rec.bytes;
        shard.lastReadSequence = rec.sequenceNumber;
      }
    } else if ((answer.MillisBehindLatest ?? 0) === 0 || shard.closed) {
      shard.caughtUpSince = startedAt;
    }
    return records.length > 0;
  };

  const getRecords = (iterator: string, limit: number) =>
    kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: clampInteger(limit, 1, 10_000) }));

  const runShard = async (shard: ShardState): Promise<void> => {
    let backoff = 0;
    while (!stopping.signal.aborted) {
      try {
        if (!shard.started) {
          const takenAt = Date.now();
          shard.iterator = await iteratorFor(shard, shard.position);
          shard.started = true;
          shard.iteratorTakenAt = takenAt;
        }
        // Records keep buffering until the batch is full or the window expires (Lambda's rule), so a window
        // that has just expired still takes what arrived while it was open before the batch goes.
        let gotRecords = false;
        if (!shard.closed && shard.buffer.length < batchSize) gotRecords = await read(shard);
        backoff = 0;
        if (batchReady(shard, batchSize, windowMs)) {
          shard.inFlight = true;
          try {
            await processBatch(policy, shard, takeBatch(shard, batchSize));
          } finally {
            shard.inFlight = false;
          }
          continue;
        }
        if (shard.closed && shard.buffer.length === 0) {
          shard.done = true;
          log(`${shard.shardId}: read to its end`);
          return;
        }
        if (shard.buffer.length > 0) {
          const windowLeft = shard.firstBufferedAt + windowMs - Date.now();
          await sleep(Math.max(0, Math.min(windowLeft, pollIntervalMs)));
        } else if (!gotRecords) {
          await sleep(pollIntervalMs);
        }
      } catch (error) {
        counters.pollErrors++;
        backoff = Math.min(5_000, backoff === 0 ? 250 : backoff * 2);
        log(`${shard.shardId}: ${errorText(error)} (retrying in ${backoff} ms)`);
        await sleep(backoff);
      }
    }
  };

  const listShards = async (): Promise<Shard[]> => {
    const found: Shard[] = [];
    let token: string | undefined;
    do {
      const page = await kinesis.send(
        new ListShardsCommand(token === undefined ? { StreamName: streamName } : { NextToken: token }),
      );
      found.push(...(page.Shards ?? []));
      token = page.NextToken;
    } while (token !== undefined);
    return found;
  };

  /** Starts a loop for each shard whose parents are done (or gone). */
  const adoptShards = (found: readonly Shard[], initial: boolean) => {
    const known = new Set(found.map((s) => s.ShardId));
    for (const shard of found) {
      const shardId = shard.ShardId;
      if (shardId === undefined || shards.has(shardId)) continue;
      const resume = options.resumeFrom?.get(shardId);
      const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter(
        (id): id is string => id !== undefined && known.has(id),
      );
      const parentsDone = parents.every((id) => shards.get(id)?.done === true);
      // At the start, a child whose parents are still listed waits for them; later shards start at their start.
      if (!parentsDone) continue;
      const state: ShardState = {
        shardId,
        parents,
        iterator: undefined,
        // Shards there at the start begin at StartingPosition; later ones (children) at their start.
        position:
          resume !== undefined && resume !== 'done' ? resume : startPosition(initial && parents.length === 0),
        started: false,
        done: resume === 'done',
        closed: false,
        buffer: [],
        bufferBytes: 0,
        firstBufferedAt: 0,
        lastReadSequence: undefined,
        checkpoint:
          resume !== undefined && resume !== 'done' && resume.ShardIteratorType === 'AFTER_SEQUENCE_NUMBER'
            ? resume.StartingSequenceNumber
            : undefined,
        iteratorTakenAt: undefined,
        caughtUpSince: Number.NEGATIVE_INFINITY,
        inFlight: false,
        lastGetRecordsAt: 0,
      };
      shards.set(shardId, state);
      if (state.done) continue;
      const loop = runShard(state).finally(() => loops.delete(loop));
      loops.add(loop);
    }
  };

  const supervise = async () => {
    let initial = true;
    let backoff = 250;
    while (!stopping.signal.aborted) {
      try {
        const found = await listShards();
        // Children of shards that finished meanwhile are adopted on a later listing.
        adoptShards(found, initial);
        initial = false;
        listedOnce = true;
        listError = undefined;
        backoff = 250;
        const waitingChildren = found.some((s) => s.ShardId !== undefined && !shards.has(s.ShardId));
        await sleep(waitingChildren ? Math.min(1_000, pollIntervalMs) : LIST_SHARDS_INTERVAL_MS);
      } catch (error) {
        listError = error;
        counters.pollErrors++;
        log(`ListShards on ${streamName}: ${errorText(error)}`);
        await sleep(backoff);
        backoff = Math.min(5_000, backoff * 2);
      }
    }
  };
  const policy: RetryPolicy = {
    maxAgeMs,
    maxRetries,
    bisect,
    partialResponses,
    retryBaseDelayMs,
    retryMaxDelayMs,
    counters,
    discard: {
      uuid,
      functionArn: settings.functionArn,
      streamArn,
      onFailure: settings.onFailure,
      counters,
      log,
    },
    signal: stopping.signal,
    invoke: (event) => {
      // Lambda's IteratorAge: the age of the batch's last record as the batch is sent to the function.
      publishIteratorAge(options.serviceMetrics ?? NO_SERVICE_METRICS, settings.functionArn, event);
      return options.invoke(event);
    },
    sleep,
    log,
  };
  const source = { invokeIdentityArn, region, streamArn };

  const supervisor = supervise();

  let stoppingPromise: Promise<void> | undefined;
  return {
    uuid,
    eventSourceArn: settings.eventSourceArn,
    streamArn,
    functionArn: settings.functionArn,
    counters,
    warnings,
    resumePositions() {
      const positions = new Map<string, ShardResume>();
      for (const s of shards.values()) {
        if (s.done) positions.set(s.shardId, 'done');
        else if (s.checkpoint !== undefined)
          positions.set(s.shardId, {
            ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
            StartingSequenceNumber: s.checkpoint,
          });
        else if (s.position.ShardIteratorType === 'LATEST' && s.iteratorTakenAt !== undefined)
          positions.set(s.shardId, {
            ShardIteratorType: 'AT_TIMESTAMP',
            Timestamp: new Date(s.iteratorTakenAt),
          });
        else positions.set(s.shardId, s.position);
      }
      return positions;
    },
    shards: () =>
      [...shards.values()].map((s) => ({
        shardId: s.shardId,
        ...(s.checkpoint === undefined ? {} : { checkpoint: s.checkpoint }),
        buffered: s.buffer.length,
        inFlight: s.inFlight,
        done: s.done,
      })),
    async ready(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!(listedOnce && [...shards.values()].every((s) => s.started || s.done))) {
        if (stopping.signal.aborted) throw new Error(`mapping ${uuid} was stopped before it was ready`);
        if (Date.now() > deadline) {
          const why = listError === undefined ? '' : `: ${errorText(listError)}`;
          throw new Error(`mapping ${uuid} found no iterator for every shard within ${timeoutMs} ms${why}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async drain(timeoutMs = 60_000) {
      const since = Date.now();
      const deadline = since + timeoutMs;
      for (;;) {
        const busy = [...shards.values()].filter(
          (s) => !s.done && (s.inFlight || s.buffer.length > 0 || s.caughtUpSince < since),
        );
        if (listedOnce && busy.length === 0) return;
        if (stopping.signal.aborted) throw new Error(`mapping ${uuid} was stopped before it drained`);
        if (Date.now() > deadline) {
          const what = listedOnce
            ? busy
                .map(
                  (s) => `${s.shardId} (${s.inFlight ? 'batch in flight' : `${s.buffer.length} buffered`})`,
                )
                .join(', ')
            : `no shard listed yet${listError === undefined ? '' : `: ${errorText(listError)}`}`;
          throw new Error(`mapping ${uuid} did not drain within ${timeoutMs} ms: ${what}`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    stop() {
      stoppingPromise ??= (async () => {
        stopping.abort();
        await supervisor;
        await Promise.all([...loops]);
        if (ownClient) kinesis.destroy();
      })();
      return stoppingPromise;
    },
  };
}
