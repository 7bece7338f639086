import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MonitorLocations, MonitorWindows } from '../../lambdas/monitor/config.js';
import { buildWindowReport, LABEL_CLOCK_SLACK_MS } from '../../lambdas/monitor/window-report.js';
import { type LocalCloud, startLocalCloud } from '../../packages/local-cloud/src/local-cloud.js';
import { fraudSpec } from '../support/fraud-training-set.js';

/**
 * The monitoring job reads only the label objects that can hold a label known in its quality window: one S3 last
 * modified well before the window starts is listed, not fetched, so a run's reads do not grow with the history.
 * Counted on the local cloud's S3 by recording every GetObject the job's client sends.
 */
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const region = 'us-east-1';
const locations: MonitorLocations = {
  offlineBucket: 'offline',
  featureLogPrefix: 'features/',
  labelsPrefix: 'labels/',
  rawArchivePrefix: 'raw/',
  sideOutputBucket: 'side',
  quarantinePrefix: 'quarantine/',
  latePrefix: 'late/',
};
const windows: MonitorWindows = {
  qualityMs: 3_600_000,
  servingMs: 3_600_000,
  labelLookbackMs: 0,
  lagMs: 75_000,
};
const label = (id: string) =>
  `${JSON.stringify({ request_id: id, label: 1, label_time: '2026-12-01T10:00:00Z' })}\n`;

let cloud: LocalCloud;
let s3: S3Client;
const fetched: string[] = [];
let oldWritten: number;
let newWritten: number;

const lastModified = async (key: string) =>
  ((await s3.send(new HeadObjectCommand({ Bucket: 'offline', Key: key }))).LastModified as Date).getTime();

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  s3 = new S3Client({ endpoint: cloud.endpoint, region, credentials, forcePathStyle: true });
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'GetObjectCommand') fetched.push((args.input as { Key: string }).Key);
      return next(args);
    },
    { step: 'initialize', name: 'recordGetObject' },
  );
  await s3.send(new CreateBucketCommand({ Bucket: 'offline' }));
  await s3.send(new CreateBucketCommand({ Bucket: 'side' }));
  await s3.send(
    new PutObjectCommand({ Bucket: 'offline', Key: 'labels/2026-11/old.jsonl', Body: label('a') }),
  );
  oldWritten = await lastModified('labels/2026-11/old.jsonl');
  // S3 keeps LastModified to the second: write the newer object until its time is later (a deadline, no sleep).
  const deadline = Date.now() + 30_000;
  do {
    await s3.send(
      new PutObjectCommand({ Bucket: 'offline', Key: 'labels/2026-12/new.jsonl', Body: label('b') }),
    );
    newWritten = await lastModified('labels/2026-12/new.jsonl');
    if (newWritten > oldWritten) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  } while (Date.now() < deadline);
  expect(newWritten).toBeGreaterThan(oldWritten);
}, 180_000);

afterAll(async () => {
  s3?.destroy();
  await cloud?.stop();
});

/** A run whose quality window starts the slack after `writtenMs`: objects written from then on can hold labels. */
async function runFrom(writtenMs: number) {
  fetched.length = 0;
  const nowMs = writtenMs + LABEL_CLOCK_SLACK_MS + windows.lagMs + windows.qualityMs;
  const report = await buildWindowReport({
    spec: fraudSpec(),
    client: s3,
    locations,
    windows,
    threshold: 0.5,
    training: new Map(),
    nowMs,
  });
  return { report, labelGets: fetched.filter((key) => key.startsWith('labels/')).sort() };
}

describe('the monitoring job reading labels', () => {
  it('does not fetch a label object last modified before its window could begin', async () => {
    const { report, labelGets } = await runFrom(newWritten);
    expect(labelGets).toEqual(['labels/2026-12/new.jsonl']);
    expect(report.objects).toMatchObject({ labels: 1, labelsOlder: 1 });
    expect(report.labels.read).toBe(1);
  });

  it('fetches every label object a window starting before both can hold', async () => {
    const { report, labelGets } = await runFrom(oldWritten);
    expect(labelGets).toEqual(['labels/2026-11/old.jsonl', 'labels/2026-12/new.jsonl']);
    expect(report.objects).toMatchObject({ labels: 2, labelsOlder: 0 });
    expect(report.labels.read).toBe(2);
  });
});
