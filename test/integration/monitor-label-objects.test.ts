import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MonitorLocations, MonitorWindows } from '../../lambdas/monitor/config.js';
import { buildWindowReport, LABEL_CLOCK_SLACK_MS } from '../../lambdas/monitor/window-report.js';
import { type LocalCloud, startLocalCloud } from '../../packages/local-cloud/src/local-cloud.js';
import { fraudSpec } from '../support/fraud-training-set.js';
import {
  fetchRecordingS3,
  NEW_LABELS_KEY,
  OLD_LABELS_KEY,
  putOldAndNewLabels,
} from '../support/label-objects.js';

/**
 * The monitoring job reads only the label objects that can hold a label known in its quality window: one S3 last
 * modified well before the window starts is listed, not fetched, so a run's reads do not grow with the history.
 * Counted on the local cloud's S3 by recording every GetObject the job's client sends.
 */
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

let cloud: LocalCloud;
let s3: S3Client;
const fetched: string[] = [];
let oldWritten: number;
let newWritten: number;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  s3 = fetchRecordingS3(cloud.endpoint, fetched);
  await s3.send(new CreateBucketCommand({ Bucket: 'side' }));
  ({ oldWritten, newWritten } = await putOldAndNewLabels(s3));
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
    expect(labelGets).toEqual([NEW_LABELS_KEY]);
    expect(report.objects).toMatchObject({ labels: 1, labelsOlder: 1 });
    expect(report.labels.read).toBe(1);
  });

  it('fetches every label object a window starting before both can hold', async () => {
    const { report, labelGets } = await runFrom(oldWritten);
    expect(labelGets).toEqual([OLD_LABELS_KEY, NEW_LABELS_KEY]);
    expect(report.objects).toMatchObject({ labels: 2, labelsOlder: 0 });
    expect(report.labels.read).toBe(2);
  });
});
