/** The public types of a Kinesis event-source mapping, and the runner's per-shard state. */

import type { GetShardIteratorCommandInput, KinesisClient } from '@aws-sdk/client-kinesis';
import type { ServiceMetrics } from '../cloudwatch/service-metrics.js';
import type { InvokeOutcome } from '../lambda-runtime.js';
import type { FailureDestination } from './failure-destination.js';
import type { KinesisEvent, KinesisEventRecord } from './kinesis-event.js';

export type StartingPosition = 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';

/** The mapping's settings, named as in AWS::Lambda::EventSourceMapping; defaults are Lambda's. */
export interface KinesisMappingSettings {
  /** The mapping's UUID (its physical id). @default a random one */
  uuid?: string;
  /** A stream ARN, or a stream consumer ARN (read with standard iterators from its stream). */
  eventSourceArn: string;
  functionArn: string;
  /** The function's role: the events' invokeIdentityArn. */
  invokeIdentityArn?: string;
  startingPosition: StartingPosition;
  /** Epoch seconds, for AT_TIMESTAMP. */
  startingPositionTimestamp?: number;
  /** @default 100 */
  batchSize?: number;
  /** @default 0 */
  maximumBatchingWindowInSeconds?: number;
  /** @default -1 (until the records expire) */
  maximumRetryAttempts?: number;
  /** @default -1 (no limit) */
  maximumRecordAgeInSeconds?: number;
  /** @default false */
  bisectBatchOnFunctionError?: boolean;
  /** `['ReportBatchItemFailures']` to honour partial batch responses. */
  functionResponseTypes?: readonly string[];
  /** @default 1 */
  parallelizationFactor?: number;
  /** Where discarded batches are recorded. @default none: they are dropped (and counted) */
  onFailure?: FailureDestination;
  /** False: created Disabled (no polling until `update({ enabled: true })`). @default true */
  enabled?: boolean;
  /** Settings present in the template that this runner does not apply (reported in `warnings`). */
  ignored?: readonly string[];
}

export interface KinesisMappingOptions {
  /** A client for the cloud's Kinesis; the runner makes one from `cloudEndpoint` when omitted. */
  kinesis?: KinesisClient;
  /** Used when `kinesis` is omitted. */
  cloudEndpoint?: string;
  /** Invokes the function (src/lambda-runtime.ts `invoke`). */
  invoke(event: KinesisEvent): Promise<InvokeOutcome>;
  /** @default 'us-east-1' */
  region?: string;
  /** Idle poll period of a shard. @default 1000 */
  pollIntervalMs?: number;
  /** @default 500 */
  retryBaseDelayMs?: number;
  /** @default 10_000 */
  retryMaxDelayMs?: number;
  /** Notes of the runner (poll errors, discarded batches). */
  onLog?: (line: string) => void;
  /** Where its AWS/Lambda IteratorAge goes: its cloud's (`services.cloudwatch.serviceMetrics`). @default nowhere */
  serviceMetrics?: ServiceMetrics;
}

export interface MappingCounters {
  /** Invocations made, retries included. */
  invocations: number;
  /** Records the function finished (checkpointed without being discarded). */
  records: number;
  /** Invocations that delivered records again after a failure (partial retries, plain retries, halves). */
  retries: number;
  /** Batches split in two after a function error. */
  bisections: number;
  functionErrors: number;
  /** Invocations that answered with batchItemFailures. */
  partialFailures: number;
  /** Discarded batches recorded at the on-failure destination, and their records. */
  failuresToDestination: number;
  recordsToDestination: number;
  /** Discarded records that could not be recorded (no destination, or it failed). */
  recordsDropped: number;
  destinationErrors: number;
  pollErrors: number;
}

/** What UpdateEventSourceMapping may change here. */
export interface MappingUpdate {
  enabled?: boolean;
  batchSize?: number;
  maximumBatchingWindowInSeconds?: number;
  maximumRetryAttempts?: number;
  maximumRecordAgeInSeconds?: number;
  bisectBatchOnFunctionError?: boolean;
  functionResponseTypes?: readonly string[];
}

export interface KinesisEventSourceMapping {
  readonly uuid: string;
  readonly eventSourceArn: string;
  readonly streamArn: string;
  readonly functionArn: string;
  readonly counters: Readonly<MappingCounters>;
  /** Settings read but not applied. */
  readonly warnings: readonly string[];
  /** Per shard: the last sequence number checkpointed, records buffered, whether a batch is in flight. */
  shards(): Array<{
    shardId: string;
    checkpoint?: string;
    buffered: number;
    inFlight: boolean;
    done: boolean;
  }>;
  /**
   * Resolves once the stream's shards are listed and each has its iterator (its StartingPosition fixed):
   * records put after that are read, even with LATEST. Rejects after `timeoutMs`.
   */
  ready(timeoutMs?: number): Promise<void>;
  /**
   * Resolves once every shard has read to the end of what the stream held after this call began (a GetRecords
   * that started later came back empty), buffered nothing, and has no batch in flight. Rejects after
   * `timeoutMs` naming the shards still busy.
   */
  drain(timeoutMs?: number): Promise<void>;
  /** `Enabled`, or `Disabled` after `update({ enabled: false })` (the pollers stopped). */
  readonly state: 'Enabled' | 'Disabled';
  /** The settings in force (after updates). */
  settings(): Readonly<KinesisMappingSettings>;
  /**
   * Applies UpdateEventSourceMapping's changes: `enabled: false` stops the pollers (in-flight batches finish);
   * `enabled: true` starts them again where each shard stopped (after its last processed record); a changed
   * batch setting restarts them the same way. Resolves once applied.
   */
  update(changes: MappingUpdate): Promise<void>;
  /** Stops polling; resolves once in-flight batches have finished. Idempotent. */
  stop(): Promise<void>;
}

export interface Rec {
  record: KinesisEventRecord;
  arrivalMs: number;
  sequenceNumber: string;
  bytes: number;
}

export interface ShardState {
  shardId: string;
  parents: string[];
  iterator: string | undefined;
  /** Where the shard's reading began: used again if the iterator expires before a record was read. */
  position: Partial<GetShardIteratorCommandInput>;
  started: boolean;
  /** Read to its end (closed shard) and everything done. */
  done: boolean;
  /** NextShardIterator came back null: no more records will come. */
  closed: boolean;
  buffer: Rec[];
  bufferBytes: number;
  firstBufferedAt: number;
  lastReadSequence: string | undefined;
  checkpoint: string | undefined;
  /** When the shard's first iterator was asked for (where a LATEST start resumes after a restart). */
  iteratorTakenAt: number | undefined;
  /** When the last GetRecords that came back empty and not behind had started. */
  caughtUpSince: number;
  inFlight: boolean;
  lastGetRecordsAt: number;
}
