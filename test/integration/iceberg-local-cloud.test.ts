/**
 * `offlineFormat: 'iceberg'` on the local cloud, the user's path with the user's tools: `streamfeatures local up`,
 * `cdk bootstrap` and `cdk deploy -c offlineFormat=iceberg` with the CDK CLI, events put on the stream and scoring
 * requests sent with the SDK, then the raw archive and the feature log read back as Iceberg tables by a reader this
 * project did not write (icebird, over plain GETs of the local S3), `aws glue get-table` answering each table's
 * metadata_location, `aws s3 ls` listing the data and metadata files, `streamfeatures parity` replaying the Iceberg
 * raw archive into the same values the deployed function wrote and the scoring API logged, and `cdk destroy`
 * removing the catalog entries while the files stay.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { icebergRead } from 'icebird';
import type { TableMetadata } from 'icebird/src/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedPost } from '../../cli/demo-scoring.js';
import type { ParityReport } from '../../cli/parity-report.js';
import { until } from '../support/until.js';
import { UserSession } from '../support/user-session.js';

const MINUTES = 60_000;
const STACK = 'streamfeatures-dev';
const CARDS = ['ice-card-0', 'ice-card-1', 'ice-card-2'];
const EVENTS = 12;
const SCORES = 3;
/** The spec the app deploys by default (cdk.json's specFile). */
const SPEC_FILE = resolve('examples/fraud/spec.json');

let session: UserSession;
let outputs: {
  StreamName: string;
  OfflineBucket: string;
  GlueDatabase: string;
  ScoringUrl: string;
  TableName: string;
};
const figures: Record<string, number | string> = {};
const realFetch = globalThis.fetch;

interface GlueTable {
  Parameters: Record<string, string>;
  StorageDescriptor: { Location: string };
}

async function getTable(name: string): Promise<GlueTable> {
  const { stdout } = await session.sh('glue get-table', 'aws', [
    'glue',
    'get-table',
    '--database-name',
    outputs.GlueDatabase,
    '--name',
    name,
    '--output',
    'json',
  ]);
  return (JSON.parse(stdout) as { Table: GlueTable }).Table;
}

async function s3Ls(prefix: string): Promise<string[]> {
  const { stdout } = await session.sh('s3 ls', 'aws', [
    's3',
    'ls',
    `s3://${outputs.OfflineBucket}/${prefix}`,
    '--recursive',
  ]);
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/).at(-1) ?? '')
    .filter((key) => key !== '');
}

