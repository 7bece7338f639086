/** The Kinesis event Lambda sends a function, and how a Kinesis record becomes one of its records. */

import type { _Record as KinesisRecord } from '@aws-sdk/client-kinesis';
import type { Rec } from './types.js';

export interface KinesisEventRecord {
  kinesis: {
    kinesisSchemaVersion: '1.0';
    partitionKey: string;
    sequenceNumber: string;
    data: string;
    approximateArrivalTimestamp: number;
  };
  eventSource: 'aws:kinesis';
  eventVersion: '1.0';
  eventID: string;
  eventName: 'aws:kinesis:record';
  invokeIdentityArn: string;
  awsRegion: string;
  eventSourceARN: string;
}

export interface KinesisEvent {
  Records: KinesisEventRecord[];
}

/** Parses a stream or stream-consumer ARN into the stream's ARN and name. */
export function kinesisStreamOfArn(arn: string): { streamArn: string; streamName: string } {
  const match = /^(arn:[^:]+:kinesis:[^:]*:[^:]*:stream\/([^/]+))(\/consumer\/.+)?$/.exec(arn);
  if (!match) throw new Error(`Not a Kinesis stream or consumer ARN: ${arn}`);
  return { streamArn: match[1] as string, streamName: match[2] as string };
}

/** Where the events' records come from, as each record names it. */
export interface EventSource {
  invokeIdentityArn: string;
  region: string;
  streamArn: string;
}

/** A record read from a shard, as the event carries it, with what batching needs (arrival, bytes). */
export function toRec(source: EventSource, shardId: string, record: KinesisRecord): Rec {
  const { invokeIdentityArn, region, streamArn } = source;
  const arrivalMs = record.ApproximateArrivalTimestamp?.getTime() ?? Date.now();
  const sequenceNumber = record.SequenceNumber ?? '';
  const eventRecord: KinesisEventRecord = {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.PartitionKey ?? '',
      sequenceNumber,
      data: Buffer.from(record.Data ?? new Uint8Array()).toString('base64'),
      approximateArrivalTimestamp: arrivalMs / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn,
    awsRegion: region,
    eventSourceARN: streamArn,
  };
  return { record: eventRecord, arrivalMs, sequenceNumber, bytes: JSON.stringify(eventRecord).length + 1 };
}

export function eventOf(records: readonly Rec[]): KinesisEvent {
  return { Records: records.map((r) => r.record) };
}
