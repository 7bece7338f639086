import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRawArchive } from '../../adapters/archive/archive-writer.js';
import { parseSpecJson } from '../../core/index.js';
import { generateFraudTraffic } from '../../examples/fraud/generate.js';
import { type LocalCloud, startLocalCloud } from '../../packages/local-cloud/src/local-cloud.js';
import { runCli } from '../support/cli.js';
import { TestTable } from '../support/iceberg-test-table.js';
import { onShards, RECENT_START } from '../support/stream.js';
import { uploadFolder } from '../support/upload-folder.js';

/**
 * `streamfeatures replay` reading the raw archive as an Iceberg table in S3 (the local cloud): by the table's
 * location and by its metadata file, as Glue's metadata_location names it. It must answer what it answers from the
 * same Parquet files in the Hive layout. The table's data files are the archive writer's, one commit per hour.
 */
const SPEC = 'examples/fraud/spec.json';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const region = 'us-east-1';
let cloud: LocalCloud;
let dir: string;
let metadataKey: string;
let queries: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sf-iceberg-s3-'));
  const spec = parseSpecJson(readFileSync(SPEC, 'utf8'));
  // Three hours of traffic: three data files, three commits.
  const traffic = generateFraudTraffic({ events: 900, seed: 7, startMs: RECENT_START, eventsPerSecond: 0.1 });
  const records = onShards(traffic.records, 2);
  const hive = join(dir, 'hive');
  const hours = writeRawArchive(hive, spec, records);
  expect(hours.length).toBeGreaterThan(1);
  const table = new TestTable(join(dir, 'iceberg'), 's3://offline/raw');
  for (const name of hours) {
    const path = `data/${name}`;
    table.write(path, readFileSync(join(hive, name)));
    metadataKey = relative(
      table.dir,
      await table.commit([{ entries: [{ path, bytes: statSync(join(hive, name)).size }] }]),
    );
  }
  const t = Math.max(...records.map((r) => r.arrivalMs)) + 1;
  const cards = new Set(
    traffic.records.flatMap((record) => {
      try {
        const body = JSON.parse(new TextDecoder().decode(record.data)) as { card_id?: unknown };
        return typeof body.card_id === 'string' ? [body.card_id] : [];
      } catch {
        return [];
      }
    }),
  );
  queries = join(dir, 'queries.jsonl');
  writeFileSync(
    queries,
    [...cards]
      .slice(0, 50)
      .map((card_id) => JSON.stringify({ entity: 'card', key: { card_id }, t }))
      .join('\n'),
  );
  cloud = await startLocalCloud({ port: 0 });
  const s3 = new S3Client({ endpoint: cloud.endpoint, region, credentials, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: 'offline' }));
  await uploadFolder(s3, 'offline', 'raw/', table.dir);
  await uploadFolder(s3, 'offline', 'hive/', hive);
}, 180_000);

afterAll(async () => {
  await cloud?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function replay(events: string, out: string) {
  return runCli(
    ['replay', '--spec', SPEC, '--events', events, '--queries', queries, '--out', join(dir, out)],
    {
      ...process.env,
      AWS_ENDPOINT_URL: cloud.endpoint,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
  );
}

const counts = (stderr: string) =>
  /counted \d+, invalid \d+, future \d+, late \d+, duplicate \d+/.exec(stderr)?.[0];

describe('streamfeatures replay on an Iceberg table in S3', () => {
  it('answers from the table location what it answers from the same files in the Hive layout', async () => {
    const hive = await replay('s3://offline/hive/', 'hive.jsonl');
    const iceberg = await replay('s3://offline/raw/', 'iceberg.jsonl');
    expect(hive.code, hive.stderr).toBe(0);
    expect(iceberg.code, iceberg.stderr).toBe(0);
    expect(counts(iceberg.stderr)).toBeDefined();
    expect(counts(iceberg.stderr)).toBe(counts(hive.stderr));
    expect(readFileSync(join(dir, 'iceberg.jsonl'), 'utf8')).toBe(
      readFileSync(join(dir, 'hive.jsonl'), 'utf8'),
    );
  }, 120_000);

  it('answers the same from the metadata file Glue would point at', async () => {
    const iceberg = await replay(`s3://offline/raw/${metadataKey}`, 'by-metadata.jsonl');
    expect(iceberg.code, iceberg.stderr).toBe(0);
    expect(readFileSync(join(dir, 'by-metadata.jsonl'), 'utf8')).toBe(
      readFileSync(join(dir, 'iceberg.jsonl'), 'utf8'),
    );
  }, 120_000);
});
