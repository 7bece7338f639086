/** Kinesis records in a Lambda event ⇄ the engine's InputRecord, and a batch's records by shard. */
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { compareSequenceNumbers, type InputRecord } from '../../core/index.js';

/**
 * The engine's view of a Kinesis record: the payload bytes (base64 in the event), the arrival time in ms
 * (`approximateArrivalTimestamp` is in seconds, with millisecond decimals), the shard (from the eventID,
 * `shardId-000000000000:<sequence number>`), the sequence number and the partition key.
 */
export function decodeKinesisRecord(record: KinesisStreamRecord): InputRecord {
  const colon = record.eventID.indexOf(':');
  if (colon <= 0) {
    throw new Error(`Kinesis eventID ${JSON.stringify(record.eventID)} is not "<shardId>:<sequenceNumber>"`);
  }
  const { kinesis } = record;
  return {
    data: Buffer.from(kinesis.data, 'base64'),
    arrivalMs: Math.round(kinesis.approximateArrivalTimestamp * 1000),
    shardId: record.eventID.slice(0, colon),
    sequenceNumber: kinesis.sequenceNumber,
    partitionKey: kinesis.partitionKey,
  };
}

/**
 * The Lambda event the event-source mapping would deliver for these records: for tests and the local cloud.
 */
export function kinesisStreamEvent(
  records: readonly InputRecord[],
  options: { region?: string; streamArn?: string } = {},
): KinesisStreamEvent {
  const region = options.region ?? 'us-east-1';
  const streamArn = options.streamArn ?? `arn:aws:kinesis:${region}:000000000000:stream/streamfeatures`;
  return {
    Records: records.map((record) => ({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: record.partitionKey ?? 'unknown',
        sequenceNumber: record.sequenceNumber,
        data: Buffer.from(record.data.buffer, record.data.byteOffset, record.data.byteLength).toString(
          'base64',
        ),
        approximateArrivalTimestamp: record.arrivalMs / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${record.shardId}:${record.sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: `arn:aws:iam::000000000000:role/streamfeatures-features`,
      awsRegion: region,
      eventSourceARN: streamArn,
    })),
  };
}

/** A batch's records per shard, each shard's in batch order. */
export function groupByShard(records: readonly InputRecord[]): Map<string, InputRecord[]> {
  const groups = new Map<string, InputRecord[]>();
  for (const record of records) {
    const group = groups.get(record.shardId);
    if (group) group.push(record);
    else groups.set(record.shardId, [record]);
  }
  return groups;
}

/** Each shard's first record in the batch (its lowest sequence number): where a retry of the shard starts. */
export function firstPerShard(records: readonly InputRecord[]): Map<string, InputRecord> {
  const first = new Map<string, InputRecord>();
  for (const record of records) {
    const current = first.get(record.shardId);
    if (!current || compareSequenceNumbers(record.sequenceNumber, current.sequenceNumber) < 0) {
      first.set(record.shardId, record);
    }
  }
  return first;
}
