import { describe, expect, it } from 'vitest';
import { ArrivalOrderError, type InputRecord, inArrivalOrder } from '../../core/index.js';
import { seededRandom } from '../../core/seeded-random.js';
import { jsonRecord } from '../support/stream.js';

async function* chunksOf(records: readonly InputRecord[], size: number): AsyncGenerator<InputRecord[]> {
  for (let i = 0; i < records.length; i += size) yield records.slice(i, i + size);
}

async function collect(chunks: AsyncIterable<InputRecord[]>): Promise<InputRecord[]> {
  const out: InputRecord[] = [];
  for await (const chunk of chunks) out.push(...chunk);
  return out;
}

const at = (arrivalMs: number, sequence: number) => jsonRecord({}, arrivalMs, 'shard-0', sequence);

describe('inArrivalOrder', () => {
  it('puts records disordered within the window into arrival order, ties in input order', async () => {
    // Two shards' consumers 30 s apart, interleaved the way Firehose receives them.
    const input = [
      at(30_000, 1),
      at(0, 2),
      at(31_000, 3),
      at(1_000, 4),
      at(1_000, 5),
      at(90_000, 6),
      at(45_000, 7),
    ];
    const out = await collect(inArrivalOrder(chunksOf(input, 2), 60_000));
    expect(out.map((r) => r.sequenceNumber)).toEqual(['2', '4', '5', '1', '3', '7', '6']);
  });

  it('passes every record through exactly once, whatever the chunking', async () => {
    const input = Array.from({ length: 500 }, (_, i) => at(i * 100 + ((i * 7919) % 13) * 1_000, i));
    for (const size of [1, 7, 500]) {
      const out = await collect(inArrivalOrder(chunksOf(input, size), 20_000));
      expect(out).toHaveLength(500);
      expect(new Set(out.map((r) => r.sequenceNumber)).size).toBe(500);
      for (let i = 1; i < out.length; i++) {
        expect(out[i]?.arrivalMs).toBeGreaterThanOrEqual(out[i - 1]?.arrivalMs as number);
      }
    }
  });

  it('gives exactly a stable sort by arrival when the window spans the input, with ties and disorder mixed', async () => {
    const random = seededRandom(5);
    const input = Array.from({ length: 2_000 }, (_, i) =>
      at(Math.floor(i * 10 + (random() < 0.3 ? -random() * 500 : 0)) - (i % 7 === 0 ? 20 : 0), i),
    );
    const expected = input
      .map((record, i) => ({ record, i }))
      .sort((a, b) => a.record.arrivalMs - b.record.arrivalMs || a.i - b.i)
      .map(({ record }) => record.sequenceNumber);
    for (const size of [1, 64, 2_000]) {
      const out = await collect(inArrivalOrder(chunksOf(input, size), 1e9));
      expect(out.map((r) => r.sequenceNumber)).toEqual(expected);
    }
  });

  it('fails, naming the record and the window, when the input is more out of order than the window', async () => {
    const input = [at(0, 1), at(400_000, 2), at(800_000, 3), at(10_000, 4)];
    const run = collect(inArrivalOrder(chunksOf(input, 1), 300_000));
    await expect(run).rejects.toBeInstanceOf(ArrivalOrderError);
    await expect(collect(inArrivalOrder(chunksOf(input, 1), 300_000))).rejects.toThrow(
      /record shard-0\/4 arrived at 1970-01-01T00:00:10.000Z, but records up to .* were already replayed.*\(300 s\)/,
    );
  });
});
