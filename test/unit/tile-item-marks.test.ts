import { describe, expect, it } from 'vitest';
import { fromAttributes, type TileItem, toAttributes } from '../../adapters/online-store/tile-item.js';

const kinesis = '49654319440411624717183442958931066837524830212837638146';

function roundTrip(sequenceNumber: string, firstSequenceNumber?: string) {
  const item: TileItem = {
    key: 'card#c1',
    version: 3,
    state: '{}',
    watermarks: new Map([
      [
        'shardId-000000000001',
        firstSequenceNumber === undefined
          ? { sequenceNumber, arrivalMs: 1_700_000_000_123 }
          : { sequenceNumber, arrivalMs: 1_700_000_000_123, firstSequenceNumber },
      ],
    ]),
  };
  const attributes = toAttributes(item, 1_800_000_000);
  return { attributes, back: fromAttributes(attributes) };
}

describe('online-store item watermarks', () => {
  it('stores a Kinesis sequence number in base 36, shorter, and reads it back exactly', () => {
    const { attributes, back } = roundTrip(
      kinesis,
      '49654319440411624717183442958931066837524830212837638000',
    );
    const stored = attributes.w?.M?.['shardId-000000000001']?.S ?? '';
    expect(stored.length).toBeLessThan(2 * kinesis.length);
    expect(back.watermarks.get('shardId-000000000001')).toEqual({
      sequenceNumber: kinesis,
      arrivalMs: 1_700_000_000_123,
      firstSequenceNumber: '49654319440411624717183442958931066837524830212837638000',
    });
  });

  it('keeps short and zero-padded sequence numbers verbatim, and reads marks written in decimal before', () => {
    expect(roundTrip('0000000042').back.watermarks.get('shardId-000000000001')?.sequenceNumber).toBe(
      '0000000042',
    );
    expect(roundTrip('7').back.watermarks.get('shardId-000000000001')?.sequenceNumber).toBe('7');
    const old = fromAttributes({
      pk: { S: 'card#c1' },
      v: { N: '1' },
      s: { S: '{}' },
      w: { M: { 'shardId-000000000001': { S: `${kinesis}@1700000000123@${kinesis}` } } },
    });
    expect(old.watermarks.get('shardId-000000000001')).toEqual({
      sequenceNumber: kinesis,
      arrivalMs: 1_700_000_000_123,
      firstSequenceNumber: kinesis,
    });
  });
});
