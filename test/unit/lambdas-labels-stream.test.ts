/**
 * The labels-stream function over its dependencies: each Kinesis record checked as one label with the same rules
 * as `POST /labels`, the good ones delivered in order, the others set aside with their reason under a key the
 * records decide, and a batch that cannot be delivered or set aside reported failed from its first record per
 * shard, so the mapping retries it whole.
 */
import { describe, expect, it } from 'vitest';
import {
  MemoryRecordStreamWriter,
  type RecordStreamWriter,
} from '../../adapters/firehose/record-stream-writer.js';
import {
  MemorySideOutputWriter,
  type SideOutputWriter,
} from '../../adapters/side-outputs/side-output-writer.js';
import type { InputRecord } from '../../core/index.js';
import { checkedLabel } from '../../lambdas/labels/label-check.js';
import { createLabelsStreamHandler, sortLabels } from '../../lambdas/labels/labels-stream-handler.js';
import { kinesisStreamEvent } from '../../lambdas/shared/kinesis-records.js';
import { FRAUD_COMPILED, LABEL_BY_ID, LABEL_BY_KEYS } from '../support/delayed-labels.js';
import { recorder } from '../support/observability.js';

const spec = FRAUD_COMPILED;
const byId = LABEL_BY_ID;
const byKeys = LABEL_BY_KEYS;
const ARRIVAL = Date.parse('2026-12-07T15:30:00Z');
const encoder = new TextEncoder();
const PREFIX = 'labels-quarantine/';

let sequence = 0;
function record(payload: string | Uint8Array, shardId = 'shardId-000000000000'): InputRecord {
  sequence += 1;
  return {
    data: typeof payload === 'string' ? encoder.encode(payload) : payload,
    arrivalMs: ARRIVAL,
    shardId,
    sequenceNumber: String(49_000_000 + sequence),
    partitionKey: 'labels',
  };
}

function handlerWith(
  delivery: RecordStreamWriter,
  sideOutputs: SideOutputWriter = new MemorySideOutputWriter(),
) {
  const r = recorder();
  const handler = createLabelsStreamHandler({
    spec,
    delivery,
    sideOutputs,
    quarantinePrefix: PREFIX,
    logger: r.logger,
    metrics: r.metricsSink,
  });
  return { ...r, handler };
}

class FailingWriter implements RecordStreamWriter, SideOutputWriter {
  calls = 0;
  async put(): Promise<never> {
    this.calls += 1;
    throw new Error('ServiceUnavailableException: slow down');
  }
}

describe('sortLabels', () => {
  it('checks each record with the rules of POST /labels: the same reason for the same label', () => {
    const bad = { request_id: 'r2', label: 2, label_time: 1763600000000 };
    const { labels, quarantined } = sortLabels(spec, [
      record(JSON.stringify(byId)),
      record(JSON.stringify(bad)),
    ]);
    expect(labels.map((l) => new TextDecoder().decode(l))).toEqual([`${JSON.stringify(byId)}\n`]);
    const reason = checkedLabel(spec, bad);
    expect('reason' in reason && reason.reason).toBe('"label" must be 0, 1, true or false (got 2)');
    expect(quarantined.map((q) => [q.reason, q.rule, q.message])).toEqual([
      ['invalid', 'label', '"label" must be 0, 1, true or false (got 2)'],
    ]);
  });

  it('sets aside a record that is not JSON, not UTF-8, or not one object, naming why', () => {
    const { labels, quarantined } = sortLabels(spec, [
      record('not json'),
      record(new Uint8Array([0xff, 0xfe, 0x00])),
      record(JSON.stringify([byId])),
    ]);
    expect(labels).toEqual([]);
    expect(quarantined.map((q) => [q.rule, q.message])).toEqual([
      ['not-json', expect.stringMatching(/^not JSON \(/)],
      ['not-json', 'not JSON (the payload is not UTF-8 text)'],
      ['label', expect.stringMatching(/^a label must be a JSON object \(got/)],
    ]);
  });
});

describe('labels-stream handler', () => {
  it('delivers the good labels in order and sets the bad one aside with its reason and the record whole', async () => {
    const delivery = new MemoryRecordStreamWriter();
    const sideOutputs = new MemorySideOutputWriter();
    const { handler, sum } = handlerWith(delivery, sideOutputs);
    const records = [record(JSON.stringify(byId)), record('{"label": true}'), record(JSON.stringify(byKeys))];
    const response = await handler(kinesisStreamEvent(records));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(delivery.lines()).toEqual([byId, byKeys]);
    const first = records[0] as InputRecord;
    const last = records[2] as InputRecord;
    expect([...sideOutputs.objects.keys()]).toEqual([
      `${PREFIX}dt=2026-12-07/hour=15/${first.shardId}-${first.sequenceNumber}-${last.sequenceNumber}.jsonl`,
    ]);
    expect(sideOutputs.lines(PREFIX)).toEqual([
      expect.objectContaining({
        reason: 'invalid',
        rule: 'label',
        message: expect.stringMatching(
          /"label_time" must be epoch ms or ISO-8601 with a zone \(got nothing\)/,
        ),
        sequenceNumber: (records[1] as InputRecord).sequenceNumber,
        data: '{"label": true}',
      }),
    ]);
    expect(sum('LabelsAccepted')).toBe(2);
    expect(sum('LabelsQuarantined')).toBe(1);
  });

  it('writes one quarantine object per shard, and none when every record is a label', async () => {
    const sideOutputs = new MemorySideOutputWriter();
    const { handler } = handlerWith(new MemoryRecordStreamWriter(), sideOutputs);
    await handler(kinesisStreamEvent([record(JSON.stringify(byId))]));
    expect(sideOutputs.objects.size).toBe(0);
    await handler(
      kinesisStreamEvent([record('x', 'shardId-000000000000'), record('y', 'shardId-000000000001')]),
    );
    expect([...sideOutputs.objects.keys()].map((k) => k.split('/').at(-1)?.split('-4')[0])).toEqual([
      'shardId-000000000000',
      'shardId-000000000001',
    ]);
  });

  it('reports the batch failed from its first record per shard when the delivery fails: nothing dropped', async () => {
    const { handler, sum } = handlerWith(new FailingWriter());
    const records = [
      record(JSON.stringify(byId), 'shardId-000000000000'),
      record(JSON.stringify(byKeys), 'shardId-000000000001'),
      record(JSON.stringify(byId), 'shardId-000000000000'),
    ];
    const response = await handler(kinesisStreamEvent(records));
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: (records[0] as InputRecord).sequenceNumber },
      { itemIdentifier: (records[1] as InputRecord).sequenceNumber },
    ]);
    expect(sum('LabelErrors')).toBe(1);
    expect(sum('LabelsAccepted')).toBe(0);
  });

  it('delivers nothing when the quarantine cannot be written, and reports the batch failed', async () => {
    const delivery = new MemoryRecordStreamWriter();
    const { handler } = handlerWith(delivery, new FailingWriter());
    const records = [record(JSON.stringify(byId)), record('not json')];
    const response = await handler(kinesisStreamEvent(records));
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: (records[0] as InputRecord).sequenceNumber },
    ]);
    expect(delivery.records).toEqual([]);
  });

  it('answers an empty batch with no failures and no writes', async () => {
    const delivery = new MemoryRecordStreamWriter();
    const { handler } = handlerWith(delivery);
    expect(await handler({ Records: [] })).toEqual({ batchItemFailures: [] });
    expect(delivery.records).toEqual([]);
  });
});
