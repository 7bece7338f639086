import { parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { streamConfig } from '../../src/firehose/config.js';
import { glueFields } from '../../src/firehose/glue-columns.js';
import { jsonDocumentsOf } from '../../src/firehose/json-documents.js';
import { type Buffered, objectsOf } from '../../src/firehose/objects.js';

describe('the JSON documents of one Firehose record', () => {
  it('splits documents written one after another, with or without whitespace between them', () => {
    expect(jsonDocumentsOf('{"a":1}{"a":2}')).toEqual(['{"a":1}', '{"a":2}']);
    expect(jsonDocumentsOf('{"a":1}\n{"a":2}\n')).toEqual(['{"a":1}', '{"a":2}']);
    expect(jsonDocumentsOf('  {"a":{"b":[1,{"c":2}]}} \r\n\t{"d":3}')).toEqual([
      '{"a":{"b":[1,{"c":2}]}}',
      '{"d":3}',
    ]);
  });

  it('does not count brackets and escaped quotes inside strings', () => {
    expect(jsonDocumentsOf('{"s":"}{\\"]"}{"t":"\\\\"}')).toEqual(['{"s":"}{\\"]"}', '{"t":"\\\\"}']);
  });

  it('keeps an array, a scalar or unbalanced text as a document of its own, for the parser to reject', () => {
    expect(jsonDocumentsOf('[{"a":1},{"a":2}]')).toEqual(['[{"a":1},{"a":2}]']);
    expect(jsonDocumentsOf('{"a":1} 42 {"a":2}')).toEqual(['{"a":1}', '42', '{"a":2}']);
    expect(jsonDocumentsOf('{"a":1}{"a":')).toEqual(['{"a":1}', '{"a":']);
    expect(jsonDocumentsOf(' \n ')).toEqual([]);
  });
});

describe('format conversion of records holding several documents', () => {
  const config = streamConfig(
    {
      BucketARN: 'arn:aws:s3:::offline',
      Prefix: 'raw/',
      ErrorOutputPrefix: 'errors/raw/',
      BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 60 },
      DataFormatConversionConfiguration: {
        Enabled: true,
        InputFormatConfiguration: { Deserializer: { OpenXJsonSerDe: {} } },
        OutputFormatConfiguration: { Serializer: { ParquetSerDe: {} } },
        SchemaConfiguration: { DatabaseName: 'db', TableName: 'raw_events' },
      },
    },
    true,
    {
      glueTables: new Map([
        [
          'db.raw_events',
          glueFields([
            { Name: 'id', Type: 'bigint' },
            { Name: 'card', Type: 'string' },
          ]),
        ],
      ]),
      accountId: '000000000000',
      region: 'us-east-1',
    },
  );
  const record = (text: string, i: number): Buffered => ({
    data: Buffer.from(text),
    arrivalMs: Date.UTC(2026, 0, 1) + i,
    sequenceNumber: String(i).padStart(20, '0'),
  });

  it('writes one row per document, in order, and counts the Firehose records it delivered', async () => {
    const batch = [
      record('{"id":1,"card":"c1"}\n{"id":2,"card":"c2"}\n', 0),
      record('{"id":3,"card":"c3"}{"id":4,"card":"c4"}', 1),
      record('{"id":5,"card":"c5"}\n', 2),
    ];
    const objects = await objectsOf('archive', config, batch);
    expect(objects).toHaveLength(1);
    const [parquet] = objects;
    expect(parquet?.records).toBe(3);
    const body = parquet?.body as Uint8Array;
    const file = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
    const rows = await parquetReadObjects({ file });
    expect(rows).toEqual([1, 2, 3, 4, 5].map((id) => ({ id: BigInt(id), card: `c${id}` })));
  });

  it('sends a record with one bad document whole to the error output, naming the document', async () => {
    const batch = [record('{"id":1,"card":"c1"}\n', 0), record('{"id":2,"card":"c2"}\n[1,2]\n', 1)];
    const objects = await objectsOf('archive', config, batch);
    expect(objects.map((o) => [o.records, o.failed])).toEqual([
      [1, false],
      [1, true],
    ]);
    const errorDocument = Buffer.from((objects[1] as { body: Uint8Array }).body).toString('utf8');
    expect(errorDocument).toContain('document 2 of the record is not a JSON object');
    expect(errorDocument).toContain(Buffer.from('{"id":2,"card":"c2"}\n[1,2]\n').toString('base64'));
  });
});
