import { describe, expect, it } from 'vitest';
import {
  jsonLinesText,
  rawArchiveLine,
  rejectionLine,
  sideOutputKey,
} from '../../adapters/side-outputs/layout.js';
import {
  MemorySideOutputWriter,
  S3SideOutputWriter,
} from '../../adapters/side-outputs/side-output-writer.js';
import type { InputRecord, Rejection } from '../../core/index.js';

const encoder = new TextEncoder();

function record(
  sequenceNumber: string,
  arrivalMs: number,
  data: Uint8Array | string = '{"a":1}',
): InputRecord {
  return {
    data: typeof data === 'string' ? encoder.encode(data) : data,
    arrivalMs,
    shardId: 'shardId-000000000001',
    sequenceNumber,
    partitionKey: 'c1',
  };
}

describe('side-output keys', () => {
  it('are dated (UTC) by the first record arrival and named by the shard and the sequence range', () => {
    const first = record('4951', Date.UTC(2025, 2, 9, 23, 59, 59, 999));
    const last = record('4999', Date.UTC(2025, 2, 10, 0, 0, 5));
    expect(sideOutputKey('quarantine/', { first, last })).toBe(
      'quarantine/dt=2025-03-09/hour=23/shardId-000000000001-4951-4999.jsonl',
    );
  });

  it('do not depend on the clock: the same records give the same key', () => {
    const range = { first: record('1', 1_700_000_000_000), last: record('9', 1_700_000_100_000) };
    expect(sideOutputKey('late/', range)).toBe(sideOutputKey('late/', { ...range }));
    expect(sideOutputKey('late/', range)).toBe('late/dt=2023-11-14/hour=22/shardId-000000000001-1-9.jsonl');
  });

  it('take an empty prefix', () => {
    const r = record('1', 0);
    expect(sideOutputKey('', { first: r, last: r })).toBe(
      'dt=1970-01-01/hour=00/shardId-000000000001-1-1.jsonl',
    );
  });
});

describe('side-output lines', () => {
  const rejection = (data: Uint8Array | string): Rejection => ({
    record: record('42', 1_700_000_000_000, data),
    reason: 'invalid',
    rule: 'not-json',
    message: 'record is not UTF-8 JSON',
  });

  it('carry the reason, the rule, the message, where the record came from and the payload as text', () => {
    expect(rejectionLine(rejection('{"card_id": 1'))).toEqual({
      reason: 'invalid',
      rule: 'not-json',
      message: 'record is not UTF-8 JSON',
      shardId: 'shardId-000000000001',
      sequenceNumber: '42',
      arrivalMs: 1_700_000_000_000,
      partitionKey: 'c1',
      data: '{"card_id": 1',
    });
  });

  it('carry a payload that is not UTF-8 as base64, and say so', () => {
    const line = rejectionLine(rejection(new Uint8Array([0xc3, 0x28, 0x41])));
    expect(line.data).toBe('wyhB');
    expect(line.dataEncoding).toBe('base64');
  });

  it('encode only the bytes of a view into a larger buffer', () => {
    const slab = new Uint8Array([0x41, 0xff, 0x42, 0x43]);
    expect(rejectionLine(rejection(slab.subarray(1, 3))).data).toBe(
      Buffer.from([0xff, 0x42]).toString('base64'),
    );
  });

  it('archive every record with its arrival, shard, sequence number and partition key', () => {
    expect(rawArchiveLine(record('7', 1_700_000_000_001, '{"ts":1}'))).toEqual({
      arrival_ms: 1_700_000_000_001,
      shard_id: 'shardId-000000000001',
      sequence_number: '7',
      partition_key: 'c1',
      data: '{"ts":1}',
    });
    expect(rawArchiveLine(record('7', 0, new Uint8Array([0xff]))).data_encoding).toBe('base64');
  });

  it('end every JSON line with a newline', () => {
    expect(jsonLinesText([{ a: 1 }, { b: 'x\ny' }])).toBe('{"a":1}\n{"b":"x\\ny"}\n');
  });
});

describe('side-output writers', () => {
  it('S3: one PutObject into the bucket, under the key, as JSON Lines', async () => {
    const sent: unknown[] = [];
    const client = { send: async (command: { input: unknown }) => sent.push(command.input) };
    await new S3SideOutputWriter(client as never, 'side-bucket').put('late/x.jsonl', '{"a":1}\n');
    expect(sent).toEqual([
      { Bucket: 'side-bucket', Key: 'late/x.jsonl', Body: '{"a":1}\n', ContentType: 'application/x-ndjson' },
    ]);
  });

  it('memory: a rewrite of a key replaces the object', async () => {
    const writer = new MemorySideOutputWriter();
    await writer.put('q/a.jsonl', '{"n":1}\n');
    await writer.put('q/a.jsonl', '{"n":2}\n');
    await writer.put('l/b.jsonl', '{"n":3}\n');
    expect(writer.lines('q/')).toEqual([{ n: 2 }]);
    expect(writer.lines()).toEqual([{ n: 3 }, { n: 2 }]);
  });
});
