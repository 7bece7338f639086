import { readFileSync } from 'node:fs';
import { createDynamoDbClient } from '../adapters/dynamodb-client.js';
import { OnlineStore } from '../adapters/online-store/online-store.js';
import { createOnlineStoreTable } from '../adapters/online-store/table.js';
import { compileSpec, type FeatureValue, type InputRecord, parseSpecJson, replay } from '../core/index.js';
import { DEFAULT_TRAFFIC_OPTIONS, generateFraudTraffic } from '../examples/fraud/generate.js';
import { startDynamoDbLocal } from '../packages/local-cloud/src/dynamodb-local.js';
import { type CliIO, describeCounts, progress } from './io.js';
import { packagePath } from './package-files.js';
import { batchesOf, onShards } from './simulated-stream.js';

export interface DemoOptions {
  /** Base events to generate. @default 5000 */
  events: number | undefined;
}

const SHARDS = 2;
const BATCH_SIZE = 100;
const PARITY_SAMPLE = 300;

/**
 * The fraud example end to end on what runs here today: generated traffic on a simulated 2-shard stream, batches
 * applied to the online store on a real DynamoDB Local, then the same records replayed offline, and the online
 * store compared with the replay for a sample of keys.
 */
export async function runDemo(options: DemoOptions, io: CliIO): Promise<number> {
  const specFile = packagePath('examples/fraud/spec.json');
  const spec = compileSpec(parseSpecJson(readFileSync(specFile, 'utf8'), specFile));
  // The traffic ends about now: the online store keeps features of recent events (older items expire by TTL).
  const events = options.events ?? 5_000;
  const spanMs = (events / DEFAULT_TRAFFIC_OPTIONS.eventsPerSecond) * 1000;
  const traffic = generateFraudTraffic({ events, startMs: Math.floor(Date.now() - spanMs - 60_000) });
  const records = onShards(traffic.records, SHARDS);
  io.err(`generated ${records.length} records (${describeCounts(traffic.counts)})\n`);

  const dynamo = await startDynamoDbLocal();
  const client = createDynamoDbClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const tableName = 'streamfeatures-demo-online';
    await createOnlineStoreTable(client, tableName);
    const store = new OnlineStore({ client, tableName, spec });

    const outcomes = { counted: 0, invalid: 0, future: 0, late: 0, duplicate: 0 };
    const batches = batchesOf(records, BATCH_SIZE);
    const started = performance.now();
    let done = 0;
    for (const batch of batches) {
      const result = await store.applyBatch(batch);
      if (result.retryFrom.length > 0) throw new Error(`batch failed: ${String(result.errors[0])}`);
      outcomes.counted += result.counted.length;
      for (const r of result.rejected) outcomes[r.reason]++;
      progress(io, done + batch.length, records.length, done);
      done += batch.length;
    }
    const onlineSeconds = (performance.now() - started) / 1000;
    if (io.interactive) io.err('\n');

    const t = Math.max(...records.map((r) => r.arrivalMs)) + 1;
    const offlineStarted = performance.now();
    const queries = sampleQueries(
      records,
      spec.entities.map((e) => ({ name: e.name, keyFields: e.keyFields })),
      t,
    );
    const offline = replay(spec, records, queries);
    const offlineSeconds = (performance.now() - offlineStarted) / 1000;
    const online = await store.readFeatures(queries, t);
    const mismatches = queries.filter(
      (_, i) => !sameValues(online[i] ?? {}, offline.answers[i]?.features ?? {}),
    );

    const cost = store.meter.snapshot();
    const perThousand = (units: number) => ((units / records.length) * 1000).toFixed(0);
    const accounted = Object.values(outcomes).reduce((a, b) => a + b, 0);
    io.out(
      [
        '',
        'streamfeatures demo: the fraud example',
        `  records            ${records.length} on ${SHARDS} shards, batches of ${BATCH_SIZE}`,
        `  online store       ${(records.length / onlineSeconds).toFixed(0)} records/s into DynamoDB Local (${onlineSeconds.toFixed(1)} s)`,
        `  outcomes           counted ${outcomes.counted}, invalid ${outcomes.invalid}, future ${outcomes.future}, late ${outcomes.late}, duplicate ${outcomes.duplicate} = ${accounted} of ${records.length}`,
        `  capacity           ${perThousand(cost.writeUnits)} WRU + ${perThousand(cost.readUnits)} RRU per 1000 records`,
        `  offline replay     ${(records.length / offlineSeconds).toFixed(0)} records/s (${offlineSeconds.toFixed(2)} s, same engine)`,
        `  parity             ${queries.length - mismatches.length} of ${queries.length} sampled keys equal online and offline`,
        '',
      ].join('\n'),
    );
    for (const q of mismatches.slice(0, 5)) io.err(`  differs: ${JSON.stringify(q)}\n`);
    return accounted === records.length && mismatches.length === 0 ? 0 : 1;
  } finally {
    client.destroy();
    await dynamo.stop();
  }
}

/** Keys of valid-looking events, spread over the stream, for each entity. */
function sampleQueries(
  records: readonly InputRecord[],
  entities: readonly { name: string; keyFields: readonly string[] }[],
  t: number,
): { entity: string; key: Record<string, string>; t: number }[] {
  const decoder = new TextDecoder();
  const queries: { entity: string; key: Record<string, string>; t: number }[] = [];
  const step = Math.max(1, Math.floor(records.length / (PARITY_SAMPLE / entities.length)));
  for (let i = 0; i < records.length && queries.length < PARITY_SAMPLE; i += step) {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(decoder.decode((records[i] as InputRecord).data));
    } catch {
      continue;
    }
    for (const entity of entities) {
      const values = entity.keyFields.map((f) => body[f]);
      if (values.every((v) => typeof v === 'string')) {
        queries.push({
          entity: entity.name,
          key: Object.fromEntries(entity.keyFields.map((f, j) => [f, values[j] as string])),
          t,
        });
      }
    }
  }
  return queries;
}

function sameValues(a: Record<string, FeatureValue>, b: Record<string, FeatureValue>): boolean {
  return Object.keys(b).every((name) => {
    const x = a[name];
    const y = b[name];
    if (typeof x === 'number' && typeof y === 'number')
      return Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(y));
    return JSON.stringify(x) === JSON.stringify(y);
  });
}
