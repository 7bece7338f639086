import { PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { describe, expect, it } from 'vitest';
import {
  FirehoseWriter,
  MemoryRecordStreamWriter,
  type RecordStreamWriter,
} from '../../adapters/firehose/record-stream-writer.js';
import { isLabelProblem, parseDelayedLabel } from '../../core/monitoring/index.js';
import { createLabelsHandler, labelRecords } from '../../lambdas/labels/labels-handler.js';
import { httpApiEvent } from '../../lambdas/shared/http.js';
import { FRAUD_COMPILED, LABEL_BY_ID, LABEL_BY_KEYS } from '../support/delayed-labels.js';
import { recorder } from '../support/observability.js';

const spec = FRAUD_COMPILED;
const byId = LABEL_BY_ID;
const byKeys = LABEL_BY_KEYS;
const decoder = new TextDecoder();

function handlerWith(delivery: RecordStreamWriter) {
  const r = recorder();
  return { ...r, handler: createLabelsHandler({ spec, delivery, logger: r.logger, metrics: r.metricsSink }) };
}

const body = (response: { body?: string }) => JSON.parse(response.body as string) as Record<string, unknown>;

describe('POST /labels', () => {
  it('delivers JSON Lines labels, one newline-terminated JSON line a record, in order, and answers 202 with the count', async () => {
    const delivery = new MemoryRecordStreamWriter();
    const { handler, sum } = handlerWith(delivery);
    const response = await handler(httpApiEvent(`${JSON.stringify(byId)}\n\n${JSON.stringify(byKeys)}\r\n`));
    expect(response.statusCode).toBe(202);
    expect(body(response)).toEqual({ accepted: 2 });
    expect(delivery.records.map((r) => decoder.decode(r))).toEqual([
      `${JSON.stringify(byId)}\n`,
      `${JSON.stringify(byKeys)}\n`,
    ]);
    expect(sum('LabelsAccepted')).toBe(2);
  });

  it('delivers the labels of a JSON array, and a single JSON object (pretty-printed too)', async () => {
    const delivery = new MemoryRecordStreamWriter();
    const { handler } = handlerWith(delivery);
    expect(body(await handler(httpApiEvent([byId, byKeys])))).toEqual({ accepted: 2 });
    expect(body(await handler(httpApiEvent(JSON.stringify(byKeys, null, 2))))).toEqual({ accepted: 1 });
    expect(delivery.lines()).toEqual([byId, byKeys, byKeys]);
  });

  it('delivers lines the monitor reads back as the same labels', () => {
    const records = labelRecords(spec, JSON.stringify([byId, byKeys]));
    const parsed = records.map((r, i) =>
      parseDelayedLabel(spec, JSON.parse(decoder.decode(r)), `x:${i + 1}`),
    );
    expect(parsed.some(isLabelProblem)).toBe(false);
    expect(parsed.map((p) => !isLabelProblem(p) && p.label)).toEqual([1, 0]);
  });

  it('rejects the whole request when any label breaks a rule, naming each bad line and its reason; delivers none', async () => {
    const delivery = new MemoryRecordStreamWriter();
    const { handler, sum } = handlerWith(delivery);
    const lines = [
      JSON.stringify(byId),
      '{"request_id": "r2", "label": 2, "label_time": 1763600000000}',
      'not json',
      JSON.stringify({ card_id: 'c1', label: 1, label_time: 1763600000000 }),
    ];
    const response = await handler(httpApiEvent(lines.join('\n')));
    expect(response.statusCode).toBe(400);
    const answer = body(response);
    expect(answer.rejected).toEqual([
      { index: 1, line: 2, reason: '"label" must be 0, 1, true or false (got 2)' },
      { index: 2, line: 3, reason: expect.stringMatching(/^not JSON \(/) },
      {
        index: 3,
        line: 4,
        reason: expect.stringMatching(/^a label needs "request_id", or the key fields of an entity/),
      },
    ]);
    expect(answer.message).toMatch(/^3 of 4 labels rejected, none delivered: line 2: "label" must be/);
    expect(delivery.records).toHaveLength(0);
    expect(sum('LabelsRejected')).toBe(1);
  });

  it('names a bad element of a JSON array by its index', async () => {
    const { handler } = handlerWith(new MemoryRecordStreamWriter());
    const response = await handler(httpApiEvent([byId, 'label', { ...byId, label_time: 'yesterday' }]));
    expect(response.statusCode).toBe(400);
    expect(body(response).rejected).toEqual([
      { index: 1, reason: 'a label must be a JSON object (got "label")' },
      { index: 2, reason: expect.stringMatching(/^"label_time" must be epoch ms or ISO-8601/) },
    ]);
  });

  it('answers 400 to an empty body, a body without labels, more than 500 labels, and a broken array', async () => {
    const { handler } = handlerWith(new MemoryRecordStreamWriter());
    const cases: [string, RegExp][] = [
      ['', /has no body/],
      ['[]', /holds no label/],
      ['\n  \n', /holds no label/],
      [JSON.stringify(Array.from({ length: 501 }, () => byId)), /at most 500 labels a request \(got 501\)/],
      ['[{"label": 1}', /not a JSON array/],
    ];
    for (const [text, message] of cases) {
      const response = await handler({ ...httpApiEvent('x'), body: text });
      expect(response.statusCode, text).toBe(400);
      expect(body(response).message, text).toMatch(message);
    }
  });

  it('answers 400, not 5xx, to a label nested deeper than the handlers parse', async () => {
    const { handler } = handlerWith(new MemoryRecordStreamWriter());
    const deep = `{"request_id":"r","label":1,"label_time":1,"x":${'['.repeat(40)}${']'.repeat(40)}}`;
    const response = await handler(httpApiEvent(`${JSON.stringify(byId)}\n${deep}`));
    expect(response.statusCode).toBe(400);
    expect(body(response).rejected).toEqual([
      { index: 1, line: 2, reason: 'nests arrays or objects deeper than 32 levels' },
    ]);
  });

  it('reads a base64-encoded body as API Gateway passes it', async () => {
    const delivery = new MemoryRecordStreamWriter();
    const { handler } = handlerWith(delivery);
    const response = await handler(httpApiEvent(JSON.stringify(byId), { base64: true }));
    expect(body(response)).toEqual({ accepted: 1 });
  });

  it('answers 503, never 2xx, when the delivery stream does not take every label, and logs it', async () => {
    const failing: RecordStreamWriter = {
      put: async () => {
        throw new Error('1 of 2 records still failed after 6 attempts (ServiceUnavailableException)');
      },
    };
    const { handler, sum, logs } = handlerWith(failing);
    const response = await handler(httpApiEvent([byId, byKeys]));
    expect(response.statusCode).toBe(503);
    expect(sum('LabelErrors')).toBe(1);
    expect(sum('LabelsAccepted')).toBe(0);
    expect(logs.find((l) => l.level === 'error')?.message).toBe('PutRecordBatch failed');
  });
});

describe('the label writer (FirehoseWriter, batchOnly, as the labels function builds it)', () => {
  /** A Firehose client that fails the records at the given positions of its first `failCalls` calls. */
  function flakyFirehose(failAt: number[], failCalls: number) {
    const calls: string[][] = [];
    return {
      calls,
      client: {
        send: async (command: PutRecordBatchCommand) => {
          expect(command).toBeInstanceOf(PutRecordBatchCommand);
          const records = command.input.Records ?? [];
          calls.push(records.map((r) => decoder.decode(r.Data)));
          const failing = calls.length <= failCalls ? failAt : [];
          return {
            FailedPutCount: failing.filter((i) => i < records.length).length,
            RequestResponses: records.map((_, i) =>
              failing.includes(i) ? { ErrorCode: 'ServiceUnavailableException' } : { RecordId: `r${i}` },
            ),
          };
        },
      } as never,
    };
  }
  const lines = ['a\n', 'b\n', 'c\n'].map((l) => new TextEncoder().encode(l));
  const labelsWriter = { batchOnly: true, sleep: async () => {} };

  it('puts even one label with PutRecordBatch, and sends again only the records a batch failed', async () => {
    const firehose = flakyFirehose([1], 1);
    const summary = await new FirehoseWriter(firehose.client, 'labels', labelsWriter).put(lines);
    expect(firehose.calls).toEqual([['a\n', 'b\n', 'c\n'], ['b\n']]);
    expect(summary).toEqual({ calls: 2, retriedEntries: 1 });
    const single = flakyFirehose([], 0);
    await new FirehoseWriter(single.client, 'labels', labelsWriter).put(lines.slice(0, 1));
    expect(single.calls).toEqual([['a\n']]);
  });

  it('throws, naming the error code, when records still fail after the last attempt', async () => {
    const firehose = flakyFirehose([0], 99);
    await expect(
      new FirehoseWriter(firehose.client, 'labels', { ...labelsWriter, maxAttempts: 3 }).put(lines),
    ).rejects.toThrow(/1 of 3 records still failed after 3 attempts \(ServiceUnavailableException\)/);
    expect(firehose.calls).toHaveLength(3);
  });
});
