/**
 * The local cloud's own emulators against real peers, behind the local cloud's one endpoint (packages/local-cloud/src/gateway.ts):
 * the Firehose emulator delivering the template's delivery streams into fauxqs's S3, read back with DuckDB; the
 * SageMaker runtime through the SDK's SageMakerRuntimeClient; the HTTP API adapter with SigV4-signed requests.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateDeliveryStreamCommand,
  DescribeDeliveryStreamCommand,
  FirehoseClient,
  ListDeliveryStreamsCommand,
  PutRecordBatchCommand,
  PutRecordCommand,
} from '@aws-sdk/client-firehose';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { Template } from 'aws-cdk-lib/assertions';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedModel } from '../../adapters/model/embedded-model.js';
import { ModelError } from '../../adapters/model/model.js';
import { SageMakerModel } from '../../adapters/model/sagemaker-model.js';
import modelDocument from '../../examples/fraud/models/placeholder-untrained-0.json' with { type: 'json' };
import { type Fauxqs, startFauxqsEmulator } from '../../packages/local-cloud/src/fauxqs.js';
import { FirehoseEmulator, type GlueColumn } from '../../packages/local-cloud/src/firehose-emulator.js';
import { type Gateway, startGateway } from '../../packages/local-cloud/src/gateway.js';
import { LocalHttpApi } from '../../packages/local-cloud/src/http-api.js';
import { SageMakerRuntimeEmulator } from '../../packages/local-cloud/src/sagemaker-runtime.js';
import { resourcesOf, synthesize } from '../cdk/synth.js';
import { duckdb } from '../support/duckdb.js';
import { signedPostHeaders } from '../support/sigv4.js';

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const BUCKET = 'offline-store';
const ENDPOINT_NAME = 'fraud-scorer';

let fauxqs: Fauxqs;
let gateway: Gateway;
let firehose: FirehoseEmulator;
let sagemaker: SageMakerRuntimeEmulator;
let api: LocalHttpApi;
let s3: S3Client;
let firehoseClient: FirehoseClient;
let scratch: string;
const apiEvents: APIGatewayProxyEventV2[] = [];

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'sf-emulators-'));
  fauxqs = await startFauxqsEmulator();
  gateway = await startGateway({
    port: 0,
    services: ['s3', 'firehose', 'sagemaker', 'execute-api'],
    health: async () => ({}),
  });
  gateway.route('s3', fauxqs.endpoint);
  const client = { endpoint: gateway.endpoint, region: REGION, credentials: CREDENTIALS };
  s3 = new S3Client({ ...client, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));

  firehose = await new FirehoseEmulator({ s3Endpoint: gateway.endpoint }).start();
  gateway.route('firehose', firehose.origin);
  firehoseClient = new FirehoseClient(client);

  sagemaker = await new SageMakerRuntimeEmulator({
    endpoints: { [ENDPOINT_NAME]: { model: EmbeddedModel.fromDocument(modelDocument) } },
  }).start();
  gateway.route('sagemaker', sagemaker.origin);

  api = await new LocalHttpApi({
    routes: [
      {
        routeKey: 'POST /score',
        authorizationType: 'AWS_IAM',
        invoke: async (event) => {
          apiEvents.push(event);
          return {
            statusCode: 200,
            headers: { 'content-type': 'application/json', 'x-handler': 'score' },
            body: JSON.stringify({ echo: JSON.parse(event.body ?? 'null') }),
          };
        },
      },
      { routeKey: 'GET /bare', invoke: async () => ({ hello: 'world' }) },
      {
        routeKey: 'GET /fails',
        invoke: async () => {
          throw new Error('boom');
        },
      },
    ],
  }).start();
  gateway.route('execute-api', api.origin);
});

afterAll(async () => {
  firehoseClient?.destroy();
  s3?.destroy();
  await Promise.allSettled([firehose?.stop(), sagemaker?.stop(), api?.stop()]);
  await gateway?.close();
  await fauxqs?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------------
// Firehose

type Resource = { Type: string; Properties: Record<string, unknown> };

/** The template's value with the intrinsics the offline store uses resolved, as the deployer would. */
function resolve(value: unknown, resources: Record<string, Resource>): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, resources));
  if (typeof value !== 'object' || value === null) return value;
  const object = value as Record<string, unknown>;
  if ('Ref' in object) {
    const id = object.Ref as string;
    const resource = resources[id];
    if (resource?.Type === 'AWS::S3::Bucket') return BUCKET;
    if (resource?.Type === 'AWS::Glue::Database') {
      return (resource.Properties.DatabaseInput as { Name: string }).Name;
    }
    return id === 'AWS::AccountId' ? '000000000000' : id === 'AWS::Region' ? REGION : id;
  }
  if ('Fn::GetAtt' in object) {
    const [id] = object['Fn::GetAtt'] as [string, string];
    return resources[id]?.Type === 'AWS::S3::Bucket' ? `arn:aws:s3:::${BUCKET}` : `arn:aws:local:::${id}`;
  }
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => String(resolve(p, resources))).join(separator);
  }
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, resolve(v, resources)]));
}

