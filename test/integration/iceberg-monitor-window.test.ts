import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MonitorLocations, MonitorWindows } from '../../lambdas/monitor/config.js';
import { buildWindowReport } from '../../lambdas/monitor/window-report.js';
import { type LocalCloud, startLocalCloud } from '../../packages/local-cloud/src/local-cloud.js';
import { fraudSpec } from '../support/fraud-training-set.js';
import { TestTable } from '../support/iceberg-test-table.js';
import { writeMonitorFixture } from '../support/monitor-fixture.js';
import { uploadFolder } from '../support/upload-folder.js';

/**
 * The monitoring job on an Iceberg raw archive (offlineFormat 'iceberg'): it picks the window's data files by the
 * dt/hour partition values in the table's manifests instead of listing `dt=/hour=` prefixes, and must report the
 * same stream figures as from the same Parquet files in the Hive layout. The table's data files are the fixture's
 * archive files, one commit each, their partition values from their Hive paths.
 */
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const region = 'us-east-1';
const HOUR_MS = 3_600_000;
const windows: MonitorWindows = {
  qualityMs: 3 * HOUR_MS,
  servingMs: 3 * HOUR_MS,
  labelLookbackMs: 0,
  lagMs: 0,
};
const locations = (offlineBucket: string): MonitorLocations => ({
  offlineBucket,
  featureLogPrefix: 'features/',
  labelsPrefix: 'labels/',
  rawArchivePrefix: 'raw/',
  sideOutputBucket: 'side',
  quarantinePrefix: 'quarantine/',
  latePrefix: 'late/',
});
let cloud: LocalCloud;
let s3: S3Client;
let dir: string;
/** The hours of the archive, `yyyy-MM-ddTHH`, in order. */
let hours: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sf-iceberg-monitor-'));
  const { paths } = writeMonitorFixture(dir);
  const table = new TestTable(join(dir, 'iceberg'), 's3://offline-iceberg/raw');
  const files = readdirSync(paths.archive, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(paths.archive, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
  hours = [];
  for (const name of files) {
    const [, dt, hour] = /^dt=([\d-]+)\/hour=(\d\d)\//.exec(name) ?? [];
    if (!dt || !hour) throw new Error(`not a Hive archive path: ${name}`);
    hours.push(`${dt}T${hour}`);
    const path = `data/${name}`;
    table.write(path, readFileSync(join(paths.archive, name)));
    const bytes = statSync(join(paths.archive, name)).size;
    await table.commit([{ entries: [{ path, bytes, partition: { dt, hour } }] }]);
  }
  cloud = await startLocalCloud({ port: 0 });
  s3 = new S3Client({ endpoint: cloud.endpoint, region, credentials, forcePathStyle: true });
  for (const bucket of ['offline', 'offline-iceberg', 'side'])
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await uploadFolder(s3, 'offline', 'raw/', paths.archive);
  await uploadFolder(s3, 'offline-iceberg', 'raw/', table.dir);
}, 180_000);

afterAll(async () => {
  s3?.destroy();
  await cloud?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function report(offlineBucket: string, nowMs: number) {
  return buildWindowReport({
    spec: fraudSpec(),
    client: s3,
    locations: locations(offlineBucket),
    windows,
    threshold: 0.5,
    training: new Map(),
    nowMs,
  });
}

describe('the monitoring job on an Iceberg raw archive', () => {
  it('tallies the same records of its window as from the same files under dt=/hour= prefixes', async () => {
    // A window ending an hour into the archive's busiest stretch: its last three hours of data.
    const last = Date.parse(`${hours.at(-1)}:00:00Z`);
    const nowMs = last + HOUR_MS - 1;
    const hive = await report('offline', nowMs);
    const iceberg = await report('offline-iceberg', nowMs);
    expect(hive.stream.records).toBeGreaterThan(0);
    expect(iceberg.stream).toEqual(hive.stream);
    expect(iceberg.objects.archive).toBe(hive.objects.archive);
    expect(iceberg.recordsWeekEarlier).toBe(hive.recordsWeekEarlier);
  }, 120_000);

  it('reads none of the table in a window with no data: an earlier hour than any file', async () => {
    const first = Date.parse(`${hours[0]}:00:00Z`);
    const iceberg = await report('offline-iceberg', first - 10 * HOUR_MS);
    expect(iceberg.objects.archive).toBe(0);
    expect(iceberg.stream.records).toBe(0);
  }, 120_000);
});
