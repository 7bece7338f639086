import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileSpec, parseSpecJson } from '../../core/index.js';
import { createIngestHandler, toEntries } from '../../lambdas/ingest/ingest-handler.js';
import { MemoryStreamWriter, type StreamWriter } from '../../lambdas/ingest/kinesis-writer.js';
import { httpApiEvent } from '../../lambdas/shared/http.js';
import { recorder } from '../support/observability.js';

const spec = compileSpec(parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8')));
const NOW = 1_700_000_000_000;
const event = (overrides: object = {}) => ({
  event_id: 'e1',
  ts: NOW - 1000,
  card_id: 'c1',
  merchant_id: 'm1',
  amount: 12.5,
  status: 'approved',
  geo: { country: 'FR' },
  ...overrides,
});

function handlerWith(stream: StreamWriter) {
  const r = recorder();
  return {
    ...r,
    handler: createIngestHandler({ spec, stream, logger: r.logger, metrics: r.metricsSink, now: () => NOW }),
  };
}

describe('ingest', () => {
  it('puts one event, keyed by the first entity key (card_id), and answers 202', async () => {
    const stream = new MemoryStreamWriter();
    const { handler, sum } = handlerWith(stream);
    const response = await handler(httpApiEvent(event()));
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body as string)).toEqual({ accepted: 1 });
    expect(stream.entries.map((e) => e.partitionKey)).toEqual(['c1']);
    expect(JSON.parse(new TextDecoder().decode(stream.entries[0]?.data))).toEqual(event());
    expect(sum('RecordsIngested')).toBe(1);
  });

  it('puts a batch of records in order', async () => {
    const stream = new MemoryStreamWriter();
    const { handler } = handlerWith(stream);
    const records = [event({ card_id: 'a' }), event({ card_id: 'b' }), event({ card_id: 'c' })];
    const response = await handler(httpApiEvent({ records }));
    expect(JSON.parse(response.body as string)).toEqual({ accepted: 3 });
    expect(stream.entries.map((e) => e.partitionKey)).toEqual(['a', 'b', 'c']);
  });

  it('accepts late and future events: the pipeline decides with the Kinesis arrival time', () => {
    const entries = toEntries(
      spec,
      { records: [event({ ts: NOW - 3_600_000 }), event({ ts: NOW + 3_600_000 })] },
      NOW,
    );
    expect(entries).toHaveLength(2);
  });

  it('refuses the whole request on an invalid event, naming its index, rule and message; puts nothing', async () => {
    const stream = new MemoryStreamWriter();
    const { handler, sum } = handlerWith(stream);
    const records = [event(), event({ card_id: '' }), event()];
    const response = await handler(httpApiEvent({ records }));
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body as string)).toEqual({
      message:
        'records[1]: key field "card_id" of entity "card" is missing or empty (got "") (rule key-missing)',
      index: 1,
      rule: 'key-missing',
    });
    expect(stream.entries).toEqual([]);
    expect(sum('IngestRejected')).toBe(1);
  });

  it('names a single invalid event as "event"', () => {
    expect(() => toEntries(spec, { card_id: 'c1' }, NOW)).toThrow(
      'event: time field "ts" is missing (rule time-missing)',
    );
  });

  it('refuses more than 500 events and an empty batch', () => {
    expect(() => toEntries(spec, { records: Array.from({ length: 501 }, () => event()) }, NOW)).toThrow(
      'records: at most 500 events a request (got 501)',
    );
    expect(() => toEntries(spec, { records: [] }, NOW)).toThrow('records: send at least one event');
  });

  it('answers 400 to a body that is not JSON', async () => {
    const { handler } = handlerWith(new MemoryStreamWriter());
    const response = await handler(httpApiEvent('{not json'));
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body as string).message).toMatch(/^the body is not JSON/);
  });

  it('answers 503 when the stream does not take the events, and logs it', async () => {
    const failing: StreamWriter = {
      put: async () => {
        throw new Error(
          '1 of 1 records still failed after 6 attempts (ProvisionedThroughputExceededException)',
        );
      },
    };
    const { handler, sum, logs } = handlerWith(failing);
    const response = await handler(httpApiEvent(event()));
    expect(response.statusCode).toBe(503);
    expect(sum('IngestErrors')).toBe(1);
    expect(logs.find((l) => l.level === 'error')?.message).toBe('PutRecords failed');
  });

  it('cuts a partition key to the 256 characters Kinesis allows', () => {
    const [entry] = toEntries(spec, event({ card_id: 'x'.repeat(300) }), NOW);
    expect(entry?.partitionKey).toHaveLength(256);
  });
});
