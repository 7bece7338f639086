import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../packages/local-cloud/src/local-cloud.js';
import { runCli } from '../support/cli.js';
import { FRAUD_SPEC_FILE } from '../support/fraud-training-set.js';
import { type MonitorFixture, writeMonitorFixture } from '../support/monitor-fixture.js';
import { uploadFolder } from '../support/upload-folder.js';

/**
 * `streamfeatures monitor` reading the labels, the raw archive and the side outputs from S3 (the local cloud),
 * as the offline bucket holds them: `labels/`, `raw/`, and the side-output bucket's `quarantine/` and `late/`.
 * It must give the figures it gives from the same files on disk.
 */
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const region = 'us-east-1';
let cloud: LocalCloud;
let dir: string;
let paths: MonitorFixture['paths'];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sf-monitor-s3-'));
  ({ paths } = writeMonitorFixture(dir));
  cloud = await startLocalCloud({ port: 0 });
  const s3 = new S3Client({ endpoint: cloud.endpoint, region, credentials, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: 'offline' }));
  await s3.send(new CreateBucketCommand({ Bucket: 'side' }));
  await uploadFolder(s3, 'offline', 'labels/', paths.labels);
  await uploadFolder(s3, 'offline', 'raw/', paths.archive);
  await uploadFolder(s3, 'side', '', paths.sideOutputs);
}, 180_000);

afterAll(async () => {
  await cloud?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('streamfeatures monitor on S3', () => {
  it('reads labels, archive and side outputs from s3:// and reports what it reports from files', async () => {
    const common = ['monitor', '--spec', FRAUD_SPEC_FILE.pathname, '--feature-log', paths.log, '--json'];
    const env = {
      ...process.env,
      AWS_ENDPOINT_URL: cloud.endpoint,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    };
    const fromS3 = await runCli(
      [
        ...common,
        '--labels',
        's3://offline/labels/',
        '--archive',
        's3://offline/raw/',
        '--side-outputs',
        's3://side/',
      ],
      env,
    );
    expect(fromS3.stderr).toBe('');
    expect(fromS3.code).toBe(0);
    const fromFiles = await runCli([
      ...common,
      '--labels',
      paths.labels,
      '--archive',
      paths.archive,
      '--side-outputs',
      paths.sideOutputs,
    ]);
    const s3Report = JSON.parse(fromS3.stdout);
    const fileReport = JSON.parse(fromFiles.stdout);
    expect(s3Report.quality).toEqual(fileReport.quality);
    expect(s3Report.stream).toEqual(fileReport.stream);
    expect(s3Report.stream.setAside.length).toBeGreaterThan(0);
    expect({ ...s3Report.labels, examples: [] }).toEqual({ ...fileReport.labels, examples: [] });
    expect(s3Report.labels.examples[0].source).toMatch(
      /^s3:\/\/offline\/labels\/dt=2026-12-01\/by-keys\.jsonl:\d+$/,
    );
  }, 120_000);
});
