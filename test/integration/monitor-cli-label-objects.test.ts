import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_CLOCK_SLACK_MS } from '../../adapters/monitoring/label-files.js';
import { buildMonitorReport } from '../../cli/monitor-command.js';
import { retrain } from '../../cli/retrain-command.js';
import { type LocalCloud, startLocalCloud } from '../../packages/local-cloud/src/local-cloud.js';
import { FRAUD_SPEC_FILE } from '../support/fraud-training-set.js';
import {
  fetchRecordingS3,
  NEW_LABELS_KEY,
  OLD_LABELS_KEY,
  putOldAndNewLabels,
} from '../support/label-objects.js';

/**
 * `streamfeatures monitor` and `retrain` read only the label objects under an S3 prefix that can hold a label of
 * their window, as the scheduled job does: one last modified over the clock slack before --from is listed, not
 * fetched. Counted on the local cloud's S3 by recording every GetObject the commands' client sends.
 */

let cloud: LocalCloud;
let s3: S3Client;
const fetched: string[] = [];
let oldWritten: number;
let newWritten: number;
const dir = mkdtempSync(join(tmpdir(), 'sf-cli-label-objects-'));
const featureLog = join(dir, 'log.jsonl');

beforeAll(async () => {
  writeFileSync(featureLog, '');
  cloud = await startLocalCloud({ port: 0 });
  s3 = fetchRecordingS3(cloud.endpoint, fetched);
  ({ oldWritten, newWritten } = await putOldAndNewLabels(s3));
}, 180_000);

afterAll(async () => {
  s3?.destroy();
  await cloud?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The monitor report over a window starting the slack after `writtenMs`, and the label objects it fetched. */
async function monitorFrom(writtenMs: number, allLabels = false) {
  fetched.length = 0;
  const report = await buildMonitorReport({
    spec: FRAUD_SPEC_FILE.pathname,
    featureLog,
    labels: 's3://offline/labels/',
    fromMs: writtenMs + LABEL_CLOCK_SLACK_MS,
    allLabels,
    s3: () => s3,
  });
  return { report, labelGets: fetched.filter((key) => key.startsWith('labels/')).sort() };
}

describe('monitor and retrain reading labels in S3', () => {
  it('monitor does not fetch a label object last modified before its window could begin', async () => {
    const { report, labelGets } = await monitorFrom(newWritten);
    expect(labelGets).toEqual([NEW_LABELS_KEY]);
    expect(report.labels).toMatchObject({ files: 1, filesOlder: 1, read: 1 });
  });

  it('monitor fetches every object a window starting before both can hold, and every one with --all-labels', async () => {
    const both = await monitorFrom(oldWritten);
    expect(both.labelGets).toEqual([OLD_LABELS_KEY, NEW_LABELS_KEY]);
    expect(both.report.labels).toMatchObject({ files: 2, filesOlder: 0, read: 2 });
    const all = await monitorFrom(newWritten + 60_000, true);
    expect(all.labelGets).toEqual([OLD_LABELS_KEY, NEW_LABELS_KEY]);
  });

  it('retrain fetches no label object written before --from could need it, and stops naming --all-labels', async () => {
    fetched.length = 0;
    const attempt = retrain(
      {
        spec: FRAUD_SPEC_FILE.pathname,
        archive: join(dir, 'no-archive'),
        labels: 's3://offline/labels/',
        models: new URL('../../examples/fraud/models', import.meta.url).pathname,
        champion: 'fraud-lr-52a6357d6140',
        fromMs: newWritten + LABEL_CLOCK_SLACK_MS + 1_000,
        s3: () => s3,
      },
      { out: () => {}, err: () => {} },
    );
    await expect(attempt).rejects.toThrow(/the 2 label files in s3:\/\/offline\/labels\/ .*--all-labels/);
    expect(fetched.filter((key) => key.startsWith('labels/'))).toEqual([]);
  });
});
