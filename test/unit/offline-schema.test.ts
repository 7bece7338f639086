import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rawArchiveLine } from '../../adapters/side-outputs/layout.js';
import { parseSpecJson } from '../../core/index.js';
import { compileArchiveColumns, rawArchiveColumns } from '../../core/offline-schema.js';

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
