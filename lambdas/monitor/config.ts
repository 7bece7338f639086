/**
 * The monitor function's configuration. Every value is wired by the construct (lib/model-monitoring.ts), whose
 * defaults are stated once in lib/defaults.ts: here nothing has a default of its own, so a missing variable fails
 * naming it instead of running on a second copy of a default.
 */
import * as z from 'zod/mini';
import { type Env, readEnv, required } from '../shared/config.js';

const prefix = (what: string) => required(what).check(z.refine((v) => v.endsWith('/'), 'must end with "/"'));

/** A whole number of milliseconds, 0 allowed only where `zero` says so. */
const millis = (what: string, zero = false) =>
  z.pipe(
    required(what).check(
      z.regex(
        zero ? /^\d+$/ : /^[1-9]\d*$/,
        `must be a whole number of milliseconds${zero ? '' : ' above 0'}`,
      ),
    ),
    z.transform(Number),
  );

const schema = z.object({
  OFFLINE_BUCKET: required('the offline-store bucket'),
  FEATURE_LOG_PREFIX: prefix('the feature log prefix in the offline bucket'),
  LABELS_PREFIX: prefix('the delayed labels prefix in the offline bucket'),
  RAW_ARCHIVE_PREFIX: prefix('the raw archive prefix in the offline bucket'),
  SIDE_OUTPUT_BUCKET: required('the side-output bucket (quarantine, late)'),
  QUARANTINE_PREFIX: prefix('the quarantine prefix in the side-output bucket'),
  LATE_PREFIX: prefix('the late prefix in the side-output bucket'),
  QUALITY_WINDOW_MS: millis('the window of label time model quality is computed over'),
  SERVING_WINDOW_MS: millis('the window of serving time drift and stream quality are computed over'),
  LABEL_LOOKBACK_MS: millis(
    'how far before the quality window the feature log is read for labels to join',
    true,
  ),
  WINDOW_LAG_MS: millis('how long before the run the windows end (Firehose buffering)', true),
  SERVING_THRESHOLD: z.pipe(
    required('the serving threshold for precision and recall').check(
      z.refine((v) => /^(0(\.\d+)?|1(\.0+)?)$/.test(v), 'must be a number from 0 to 1'),
    ),
    z.transform(Number),
  ),
});

export interface MonitorLocations {
  readonly offlineBucket: string;
  readonly featureLogPrefix: string;
  readonly labelsPrefix: string;
  readonly rawArchivePrefix: string;
  readonly sideOutputBucket: string;
  readonly quarantinePrefix: string;
  readonly latePrefix: string;
}

export interface MonitorWindows {
  /** Labels whose label_time falls in the last this-many ms give the quality figures. */
  readonly qualityMs: number;
  /** Requests and records of the last this-many ms give drift and stream quality. */
  readonly servingMs: number;
  /** The feature log is read this far before the quality window, for the requests late labels name. */
  readonly labelLookbackMs: number;
  /** The windows end this long before the run: what Firehose may still be buffering is not counted as missing. */
  readonly lagMs: number;
}

export interface MonitorConfig {
  readonly locations: MonitorLocations;
  readonly windows: MonitorWindows;
  readonly threshold: number;
}

export function readMonitorConfig(env: Env): MonitorConfig {
  const c = readEnv(schema, env, 'monitor');
  return {
    locations: {
      offlineBucket: c.OFFLINE_BUCKET,
      featureLogPrefix: c.FEATURE_LOG_PREFIX,
      labelsPrefix: c.LABELS_PREFIX,
      rawArchivePrefix: c.RAW_ARCHIVE_PREFIX,
      sideOutputBucket: c.SIDE_OUTPUT_BUCKET,
      quarantinePrefix: c.QUARANTINE_PREFIX,
      latePrefix: c.LATE_PREFIX,
    },
    windows: {
      qualityMs: c.QUALITY_WINDOW_MS,
      servingMs: c.SERVING_WINDOW_MS,
      labelLookbackMs: c.LABEL_LOOKBACK_MS,
      lagMs: c.WINDOW_LAG_MS,
    },
    threshold: c.SERVING_THRESHOLD,
  };
}
