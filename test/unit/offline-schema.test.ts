import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MemoryRecordStreamWriter } from '../../adapters/firehose/record-stream-writer.js';
import { EmbeddedModel } from '../../adapters/model/embedded-model.js';
import { rawArchiveLine } from '../../adapters/side-outputs/layout.js';
import { compileSpec, parseSpecJson } from '../../core/index.js';
import { compileArchiveColumns, featureLogColumns, rawArchiveColumns } from '../../core/offline-schema.js';
import placeholder from '../../examples/fraud/models/placeholder-untrained-0.json' with { type: 'json' };
import { createScoreHandler } from '../../lambdas/score/score-handler.js';
import { httpApiEvent } from '../../lambdas/shared/http.js';

const spec = parseSpecJson(readFileSync('examples/fraud/spec.json', 'utf8'));
const typed = compileArchiveColumns(spec);
const record = (body: string) => ({
  data: new TextEncoder().encode(body),
  arrivalMs: 1_000,
  shardId: 'shardId-000000000000',
  sequenceNumber: '7',
  partitionKey: 'c1',
});

describe('raw archive lines', () => {
  it('carry every column the Glue table declares, the spec fields typed', () => {
    const line = rawArchiveLine(
      record(
        '{"ts":1700000000000,"event_id":"e1","card_id":"c1","merchant_id":7,"amount":12.5,"geo":{"country":"FR"}}',
      ),
      typed,
    );
    expect(Object.keys(line).sort()).toEqual(
      rawArchiveColumns(spec)
        .map((c) => c.name)
        .filter((name) => name !== 'data_encoding')
        .sort(),
    );
    expect(line).toMatchObject({
      ts: '1700000000000',
      event_id: 'e1',
      card_id: 'c1',
      merchant_id: '7',
      amount: 12.5,
      geo_country: 'FR',
      arrival_ms: 1_000,
      sequence_number: '7',
    });
  });

  it('leave a typed column null when the field is absent or of another type, and keep the record whole', () => {
    const line = rawArchiveLine(record('{"ts":"soon","amount":"12.50"}'), typed);
    expect(line).toMatchObject({
      ts: 'soon',
      amount: null,
      card_id: null,
      data: '{"ts":"soon","amount":"12.50"}',
    });
    expect(rawArchiveLine(record('not json'), typed)).toMatchObject({ amount: null, data: 'not json' });
  });
});

describe('feature log lines', () => {
  it('carry exactly the columns the Glue table declares, with the variant and shadow ones typed', async () => {
    // Arrange: a shadow challenger, so the line has every field the handler writes.
    const model = EmbeddedModel.fromDocument(placeholder);
    const featureLog = new MemoryRecordStreamWriter();
    const handler = createScoreHandler({
      spec: compileSpec(spec),
      store: { readFeatures: async (requests) => requests.map(() => ({ card_txn_count_10m: 1 })) },
      model,
      challenger: { mode: 'shadow', model, name: placeholder.version },
      featureLog,
      logger: { info: () => {}, warn: () => {}, error: () => {}, addContext: () => {} },
      metrics: { addMetric: () => {}, publishStoredMetrics: () => {} } as never,
    });

    // Act
    await handler(httpApiEvent({ entities: { card: { card_id: 'c1' } } }));

    // Assert
    const columns = featureLogColumns(spec);
    const [line] = featureLog.lines() as Record<string, unknown>[];
    expect(Object.keys(line ?? {}).sort()).toEqual(columns.map((c) => c.name).sort());
    expect(
      columns.filter((c) => ['variant', 'shadow_score', 'shadow_model_version'].includes(c.name)),
    ).toEqual([
      expect.objectContaining({ name: 'variant', type: 'string' }),
      expect.objectContaining({ name: 'shadow_score', type: 'double' }),
      expect.objectContaining({ name: 'shadow_model_version', type: 'string' }),
    ]);
    expect(line).toMatchObject({ variant: 'champion', shadow_model_version: placeholder.version });
    expect(typeof line?.shadow_score).toBe('number');
  });
});
