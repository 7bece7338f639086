import { type PutRecordBatchCommand, PutRecordCommand } from '@aws-sdk/client-firehose';
import { describe, expect, it } from 'vitest';
import { billedKilobytes, packLines } from '../../adapters/firehose/packed-records.js';
import { FIREHOSE_LIMITS, FirehoseWriter } from '../../adapters/firehose/record-stream-writer.js';
import { rawArchiveLine } from '../../adapters/side-outputs/layout.js';
import { compileArchiveColumns } from '../../core/offline-schema.js';
import { generateFraudTraffic } from '../../examples/fraud/generate.js';
import { FRAUD_SPEC } from '../cdk/synth.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const line = (n: number, fill = 'a') => encoder.encode(`${fill.repeat(n - 1)}\n`);
const text = (records: readonly Uint8Array[]) => records.map((r) => decoder.decode(r)).join('');

/** A fake Firehose client that keeps what it was sent and fails nothing. */
function fakeClient() {
  const sent: unknown[] = [];
  return {
    sent,
    client: {
      send: async (command: unknown) => {
        sent.push(command);
        return { FailedPutCount: 0, RequestResponses: [] };
      },
    } as never,
  };
}

/** The raw archive's lines for 1,000 fraud-example events, as the features handler encodes them. */
function fraudArchiveLines(): Uint8Array[] {
  const columns = compileArchiveColumns(FRAUD_SPEC);
  const { records } = generateFraudTraffic({ events: 1_000, seed: 7 });
  return records.slice(0, 1_000).map((record, i) => {
    const input = {
      data: record.data,
      arrivalMs: record.arrivalMs,
      shardId: 'shardId-000000000000',
      sequenceNumber: String(49_650_000_000_000_000_000_000n + BigInt(i)),
      partitionKey: record.partitionKey,
    };
    return encoder.encode(`${JSON.stringify(rawArchiveLine(input, columns))}\n`);
  });
}

describe('packing JSON lines into Firehose records', () => {
  it('keeps every line whole and in order, each record within the limit', () => {
    const lines = [line(4, 'a'), line(5, 'b'), line(3, 'c'), line(10, 'd'), line(1, 'e')];
    const records = packLines(lines, 10);
    expect(text(records)).toBe(text(lines));
    expect(records.map((r) => r.byteLength)).toEqual([9, 3, 10, 1]);
    // A record is closed only when the next line does not fit: none could take the next one's first line.
    for (let i = 0; i + 1 < records.length; i++) {
      const next = decoder.decode(records[i + 1]).split('\n')[0] as string;
      expect((records[i] as Uint8Array).byteLength + next.length + 1).toBeGreaterThan(10);
    }
  });

  it('fails on a line larger than a record may hold, naming it', () => {
    expect(() => packLines([line(3), line(11)], 10)).toThrow('line 1 is 11 bytes, more than the 10 bytes');
  });

  it('bills each record rounded up to 5 KB', () => {
    expect(billedKilobytes([line(1), line(5 * 1024), line(5 * 1024 + 1)])).toBe(5 + 5 + 10);
  });

  it('packs the raw archive of 1,000 fraud events (about 500 KB) into one record, billed 500 KB instead of 5,000', () => {
    const lines = fraudArchiveLines();
    const packed = packLines(lines, FIREHOSE_LIMITS.maxRecordBytes);
    expect(text(packed)).toBe(text(lines));
    expect(lines).toHaveLength(1_000);
    expect(packed).toHaveLength(1);
    expect(billedKilobytes(lines)).toBe(5_000);
    const bytes = lines.reduce((n, l) => n + l.byteLength, 0);
    expect(billedKilobytes(packed)).toBe(Math.ceil(bytes / 5_120) * 5);
  });
});

describe('Firehose writer', () => {
  it('packs lines into as few records as the limits allow when asked, each call within 500 records and 4 MiB', async () => {
    const { client, sent } = fakeClient();
    const lines = Array.from({ length: 3_000 }, (_, i) => line(2_000, String.fromCharCode(97 + (i % 26))));
    await new FirehoseWriter(client, 'archive', { packLines: true }).put(lines);
    const batches = sent.map((command) => (command as PutRecordBatchCommand).input.Records ?? []);
    const records = batches.flat().map((r) => r.Data as Uint8Array);
    expect(text(records)).toBe(text(lines));
    // 3,000 lines of 2,000 bytes: 6 MB in records of at most 1,000 KiB (512 lines) is 6 records.
    expect(records).toHaveLength(6);
    for (const batch of batches) {
      expect(batch.length).toBeLessThanOrEqual(500);
      expect(batch.reduce((n, r) => n + (r.Data as Uint8Array).byteLength, 0)).toBeLessThanOrEqual(
        4 * 1024 * 1024,
      );
    }
  });

  it('sends one record per line unless asked to pack (an Iceberg destination reads one document a record)', async () => {
    const { client, sent } = fakeClient();
    const lines = [line(10), line(10), line(10)];
    await new FirehoseWriter(client, 'archive').put(lines);
    expect(sent).toHaveLength(1);
    expect((sent[0] as PutRecordBatchCommand).input.Records).toHaveLength(3);
  });

  it('puts lines that pack into one record with PutRecord', async () => {
    const { client, sent } = fakeClient();
    await new FirehoseWriter(client, 'archive', { packLines: true }).put([line(10), line(10)]);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeInstanceOf(PutRecordCommand);
    expect(decoder.decode((sent[0] as PutRecordCommand).input.Record?.Data)).toBe(text([line(10), line(10)]));
  });
});
