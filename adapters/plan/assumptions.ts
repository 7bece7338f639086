/**
 * What the plan takes as given besides its input: the deployment's defaults, the AWS limits it checks against, and
 * the assumptions without a measured figure behind them (each printed with the answer).
 */
import { WRITER_SLOTS } from '../online-store/writer-slots.js';

/** The deployment's defaults the plan assumes, as the CDK constructs set them. */
export const DEPLOYMENT = {
  /** FeatureComputer's default memorySize (MB) for the features function. */
  featuresMemoryMb: 1024,
  /** StreamfeaturesFunction's default memorySize (MB), which the scoring function keeps. */
  scoringMemoryMb: 512,
  /** FeatureComputer's DEFAULT_BATCH_SIZE. */
  batchSize: 500,
  /** The event-source mapping's default maximum batching window, seconds. */
  batchingWindowSeconds: 1,
  /** The only parallelization factor the features function allows (one writer per shard). */
  parallelizationFactor: 1,
  /** EventStream's default retention, hours: no extended-retention charge up to 24. */
  streamRetentionHours: 24,
  /** Items per key of an entity several shards write (the online store's writer slots). */
  writerSlots: WRITER_SLOTS,
} as const;

/** AWS limits the plan checks against. */
export const LIMITS = {
  shardWriteBytesPerSecond: 1024 * 1024,
  shardWriteRecordsPerSecond: 1000,
  shardReadBytesPerSecond: 2 * 1024 * 1024,
  partitionKeyWriteUnitsPerSecond: 1000,
  firehoseMaxRecordBytes: 1000 * 1024,
  firehoseBillingIncrementBytes: 5 * 1024,
  /** Firehose Direct PUT's default throughput quota in us-east-1 (raised on request). */
  firehoseBytesPerSecondQuota: 5 * 1024 * 1024,
  kinesisPutPayloadUnitBytes: 25 * 1024,
  kinesisOnDemandRoundingBytes: 1024,
  dynamoWriteUnitBytes: 1024,
  dynamoReadUnitBytes: 4096,
} as const;

/** Assumptions without a measured figure behind them; each is printed with the answer. */
export const ASSUMPTIONS = {
  /** Share of a shard's write limits planned for, leaving headroom for bursts and uneven partition keys. */
  shardUtilization: 0.8,
  /** Provisioned DynamoDB capacity is set at this utilization (the auto-scaling target). */
  provisionedUtilization: 0.7,
  /** Bytes per value when a record's size is estimated from the spec's event fields. */
  bytesPerValue: 20,
  /** Bytes of an id-ledger item (key, expiry), plus DynamoDB's 100-byte per-item storage overhead. */
  ledgerItemBytes: 160,
  /** DynamoDB's per-item storage overhead, added to each measured item size. */
  itemOverheadBytes: 100,
  /** The scoring function's mean duration per request, ms (one BatchGetItem and a small model). */
  scoringDurationMs: 20,
  /** Parquet (compressed) bytes per JSON byte in the archive. */
  parquetBytesPerJsonByte: 0.25,
  /**
   * DynamoDB's latency per call from Lambda in the same region, ms: AWS states "single-digit millisecond" latency
   * (aws.amazon.com/dynamodb); 5 is the middle of that range, not a measurement.
   */
  dynamodbLatencyMs: 5,
  /** Lambda's CPU ms (ARM64, at the features function's memory) per CPU ms of the bench machine. */
  lambdaCpuFactor: 1,
  /** The fraud generator's merchant popularity: Zipf with this exponent (examples/fraud traffic defaults). */
  zipfExponent: 1.1,
} as const;

export const DEFAULT_ARCHIVE_DAYS = 365;
