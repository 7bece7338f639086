/** The stream: shards by bytes, records and the features writer's rate, and what they cost against on-demand. */
import { ASSUMPTIONS, DEPLOYMENT, LIMITS } from './assumptions.js';
import type { PlanContext } from './plan-inputs.js';
import { fmt } from './plan-sheet.js';
import { HOURS_PER_MONTH, SECONDS_PER_MONTH } from './prices.js';
import { type WriterRate, writerRate } from './writer-rate.js';

export interface KinesisCapacity {
  readonly shards: number;
  /** Events one shard's writer applies a second, and how that was worked out. */
  readonly writerRate: WriterRate;
}

export function planKinesis(c: PlanContext): KinesisCapacity {
  const { sheet, recordBytes } = c;
  const N = c.eventsPerSecond;
  const writer = writerRate(c.input, sheet);
  const rate = writer.eventsPerSecond;
  const u = ASSUMPTIONS.shardUtilization;
  sheet.assumptions.push(
    `stream retention ${DEPLOYMENT.streamRetentionHours} h (the default): no extended-retention charge; one consumer, no enhanced fan-out`,
  );
  sheet.assumptions.push(
    `shards planned at ${u * 100}% of their write limits (headroom for bursts and uneven keys)`,
  );
  const bytesIn = N * recordBytes;
  const byBytes = sheet.need(
    'Kinesis',
    'shards for bytes written',
    Math.ceil(bytesIn / (LIMITS.shardWriteBytesPerSecond * u)),
    'shards',
    `ceil(${fmt(N)} events/s x ${recordBytes} B / (1 MiB/s x ${u}))`,
  );
  const byRecords = sheet.need(
    'Kinesis',
    'shards for records written',
    Math.ceil(N / (LIMITS.shardWriteRecordsPerSecond * u)),
    'shards',
    `ceil(${fmt(N)} records/s / (1,000 records/s x ${u}))`,
  );
  const byWriter = sheet.need(
    'Kinesis',
    'shards for the features writer',
    Math.ceil(N / (rate * u)),
    'shards',
    `ceil(${fmt(N)} events/s / (${fmt(rate)} events/s per writer x ${u})); parallelization factor ${DEPLOYMENT.parallelizationFactor}`,
  );
  const shards = sheet.need(
    'Kinesis',
    'shards (provisioned)',
    Math.max(byBytes, byRecords, byWriter),
    'shards',
    'the largest of the three',
  );
  sheet.need(
    'Kinesis',
    'read per shard (one polling consumer: the features function)',
    bytesIn / shards / LIMITS.shardReadBytesPerSecond,
    'of 2 MiB/s',
    `${fmt(N)} x ${recordBytes} B / ${shards} shards / 2 MiB/s; enhanced fan-out gives each consumer its own 2 MiB/s`,
  );
  kinesisCosts(c, shards);
  return { shards, writerRate: writer };
}

function kinesisCosts({ sheet, recordBytes, eventsPerSecond: N }: PlanContext, shards: number): void {
  sheet.cost(
    'Kinesis',
    'shard-hours',
    shards * HOURS_PER_MONTH,
    'kinesisShardHour',
    'both',
    `${shards} shards x 730 h`,
  );
  const payloadUnits = Math.ceil(recordBytes / LIMITS.kinesisPutPayloadUnitBytes);
  sheet.cost(
    'Kinesis',
    'PUT payload units',
    N * payloadUnits * SECONDS_PER_MONTH,
    'kinesisPutPayloadUnit',
    'both',
    `${fmt(N)} records/s x ${payloadUnits} unit x ${fmt(SECONDS_PER_MONTH)} s`,
  );
  const onDemandGb =
    (N *
      Math.ceil(recordBytes / LIMITS.kinesisOnDemandRoundingBytes) *
      LIMITS.kinesisOnDemandRoundingBytes *
      SECONDS_PER_MONTH) /
    2 ** 30;
  sheet.cost(
    'Kinesis',
    'on-demand instead: stream-hours',
    HOURS_PER_MONTH,
    'kinesisOnDemandStreamHour',
    'alternative',
    '730 h',
  );
  sheet.cost(
    'Kinesis',
    'on-demand instead: GB written',
    onDemandGb,
    'kinesisOnDemandGbIn',
    'alternative',
    `${fmt(N)} records/s x ${recordBytes} B rounded up to 1 KB x ${fmt(SECONDS_PER_MONTH)} s / 2^30`,
  );
  sheet.cost(
    'Kinesis',
    'on-demand instead: GB read',
    onDemandGb,
    'kinesisOnDemandGbOut',
    'alternative',
    'as written, one consumer',
  );
}
