import { describe, expect, it } from 'vitest';
import type { InputRecord } from '../../core/index.js';
import { decodeKinesisRecord, kinesisStreamEvent } from '../../lambdas/shared/kinesis-records.js';

const encoder = new TextEncoder();

function record(overrides: Partial<InputRecord> = {}): InputRecord {
  return {
    data: encoder.encode('{"card_id":"c1","ts":1700000000000}'),
    arrivalMs: 1_700_000_000_123,
    shardId: 'shardId-000000000003',
    sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
    partitionKey: 'c1',
    ...overrides,
  };
}

describe('Kinesis record decoding', () => {
  it('reads the payload, arrival in ms, shard, sequence number and partition key', () => {
    // Arrange: the event exactly as Lambda delivers it.
    const [kinesisRecord] = kinesisStreamEvent([record()]).Records;
    expect(kinesisRecord?.kinesis.approximateArrivalTimestamp).toBe(1_700_000_000.123);
    expect(kinesisRecord?.eventID).toBe(
      'shardId-000000000003:49590338271490256608559692538361571095921575989136588898',
    );

    // Act
    const decoded = decodeKinesisRecord(kinesisRecord as NonNullable<typeof kinesisRecord>);

    // Assert
    expect(new TextDecoder().decode(decoded.data)).toBe('{"card_id":"c1","ts":1700000000000}');
    expect(decoded.arrivalMs).toBe(1_700_000_000_123);
    expect(decoded.shardId).toBe('shardId-000000000003');
    expect(decoded.sequenceNumber).toBe('49590338271490256608559692538361571095921575989136588898');
    expect(decoded.partitionKey).toBe('c1');
  });

  it('keeps every arrival millisecond through the seconds float', () => {
    for (let ms = 1_700_000_000_000; ms < 1_700_000_001_000; ms += 7) {
      const [r] = kinesisStreamEvent([record({ arrivalMs: ms })]).Records;
      expect(decodeKinesisRecord(r as NonNullable<typeof r>).arrivalMs).toBe(ms);
    }
  });

  it('passes bytes that are not UTF-8 through untouched', () => {
    const bytes = new Uint8Array([0xff, 0xfe, 0x00, 0x41]);
    const [r] = kinesisStreamEvent([record({ data: bytes })]).Records;
    expect([...decodeKinesisRecord(r as NonNullable<typeof r>).data]).toEqual([0xff, 0xfe, 0x00, 0x41]);
  });

  it('round-trips a view into a shared buffer (a pooled Buffer) by its own bytes only', () => {
    const slab = encoder.encode('xxxx{"a":1}yyyy');
    const view = slab.subarray(4, 11);
    const [r] = kinesisStreamEvent([record({ data: view })]).Records;
    expect(new TextDecoder().decode(decodeKinesisRecord(r as NonNullable<typeof r>).data)).toBe('{"a":1}');
  });

  it('fails on an eventID without the shard', () => {
    const [r] = kinesisStreamEvent([record()]).Records;
    const broken = { ...(r as NonNullable<typeof r>), eventID: '4959033827149025660855969' };
    expect(() => decodeKinesisRecord(broken)).toThrow(/eventID "4959033827149025660855969" is not/);
  });
});