let template: Template | undefined;

/** The offline store's delivery stream and Glue table of one dataset (`RawArchive`, `FeatureLog`). */
function datasetFromTemplate(dataset: string) {
  template ??= synthesize().template;
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const streams = resourcesOf(template, 'AWS::KinesisFirehose::DeliveryStream');
  const tables = resourcesOf(template, 'AWS::Glue::Table');
  const logicalId = Object.keys(streams).find((id) => id.startsWith(`OfflineStore${dataset}DeliveryStream`));
  const tableId = Object.keys(tables).find((id) => id.startsWith(`OfflineStore${dataset}Table`));
  if (!logicalId || !tableId) throw new Error(`no ${dataset} delivery stream or table in the template`);
  const stream = streams[logicalId] as Resource;
  const table = tables[tableId] as Resource;
  const props = resolve(stream.Properties, resources) as Record<string, Record<string, unknown>>;
  const { TableInput } = table.Properties as { TableInput: { StorageDescriptor: { Columns: GlueColumn[] } } };
  const columns = TableInput.StorageDescriptor.Columns;
  const tableProps = resolve(table.Properties, resources) as Record<string, unknown>;
  return { logicalId, props, columns, tableProps };
}

async function listKeys(prefix: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key as string).sort();
}

async function download(key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(
    await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  );
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const encoder = new TextEncoder();
const utcDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const utcHour = (ms: number) => new Date(ms).toISOString().slice(11, 13);
const SUFFIX =
  '-1-\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

describe('Firehose emulator', () => {
  it('delivers the raw archive stream of the template as Parquet under dt=/hour=, bad records under the error prefix', async () => {
    // Arrange: the template's stream, with a 1 s buffering interval.
    const { logicalId, props, columns } = datasetFromTemplate('RawArchive');
    const destination = props.ExtendedS3DestinationConfiguration as Record<string, unknown>;
    destination.BufferingHints = { IntervalInSeconds: 1, SizeInMBs: 128 };
    const { name } = firehose.createFromTemplate(logicalId, props, columns, {
      stackName: 'streamfeatures-dev',
    });
    const described = await firehoseClient.send(
      new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }),
    );
    expect(described.DeliveryStreamDescription).toMatchObject({
      DeliveryStreamStatus: 'ACTIVE',
      DeliveryStreamType: 'DirectPut',
      Destinations: [
        {
          ExtendedS3DestinationDescription: {
            BucketARN: `arn:aws:s3:::${BUCKET}`,
            Prefix: 'raw/dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/',
            BufferingHints: { IntervalInSeconds: 1, SizeInMBs: 128 },
          },
        },
      ],
    });

    // 1000 records: 995 good ones (some with keys in other cases, numeric strings, missing fields), 5 bad.
    let expectedSum = 0;
    const records: string[] = [];
    const bad = new Map<number, string>([
      [100, JSON.stringify({ arrival_ms: 1, amount: 'lots' })],
      [200, JSON.stringify({ arrival_ms: 1.5, amount: 1 })],
      [300, 'not json at all'],
      [400, JSON.stringify([1, 2, 3])],
      [500, JSON.stringify({ arrival_ms: 1, amount: { value: 3 } })],
    ]);
    for (let i = 0; i < 1000; i++) {
      const badRecord = bad.get(i);
      if (badRecord !== undefined) {
        records.push(`${badRecord}\n`);
        continue;
      }
      const amount = Math.round(i * 137.5) / 100;
      expectedSum += amount;
      const event = {
        arrival_ms: 1_700_000_000_000 + i,
        shard_id: `shardId-00000000000${i % 2}`,
        sequence_number: String(49_000_000 + i),
        partition_key: `c${i % 50}`,
        data: JSON.stringify({ card_id: `c${i % 50}`, amount }),
        data_encoding: null,
        ts: new Date(1_700_000_000_000 + i).toISOString(),
        event_id: `e${i}`,
        card_id: `c${i % 50}`,
        merchant_id: `m${i % 7}`,
        ...(i % 10 === 0 ? { Amount: String(amount) } : { amount }),
        ...(i % 3 === 0 ? {} : { GEO_COUNTRY: 'NL' }),
      };
      records.push(`${JSON.stringify(event)}\n`);
    }

    // Act
    const before = Date.now();
    for (let start = 0; start < records.length; start += 500) {
      const out = await firehoseClient.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: name,
          Records: records.slice(start, start + 500).map((r) => ({ Data: encoder.encode(r) })),
        }),
      );
      expect(out.FailedPutCount).toBe(0);
      expect(out.RequestResponses?.every((r) => typeof r.RecordId === 'string')).toBe(true);
    }
    const after = Date.now();
    // The 1 s interval delivers without a flush (two objects when the second batch came after it).
    await waitFor('the Parquet object', async () => ((await listKeys('raw/')).length > 0 ? true : undefined));
    await firehose.flush(name);
    const keys = await listKeys('raw/');

    // Assert: the key layout of the template's Prefix.
    const dates = [before, after].map((t) => `raw/dt=${utcDate(t)}/hour=${utcHour(t)}/${name}-`);
    expect(keys.length).toBeGreaterThanOrEqual(1);
    for (const key of keys) {
      expect(dates.some((d) => key.startsWith(d))).toBe(true);
      expect(key).toMatch(new RegExp(`^raw/dt=\\d{4}-\\d{2}-\\d{2}/hour=\\d{2}/${name}${SUFFIX}\\.parquet$`));
    }

    // DuckDB reads what was written: rows, values and types.
    const dir = join(scratch, 'raw');
    mkdirSync(dir);
    for (const [i, key] of keys.entries()) writeFileSync(join(dir, `${i}.parquet`), await download(key));
    const parquetFiles = join(dir, '*.parquet');
    const [totals] = await duckdb(
      `SELECT count(*) AS n, sum(amount) AS total, count(geo_country) AS countries, min(arrival_ms) AS first ` +
        `FROM read_parquet('${parquetFiles}')`,
    );
    expect(Number(totals?.n)).toBe(995);
    expect(Number(totals?.total)).toBeCloseTo(expectedSum, 6);
    expect(Number(totals?.countries)).toBe(
      [...Array(1000).keys()].filter((i) => !bad.has(i) && i % 3 !== 0).length,
    );
    expect(String(totals?.first)).toBe('1700000000000');
    const types = await duckdb(`DESCRIBE SELECT * FROM read_parquet('${parquetFiles}')`);
    expect(Object.fromEntries(types.map((t) => [t.column_name, t.column_type]))).toEqual(
      Object.fromEntries(
        columns.map((c) => {
          const { Name, Type } = c as { Name: string; Type: string };
          return [Name, { bigint: 'BIGINT', double: 'DOUBLE', string: 'VARCHAR' }[Type]];
        }),
      ),
    );

    // The bad records: one JSON document each under the error prefix, format-conversion-failed.
    const errorKeys = await listKeys('errors/raw/');
    expect(errorKeys.length).toBeGreaterThanOrEqual(1);
    const documents: Record<string, unknown>[] = [];
    for (const key of errorKeys) {
      expect(key).toMatch(
        new RegExp(`^errors/raw/format-conversion-failed/dt=\\d{4}-\\d{2}-\\d{2}/${name}${SUFFIX}$`),
      );
      const lines = (await download(key)).toString('utf8').trim().split('\n');
      documents.push(...lines.map((line) => JSON.parse(line) as Record<string, unknown>));
    }
    expect(documents.map((d) => Buffer.from(d.rawData as string, 'base64').toString('utf8')).sort()).toEqual(
      [...bad.values()].map((r) => `${r}\n`).sort(),
    );
    expect(documents[0]).toMatchObject({
      ErrorCode: 'DataFormatConversion.MalformedData',
      dataCatalogTable: { databaseName: 'streamfeatures_dev_fraud', tableName: 'raw_events' },
    });
    expect(firehose.stats(name)).toMatchObject({
      recordsIn: 1000,
      recordsDelivered: 995,
      recordsFailed: 5,
      recordsPending: 0,
    });
  });

  it('writes the feature log struct and map columns as nested Parquet', async () => {
    // As a deployer's hooks do: the Glue table first (the stream depends on it), then the stream.
    const { logicalId, props, tableProps } = datasetFromTemplate('FeatureLog');
    firehose.registerGlueTableFromTemplate(tableProps);
    (props.ExtendedS3DestinationConfiguration as Record<string, unknown>).BufferingHints = {
      IntervalInSeconds: 900,
      SizeInMBs: 64,
    };
    const { name } = firehose.createFromTemplate(logicalId, props, undefined, {
      physicalName: 'streamfeatures-dev-FeatureLog-ABCDEF123456',
    });
    expect(name).toBe('streamfeatures-dev-FeatureLog-ABCDEF123456');
    const line = (i: number) => ({
      request_id: `r${i}`,
      request_ms: 1_700_000_000_000 + i,
      t: 1_700_000_000_000 + i,
      entities: { card: { card_id: `c${i}` }, merchant: { merchant_id: 'm1' } },
      features: { card_txn_count_10m: i, card_last_country_7d: 'NL', merchant_declines_1h: null },
      score: i / 10,
      model_version: 'placeholder-untrained-0',
      backend: 'embedded',
      fallback: i === 2,
    });
    for (const i of [1, 2, 3]) {
      await firehoseClient.send(
        new PutRecordCommand({
          DeliveryStreamName: name,
          Record: { Data: encoder.encode(`${JSON.stringify(line(i))}\n`) },
        }),
      );
    }
    await firehose.flush(name);
    const keys = await listKeys('features/');
    expect(keys).toHaveLength(1);
    const file = join(scratch, 'features.parquet');
    writeFileSync(file, await download(keys[0] as string));
    const rows = await duckdb(
      `SELECT request_id, features.card_txn_count_10m AS count_10m, features.card_last_country_7d AS country, ` +
        `features.merchant_declines_1h AS declines, features.card_amount_sum_1h AS missing, ` +
        `entities['card']['card_id'] AS card, fallback FROM read_parquet('${file}') ORDER BY request_id`,
    );
    expect(rows).toEqual([
      {
        request_id: 'r1',
        count_10m: 1,
        country: 'NL',
        declines: null,
        missing: null,
        card: 'c1',
        fallback: false,
      },
      {
        request_id: 'r2',
        count_10m: 2,
        country: 'NL',
        declines: null,
        missing: null,
        card: 'c2',
        fallback: true,
      },
      {
        request_id: 'r3',
        count_10m: 3,
        country: 'NL',
        declines: null,
        missing: null,
        card: 'c3',
        fallback: false,
      },
    ]);
  });

  it('concatenates raw records under the default YYYY/MM/dd/HH/ prefix without conversion', async () => {
    const created = await firehoseClient.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'plain-stream',
        ExtendedS3DestinationConfiguration: {
          BucketARN: `arn:aws:s3:::${BUCKET}`,
          RoleARN: 'arn:aws:iam::000000000000:role/firehose',
          Prefix: 'plain/',
          BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 1 },
        },
      }),
    );
    expect(created.DeliveryStreamARN).toBe(
      'arn:aws:firehose:us-east-1:000000000000:deliverystream/plain-stream',
    );
    const listed = await firehoseClient.send(new ListDeliveryStreamsCommand({}));
    expect(listed.DeliveryStreamNames).toContain('plain-stream');
    const now = Date.now();
    await firehoseClient.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: 'plain-stream',
        Records: ['a\n', 'b\n', 'c'].map((s) => ({ Data: encoder.encode(s) })),
      }),
    );
    await firehose.flush('plain-stream');
    const keys = await listKeys('plain/');
    const date = new Date(now).toISOString();
    const hourPrefix = `plain/${date.slice(0, 4)}/${date.slice(5, 7)}/${date.slice(8, 10)}/${date.slice(11, 13)}/`;
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(new RegExp(`^${hourPrefix}plain-stream${SUFFIX}$`));
    expect((await download(keys[0] as string)).toString('utf8')).toBe('a\nb\nc');
  });

  it('fails the records past the throughput quota one by one in PutRecordBatch', async () => {
    const limited = await new FirehoseEmulator({
      s3Endpoint: gateway.endpoint,
      limits: { recordsPerSecond: 100 },
    }).start();
    try {
      limited.createFromTemplate('Limited', {
        DeliveryStreamName: 'limited',
        S3DestinationConfiguration: { BucketARN: `arn:aws:s3:::${BUCKET}`, Prefix: 'limited/' },
      });
      const limitedClient = new FirehoseClient({
        endpoint: limited.origin,
        region: REGION,
        credentials: CREDENTIALS,
      });
      const out = await limitedClient.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: 'limited',
          Records: Array.from({ length: 300 }, (_, i) => ({ Data: encoder.encode(`${i}\n`) })),
        }),
      );
      limitedClient.destroy();
      expect(out.FailedPutCount).toBe(200);
      expect(out.RequestResponses?.[0]).toEqual({ RecordId: expect.any(String) });
      expect(out.RequestResponses?.[299]).toEqual({
        ErrorCode: 'ServiceUnavailableException',
        ErrorMessage: 'Slow down.',
      });
    } finally {
      await limited.stop();
    }
    expect(
      (await Promise.all((await listKeys('limited/')).map(download))).map((b) => b.toString('utf8')).join(''),
    ).toBe(Array.from({ length: 100 }, (_, i) => `${i}\n`).join(''));
  });

  it('fails calls over the API limits as AWS does', async () => {
    const put = (records: Uint8Array[]) =>
      firehoseClient.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: 'plain-stream',
          Records: records.map((Data) => ({ Data })),
        }),
      );
    await expect(put(Array.from({ length: 501 }, () => encoder.encode('x')))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    await expect(put([new Uint8Array(1_024_001)])).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(put(Array.from({ length: 5 }, () => new Uint8Array(1_000_000)))).rejects.toMatchObject({
      name: 'InvalidArgumentException',
    });
    await expect(
      firehoseClient.send(
        new PutRecordCommand({ DeliveryStreamName: 'nope', Record: { Data: encoder.encode('x') } }),
      ),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Firehose stream nope under account 000000000000 not found.',
    });
  });
});