/** The table's rows as icebird reads them at the metadata file Glue names now (none before the first commit). */
async function tableRows(name: string): Promise<Record<string, unknown>[]> {
  const location = (await getTable(name)).Parameters.metadata_location as string;
  const answer = await fetch(location.replace(/^s3:\/\//, `${session.endpoint}/`));
  const metadata = (await answer.json()) as TableMetadata;
  if ((metadata['current-snapshot-id'] ?? -1) < 0) return [];
  return icebergRead({ tableUrl: metadata.location, metadata });
}

beforeAll(async () => {
  session = UserSession.open('iceberg-local', figures);
  await session.startLocalCloud();
  await session.bootstrap();
  // icebird reads s3:// paths as https://<bucket>.s3.amazonaws.com/<key>: those GETs go to the local S3 instead.
  globalThis.fetch = (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const match = /^https:\/\/([^.]+)\.s3\.amazonaws\.com\/(.*)$/.exec(url);
    return realFetch(match ? `${session.endpoint}/${match[1]}/${match[2]}` : input, init);
  };
}, 20 * MINUTES);

afterAll(async () => {
  globalThis.fetch = realFetch;
  await session?.close('iceberg on the local cloud');
}, 20 * MINUTES);

describe('cdk deploy -c offlineFormat=iceberg on the local cloud', () => {
  it(
    'commits the raw archive and the feature log as Iceberg snapshots that Glue and S3 show, and destroy keeps the data',
    async () => {
      outputs = await session.deploy<typeof outputs>(STACK, [
        'offlineFormat=iceberg',
        'offlineBufferInterval=15s',
      ]);

      for (const table of ['raw_events', 'feature_log']) {
        const created = await getTable(table);
        expect(created.Parameters.table_type).toBe('ICEBERG');
        expect(created.Parameters.metadata_location).toMatch(
          /\/metadata\/00000-[0-9a-f-]{36}\.metadata\.json$/,
        );
      }

      const now = Date.now();
      const events = Array.from({ length: EVENTS }, (_, i) => ({
        event_id: `ice-${i}`,
        ts: now - 1_000 + i,
        card_id: CARDS[i % CARDS.length],
        merchant_id: `ice-merchant-${i % 2}`,
        amount: 10 + i,
        status: 'approved',
        geo: { country: 'NL' },
      }));
      const kinesis = new KinesisClient(session.clientConfig());
      try {
        const answer = await kinesis.send(
          new PutRecordsCommand({
            StreamName: outputs.StreamName,
            Records: events.map((e) => ({
              Data: Buffer.from(JSON.stringify(e)),
              PartitionKey: e.card_id as string,
            })),
          }),
        );
        expect(answer.FailedRecordCount ?? 0).toBe(0);
      } finally {
        kinesis.destroy();
      }
      // Scored once every event is online, so the logged vectors and the replay as of their time agree exactly.
      for (const [c, card_id] of CARDS.entries()) {
        const expected = events.filter((_, i) => i % CARDS.length === c).length;
        await until(`${card_id}'s ${expected} events online`, async () => {
          const got = await session.streamfeatures([
            ...['features', 'get', '--spec', SPEC_FILE, '--table', outputs.TableName],
            ...['--entity', 'card', '--key', `card_id=${card_id}`],
          ]);
          if (got.code !== 0) return undefined;
          const answer = JSON.parse(got.stdout) as { entities: { features: Record<string, unknown> }[] };
          return answer.entities[0]?.features.card_txn_count_10m === expected ? true : undefined;
        });
      }
      const scoredAt = Date.now();
      const requests = CARDS.slice(0, SCORES).map((card_id, i) => ({
        entities: {
          card: { card_id },
          merchant: { merchant_id: 'ice-merchant-0' },
          card_merchant: { card_id, merchant_id: 'ice-merchant-0' },
        },
        t: scoredAt + i,
      }));
      for (const request of requests) {
        const response = await signedPost(outputs.ScoringUrl, JSON.stringify(request));
        expect(response.status, response.text).toBe(200);
      }

      const started = performance.now();
      const raw = await until('the raw archive table to hold every event', async () => {
        const rows = await tableRows('raw_events');
        return rows.length >= EVENTS ? rows : undefined;
      });
      const logged = await until('the feature log table to hold every scoring request', async () => {
        const rows = await tableRows('feature_log');
        return rows.length >= SCORES ? rows : undefined;
      });
      figures['events to both Iceberg tables s'] = ((performance.now() - started) / 1000).toFixed(1);

      expect(raw.map((r) => r.event_id).sort()).toEqual(events.map((e) => e.event_id).sort());
      for (const row of raw) {
        const sentEvent = events.find((e) => e.event_id === row.event_id);
        expect(JSON.parse(row.data as string)).toEqual(sentEvent);
        expect(row.card_id).toBe(sentEvent?.card_id);
        const arrival = new Date(Number(row.arrival_ms)).toISOString();
        expect([row.dt, row.hour]).toEqual([arrival.slice(0, 10), arrival.slice(11, 13)]);
      }
      expect(logged.map((r) => Number(r.t)).sort()).toEqual(requests.map((r) => r.t).sort());
      for (const row of logged) expect(row.request_id).toEqual(expect.any(String));

      const rawTable = await getTable('raw_events');
      expect(rawTable.StorageDescriptor.Location).toBe(`s3://${outputs.OfflineBucket}/raw`);
      expect(rawTable.Parameters.metadata_location).toMatch(
        new RegExp(
          `^s3://${outputs.OfflineBucket}/raw/metadata/000(0[1-9]|[1-9]\\d)-[0-9a-f-]{36}\\.metadata\\.json$`,
        ),
      );
      const files = await s3Ls('raw/');
      expect(
        files.filter((k) => /^raw\/data\/dt=\d{4}-\d\d-\d\d\/hour=\d\d\/[0-9a-f-]{36}\.parquet$/.test(k))
          .length,
      ).toBeGreaterThan(0);
      expect(
        files.filter((k) => /^raw\/metadata\/\d{5}-[0-9a-f-]{36}\.metadata\.json$/.test(k)).length,
      ).toBeGreaterThan(1);
      expect(files.some((k) => /^raw\/metadata\/snap-\d+-1-[0-9a-f-]{36}\.avro$/.test(k))).toBe(true);

      // The product's own reader on the tables the local Firehose committed: the replay of the Iceberg raw archive
      // gives every value the deployed function wrote and every vector the scoring API logged.
      const report = resolve(session.work, 'parity.json');
      const parity = await session.streamfeatures([
        'parity',
        '--spec',
        SPEC_FILE,
        '--archive',
        `s3://${outputs.OfflineBucket}/raw/`,
        '--table',
        outputs.TableName,
        '--feature-log',
        `s3://${outputs.OfflineBucket}/features/`,
        '--report',
        report,
      ]);
      expect(parity.code, `${parity.stdout}\n${parity.stderr}`).toBe(0);
      const answer = JSON.parse(readFileSync(report, 'utf8')) as ParityReport;
      expect(answer.events).toBe(EVENTS);
      expect(answer.skew).toBe(false);
      expect(answer.online?.values).toBeGreaterThan(0);
      expect(answer.online?.mismatches).toBe(0);
      expect(answer.logged?.vectors).toBe(SCORES);
      expect(answer.logged?.mismatches).toBe(0);
      figures['parity online values'] = answer.online?.values ?? 0;

      await session.destroy(STACK);
      await expect(getTable('raw_events')).rejects.toThrow(/EntityNotFoundException/);
      expect(await s3Ls('raw/')).toEqual(files);
    },
    30 * MINUTES,
  );
});
