/**
 * `backfill` over a raw archive holding a redelivered batch: the event-source mapping retried a batch the features
 * function had already archived, so its records are archived twice, each copy with the record's one arrival time.
 * Kinesis stamps the records of one put alike, so in arrival order a copy can follow a later record of its shard.
 * The backfill sets the copy aside (as the replay does) instead of failing on the shard's sequence order, and
 * still refuses a record that is out of sequence order without being a copy.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRawArchive } from '../../adapters/archive/archive-writer.js';
import { OnlineStore } from '../../adapters/online-store/online-store.js';
import { runBackfill } from '../../cli/backfill-command.js';
import { compileSpec, type InputRecord, parseSpec } from '../../core/index.js';
import { createTestTable, type DynamoForTests, dynamoForTests } from '../support/dynamodb.js';
import { jsonRecord } from '../support/stream.js';

const spec = parseSpec({
  version: 1,
  name: 'redelivery',
  event: { timeField: 'ts', idField: 'event_id', allowedLateness: '5m', maxFutureSkew: '1m' },
  entities: { card: ['card_id'] },
  features: [
    { name: 'card_txn_count_1h', entity: 'card', agg: 'count', window: '1h', tile: '5m' },
    { name: 'card_amount_sum_1h', entity: 'card', agg: 'sum', field: 'amount', window: '1h', tile: '5m' },
  ],
});
const now = Date.now();
const put = now - 60_000;
const event = (id: string, amount: number, sequence: number) =>
  jsonRecord({ event_id: id, ts: put - 10, card_id: 'c1', amount }, put, 'shardId-000000000000', sequence);

let dynamo: DynamoForTests;
let dir: string;
beforeAll(async () => {
  dynamo = await dynamoForTests();
  dir = mkdtempSync(join(tmpdir(), 'backfill-redelivery-'));
  writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
});
afterAll(async () => {
  await dynamo?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function backfill(name: string, archived: InputRecord[]) {
  const table = await createTestTable(dynamo.client);
  const archive = join(dir, name);
  writeRawArchive(archive, spec, archived);
  const report = await runBackfill(
    {
      spec: join(dir, 'spec.json'),
      archive,
      table,
      checkpoint: join(dir, `${name}.checkpoint.json`),
      now,
      clients: { dynamodb: dynamo.client, s3: () => undefined as never },
    },
    { out: () => {}, err: () => {} },
  );
  const store = new OnlineStore({ client: dynamo.client, tableName: table, spec: compileSpec(spec) });
  const [card] = await store.readFeatures([{ entity: 'card', key: { card_id: 'c1' } }], now);
  return { report, card };
}

describe('backfill of an archive with a redelivered batch', () => {
  it('sets aside a copy archived after a later record of its shard with the same arrival time, counting it once', async () => {
    const [a, b, c] = [event('e1', 10, 1), event('e2', 20, 2), event('e3', 40, 3)];
    const { report, card } = await backfill('copies', [a, b, c, a, b] as InputRecord[]);
    expect(report.records).toBe(5);
    expect(report.counted).toBe(3);
    expect(card).toEqual({ card_txn_count_1h: 3, card_amount_sum_1h: 70 });
  });

  it('fails on a record out of its shard sequence order that is no copy, naming both records', async () => {
    const [a, b, late] = [event('e1', 10, 1), event('e2', 20, 5), event('e3', 40, 3)];
    await expect(backfill('disorder', [a, b, late] as InputRecord[])).rejects.toThrow(
      'archive record shardId-000000000000/3 comes after 5 of its shard',
    );
  });
});