// ---------------------------------------------------------------------------------------------------------
// SageMaker runtime

describe('SageMaker runtime emulator', () => {
  const client = () =>
    new SageMakerRuntimeClient({
      endpoint: gateway.endpoint,
      region: REGION,
      credentials: CREDENTIALS,
      maxAttempts: 1,
    });
  const features = {
    card_txn_count_10m: 7,
    card_txn_count_1h: 12,
    card_amount_sum_1h: 950.5,
    card_declines_1h: 2,
    card_amount_max_24h: null,
    card_distinct_merchants_24h: 5,
    merchant_declines_1h: 1,
    merchant_distinct_cards_24h: 300,
    card_merchant_txn_count_7d: 1,
  };

  it('scores as the embedded model does, through the SDK client', async () => {
    const model = new SageMakerModel({ client: client(), endpointName: ENDPOINT_NAME, timeoutMs: 5_000 });
    const answer = await model.score(features);
    expect(answer.score).toBe(EmbeddedModel.fromDocument(modelDocument).scoreVector(features));
    expect(answer.modelVersion).toBe(`sagemaker:${ENDPOINT_NAME}/AllTraffic`);
  });

  it('answers an unknown endpoint with the AWS ValidationError', async () => {
    const error = await client()
      .send(
        new InvokeEndpointCommand({
          EndpointName: 'no-such-endpoint',
          ContentType: 'application/json',
          Body: encoder.encode('{"features":{}}'),
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'ValidationError',
      message: 'Endpoint no-such-endpoint of account 000000000000 not found.',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('answers a request the model rejects with a ModelError, and times out with added latency', async () => {
    const rejected = await client()
      .send(
        new InvokeEndpointCommand({
          EndpointName: ENDPOINT_NAME,
          ContentType: 'application/json',
          Body: encoder.encode('[]'),
        }),
      )
      .catch((e: unknown) => e);
    expect(rejected).toMatchObject({
      name: 'ModelError',
      OriginalStatusCode: 400,
      $metadata: { httpStatusCode: 424 },
    });

    sagemaker.setLatency(1_000, ENDPOINT_NAME);
    try {
      const model = new SageMakerModel({ client: client(), endpointName: ENDPOINT_NAME, timeoutMs: 100 });
      const error = await model.score(features).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ModelError);
      expect(error).toMatchObject({ kind: 'timeout' });
    } finally {
      sagemaker.setLatency(0, ENDPOINT_NAME);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// HTTP API

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(url: string, method: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A request signed with SigV4 for execute-api, sent to `origin` (the API itself, or the local cloud's endpoint). */
async function signedPost(
  origin: string,
  path: string,
  body: string,
  options: { secret?: string; signingDate?: Date } = {},
): Promise<Answer> {
  const url = new URL(path, origin);
  const headers = await signedPostHeaders(url, body, {
    credentials: { accessKeyId: 'test', secretAccessKey: options.secret ?? 'test' },
    region: REGION,
    ...(options.signingDate ? { signingDate: options.signingDate } : {}),
  });
  return send(url.href, 'POST', headers, body);
}

describe('HTTP API adapter', () => {
  it('passes a signed request to the route as a payload 2.0 event and answers its result', async () => {
    const answer = await signedPost(
      api.url,
      '/score?debug=1&debug=2',
      '{"entities":{"card":{"card_id":"c1"}}}',
    );
    expect(answer.status).toBe(200);
    expect(answer.headers['x-handler']).toBe('score');
    expect(answer.headers['apigw-requestid']).toBeTruthy();
    expect(JSON.parse(answer.body)).toEqual({ echo: { entities: { card: { card_id: 'c1' } } } });
    const event = apiEvents.at(-1);
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /score',
      rawPath: '/score',
      rawQueryString: 'debug=1&debug=2',
      queryStringParameters: { debug: '1,2' },
      headers: { 'content-type': 'application/json' },
      requestContext: {
        accountId: '000000000000',
        http: { method: 'POST', path: '/score', sourceIp: '127.0.0.1' },
        routeKey: 'POST /score',
        stage: '$default',
        authorizer: { iam: { accessKey: 'test' } },
      },
      body: '{"entities":{"card":{"card_id":"c1"}}}',
      isBase64Encoded: false,
    });
    expect(Math.abs((event?.requestContext.timeEpoch ?? 0) - Date.now())).toBeLessThan(5_000);
    expect(Object.keys(event?.headers ?? {}).every((k) => k === k.toLowerCase())).toBe(true);
  });

  it('reaches the API through the local cloud endpoint by its SigV4 scope', async () => {
    const answer = await signedPost(gateway.endpoint, '/score', '{"via":"gateway"}');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ echo: { via: 'gateway' } });
  });

  it('refuses unsigned, wrongly signed and stale requests with 403', async () => {
    const unsigned = await send(
      new URL('/score', api.url).href,
      'POST',
      { 'content-type': 'application/json' },
      '{}',
    );
    expect(unsigned).toMatchObject({ status: 403, body: '{"message":"Forbidden"}' });
    const wrongSecret = await signedPost(api.url, '/score', '{}', { secret: 'not-the-secret' });
    expect(wrongSecret.status).toBe(403);
    expect(JSON.parse(wrongSecret.body).message).toMatch(
      /^The request signature we calculated does not match/,
    );
    const stale = await signedPost(api.url, '/score', '{}', {
      signingDate: new Date(Date.now() - 10 * 60_000),
    });
    expect(stale.status).toBe(403);
    expect(JSON.parse(stale.body).message).toMatch(/^Signature expired/);
  });

  it('answers a bare result as 200 JSON, a failing Lambda as 500, and other routes as 404', async () => {
    const bare = await send(new URL('/bare', api.url).href, 'GET', {});
    expect(bare).toMatchObject({ status: 200, body: '{"hello":"world"}' });
    expect(bare.headers['content-type']).toBe('application/json');
    expect(await send(new URL('/fails', api.url).href, 'GET', {})).toMatchObject({
      status: 500,
      body: '{"message":"Internal Server Error"}',
    });
    expect(await send(new URL('/nowhere', api.url).href, 'GET', {})).toMatchObject({
      status: 404,
      body: '{"message":"Not Found"}',
    });
    expect(await send(new URL('/score', api.url).href, 'GET', {})).toMatchObject({ status: 404 });
  });

  it('throttles past the stage burst with 429', async () => {
    const throttled = await new LocalHttpApi({
      routes: [{ routeKey: 'GET /ping', invoke: async () => ({ pong: true }) }],
      defaultRouteSettings: { throttlingRateLimit: 1, throttlingBurstLimit: 3 },
    }).start();
    try {
      const answers = await Promise.all(
        Array.from({ length: 6 }, () => send(new URL('/ping', throttled.url).href, 'GET', {})),
      );
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
      expect(answers.find((a) => a.status === 429)?.body).toBe('{"message":"Too Many Requests"}');
    } finally {
      await throttled.stop();
    }
  });
});
