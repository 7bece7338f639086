/**
 * Feature-vector reads from the loaded store: OnlineStore.readFeatures of three entities of one real event
 * (its card, merchant and card×merchant), as a scoring request would ask. Reports the round trips and read
 * units per vector, and the latency against the cheapest possible DynamoDB read, a GetItem of one small item
 * of the same table; the two are interleaved call by call (alternating which goes first) so that noise hits
 * both alike. A vector's latency includes decoding the tiles and computing the 16 features.
 */
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CapacityMeter } from '../adapters/online-store/capacity.js';
import { type EntityKeyRequest, OnlineStore } from '../adapters/online-store/online-store.js';
import { type CompiledSpec, classifyBatch, type InputRecord } from '../core/index.js';
import { percentile } from './stats.js';

export interface ReadResult {
  vectors: number;
  entitiesPerVector: number;
  /** meter.requests per vector: 1 means a single BatchGetItem round trip. */
  roundTripsPerVector: { mean: number; max: number };
  readUnitsPerVector: number;
  vectorMs: { p50: number; p99: number };
  getItemMs: { p50: number; p99: number };
  ratio: { p50: number; p99: number };
}

/** The three entity keys of each of `count` real events spread over the records. */
function vectorsFrom(
  spec: CompiledSpec,
  records: readonly InputRecord[],
  count: number,
): EntityKeyRequest[][] {
  const { events } = classifyBatch(spec, records);
  const step = Math.max(1, Math.floor(events.length / count));
  const vectors: EntityKeyRequest[][] = [];
  for (let i = 0; i < events.length && vectors.length < count; i += step) {
    const body = (events[i] as (typeof events)[number]).body;
    const card_id = body.card_id;
    const merchant_id = body.merchant_id;
    vectors.push([
      { entity: 'card', key: { card_id } },
      { entity: 'merchant', key: { merchant_id } },
      { entity: 'card_merchant', key: { card_id, merchant_id } },
    ]);
  }
  return vectors;
}

export async function measureReads(
  client: DynamoDBClient,
  tableName: string,
  spec: CompiledSpec,
  records: readonly InputRecord[],
  reads: number,
): Promise<ReadResult> {
  const meter = new CapacityMeter();
  const store = new OnlineStore({ client, tableName, spec, meter });
  const vectors = vectorsFrom(spec, records, 100);
  const t = Math.max(...records.map((r) => r.arrivalMs)) + 1;
  const probeKey = { pk: { S: 'bench#probe' } };
  await client.send(new PutItemCommand({ TableName: tableName, Item: { ...probeKey, v: { N: '1' } } }));
  const getItem = () => client.send(new GetItemCommand({ TableName: tableName, Key: probeKey }));

  const warmup = Math.min(50, reads);
  for (let i = 0; i < warmup; i++) {
    await store.readFeatures(vectors[i % vectors.length] as EntityKeyRequest[], t);
    await getItem();
  }

  const vectorMs: number[] = [];
  const getItemMs: number[] = [];
  const roundTrips: number[] = [];
  const units0 = meter.readUnits;
  const readVector = async (i: number) => {
    const requests0 = meter.requests;
    const started = performance.now();
    await store.readFeatures(vectors[i % vectors.length] as EntityKeyRequest[], t);
    vectorMs.push(performance.now() - started);
    roundTrips.push(meter.requests - requests0);
  };
  const readProbe = async () => {
    const started = performance.now();
    await getItem();
    getItemMs.push(performance.now() - started);
  };
  for (let i = 0; i < reads; i++) {
    if (i % 2 === 0) {
      await readVector(i);
      await readProbe();
    } else {
      await readProbe();
      await readVector(i);
    }
  }

  const p = (list: number[], q: number) => percentile(list, q);
  const vector = { p50: p(vectorMs, 50), p99: p(vectorMs, 99) };
  const get = { p50: p(getItemMs, 50), p99: p(getItemMs, 99) };
  return {
    vectors: reads,
    entitiesPerVector: 3,
    roundTripsPerVector: {
      mean: roundTrips.reduce((a, b) => a + b, 0) / roundTrips.length,
      max: Math.max(...roundTrips),
    },
    readUnitsPerVector: (meter.readUnits - units0) / reads,
    vectorMs: vector,
    getItemMs: get,
    ratio: { p50: vector.p50 / get.p50, p99: vector.p99 / get.p99 },
  };
}
