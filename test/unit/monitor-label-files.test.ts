import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LABEL_CLOCK_SLACK_MS } from '../../adapters/monitoring/label-files.js';
import { buildMonitorReport, renderMonitorReport } from '../../cli/monitor-command.js';
import { retrain } from '../../cli/retrain-command.js';
import { FRAUD_SPEC_FILE } from '../support/fraud-training-set.js';

/**
 * `monitor` and `retrain` read only the label files of a folder that can hold a label they need: one last modified
 * more than the clock slack before --from holds no label known (monitor) or no event (retrain) from --from on.
 * Counted by the files each report says it read, the file times set on disk.
 */
const dir = mkdtempSync(join(tmpdir(), 'sf-label-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HOUR = 3_600_000;
const from = Date.parse('2026-11-20T00:00:00Z');
const labels = join(dir, 'labels');
mkdirSync(join(labels, '2026-10'), { recursive: true });
mkdirSync(join(labels, '2026-11'), { recursive: true });
const labelFile = (path: string, id: string, modifiedMs: number) => {
  writeFileSync(path, `${JSON.stringify({ request_id: id, label: 1, label_time: modifiedMs - HOUR })}\n`);
  utimesSync(path, new Date(modifiedMs), new Date(modifiedMs));
};
// Written a day before the window, just past the slack, and inside the window.
labelFile(join(labels, '2026-10', 'old.jsonl'), 'r-old', from - 24 * HOUR);
labelFile(join(labels, '2026-11', 'edge.jsonl'), 'r-edge', from - LABEL_CLOCK_SLACK_MS);
labelFile(join(labels, '2026-11', 'new.jsonl'), 'r-new', from + HOUR);
const featureLog = join(dir, 'log.jsonl');
writeFileSync(
  featureLog,
  `${JSON.stringify({
    request_id: 'r-new',
    request_ms: from + 10 * 60_000,
    t: from + 10 * 60_000,
    entities: { card: { card_id: 'c1' } },
    features: { card_txn_count_1h: 1 },
    score: 0.9,
    model_version: 'fraud-lr-aaaaaaaaaaaa',
    variant: 'champion',
  })}\n`,
);

const monitor = (options: { fromMs?: number; toMs?: number; allLabels?: boolean; labels?: string }) =>
  buildMonitorReport({ spec: FRAUD_SPEC_FILE.pathname, featureLog, labels, ...options });

describe('monitor reading a folder of labels', () => {
  it('reads only the files last modified since the window start less the slack, and says how many it left', async () => {
    const report = await monitor({ fromMs: from, toMs: from + 2 * HOUR });
    expect(report.labels).toMatchObject({ files: 2, filesOlder: 1, read: 2, joined: 1 });
  });

  it('reads every file with allLabels (--all-labels), or when the window has no start', async () => {
    const all = await monitor({ fromMs: from, allLabels: true });
    expect(all.labels).toMatchObject({ files: 3, filesOlder: 0, read: 3 });
    const open = await monitor({});
    expect(open.labels).toMatchObject({ files: 3, filesOlder: 0, read: 3 });
  });

  it('reads a label file named on its own whatever its time', async () => {
    const report = await monitor({ fromMs: from, labels: join(labels, '2026-10', 'old.jsonl') });
    expect(report.labels).toMatchObject({ files: 1, filesOlder: 0, read: 1 });
  });

  it('leaves every file unread when the window starts after them all, and the text report says so', async () => {
    const report = await monitor({ fromMs: from + 3 * HOUR });
    expect(report.labels).toMatchObject({ files: 0, filesOlder: 3, read: 0 });
    expect(renderMonitorReport(report)).toContain(
      "0 label files read; 3 last modified over 15 min before the window's start left unread (--all-labels reads them)",
    );
  });
});

describe('retrain reading a folder of labels', () => {
  const io = { out: () => {}, err: () => {} };
  it('fails naming --all-labels when every file was written before --from could need it, registering nothing', async () => {
    const attempt = retrain(
      {
        spec: FRAUD_SPEC_FILE.pathname,
        archive: join(dir, 'no-archive'),
        labels,
        models: new URL('../../examples/fraud/models', import.meta.url).pathname,
        champion: 'fraud-lr-52a6357d6140',
        fromMs: from + 3 * HOUR,
      },
      io,
    );
    await expect(attempt).rejects.toThrow(
      /the 3 label files in .* were all last modified before --from .*--all-labels/,
    );
  });
});
