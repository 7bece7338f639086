import { describe, expect, it } from 'vitest';
import { readMonitorConfig } from '../../lambdas/monitor/config.js';
import { runTimeOf } from '../../lambdas/monitor/monitor-handler.js';
import { hourPrefixes } from '../../lambdas/monitor/window-report.js';

const wired = {
  OFFLINE_BUCKET: 'offline',
  FEATURE_LOG_PREFIX: 'features/',
  LABELS_PREFIX: 'labels/',
  RAW_ARCHIVE_PREFIX: 'raw/',
  SIDE_OUTPUT_BUCKET: 'side',
  QUARANTINE_PREFIX: 'quarantine/',
  LATE_PREFIX: 'late/',
  QUALITY_WINDOW_MS: '3600000',
  SERVING_WINDOW_MS: '1800000',
  LABEL_LOOKBACK_MS: '0',
  WINDOW_LAG_MS: '75000',
  SERVING_THRESHOLD: '0.35',
};

describe('the monitor function configuration', () => {
  it('reads what the construct wires', () => {
    expect(readMonitorConfig(wired)).toEqual({
      locations: {
        offlineBucket: 'offline',
        featureLogPrefix: 'features/',
        labelsPrefix: 'labels/',
        rawArchivePrefix: 'raw/',
        sideOutputBucket: 'side',
        quarantinePrefix: 'quarantine/',
        latePrefix: 'late/',
      },
      windows: { qualityMs: 3_600_000, servingMs: 1_800_000, labelLookbackMs: 0, lagMs: 75_000 },
      threshold: 0.35,
    });
  });

  it('fails naming every missing or bad variable and its value, with no default of its own', () => {
    const { OFFLINE_BUCKET: _, ...withoutBucket } = wired;
    expect(() =>
      readMonitorConfig({
        ...withoutBucket,
        LABELS_PREFIX: 'labels',
        QUALITY_WINDOW_MS: '0',
        SERVING_THRESHOLD: '2',
      }),
    ).toThrow(
      /OFFLINE_BUCKET: required: the offline-store bucket[\s\S]*LABELS_PREFIX: must end with "\/" \(got "labels"\)[\s\S]*QUALITY_WINDOW_MS: must be a whole number of milliseconds above 0 \(got "0"\)[\s\S]*SERVING_THRESHOLD: must be a number from 0 to 1 \(got "2"\)/,
    );
  });
});

describe('the monitor function window', () => {
  it('reads the hour partitions Firehose writes that overlap the window, across a day', () => {
    expect(
      hourPrefixes('features/', Date.parse('2026-12-06T22:59:59Z'), Date.parse('2026-12-07T01:00:00Z')),
    ).toEqual([
      'features/dt=2026-12-06/hour=22/',
      'features/dt=2026-12-06/hour=23/',
      'features/dt=2026-12-07/hour=00/',
      'features/dt=2026-12-07/hour=01/',
    ]);
  });

  it("runs at the scheduled event's time, else now", () => {
    const now = () => 42;
    expect(runTimeOf({ time: '2026-12-06T10:15:00Z', 'detail-type': 'Scheduled Event' }, now)).toBe(
      Date.parse('2026-12-06T10:15:00Z'),
    );
    expect(runTimeOf({}, now)).toBe(42);
    expect(runTimeOf({ time: 'soon' }, now)).toBe(42);
    expect(runTimeOf(null, now)).toBe(42);
  });
});
