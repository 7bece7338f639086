/** The monitoring job's settings, their checks, the values a construct resolves them to, and its labels prefix. */
import { DEFAULT_SERVING_THRESHOLD } from '../adapters/model/live-quality.js';
import { DEFAULT_MODEL_MONITORING } from './defaults.js';
import { Problems } from './errors.js';

/** Where delayed labels go in the offline bucket (README "Closing the loop"). */
export const LABELS_PREFIX = 'labels/';

/** The monitoring job's settings; each default is DEFAULT_MODEL_MONITORING's (lib/defaults.ts). */
export interface ModelMonitoringSettings {
  /** How often the job runs, minutes: also the alarms' period. @default 15 */
  readonly scheduleMinutes?: number;
  /** The window of label time the quality figures cover, minutes. @default 60 */
  readonly qualityWindowMinutes?: number;
  /** The window of serving time drift and stream quality cover, minutes. @default 60 */
  readonly servingWindowMinutes?: number;
  /**
   * How far before the quality window the feature log is read for the requests labels name, hours: a label
   * whose request is older counts as unmatched. Each run reads this much of the log. @default 168 (7 days)
   */
  readonly labelLookbackHours?: number;
  /** The score at or above which a request counts as flagged, for precision and recall. @default 0.5 */
  readonly servingThreshold?: number;
  /** Alarm when the champion's ROC AUC is below this. @default 0.7 */
  readonly aucFloor?: number;
  /** Alarm when mean score / positive rate is above this or below its inverse. @default 2 */
  readonly calibrationFactor?: number;
  /** Alarm when no label has been joined for this many runs (no data counts as none). @default 8 */
  readonly labelsMissingPeriods?: number;
  /** Alarm when a feature's PSI against training is above this. @default 0.25 */
  readonly psiThreshold?: number;
  /** Alarm when the window's records are below this share of the same window a week earlier. @default 0.5 */
  readonly volumeRatio?: number;
  /**
   * The version a SageMaker champion's answers carry (its `modelVersion`, or `sagemaker:<endpoint>[/<variant>]`
   * when it answers none): the champion's AUC and calibration alarms watch it, and its drift alarms when the
   * registry holds that version with training distributions. Not for the embedded model, whose version is known.
   * @default - the embedded model's version; with a SageMaker model, none: no champion alarms
   */
  readonly championVersion?: string;
}

/** The settings as the alarms and dashboard read them: every number resolved; the champion is the construct's. */
export type ResolvedMonitoringSettings = Required<Omit<ModelMonitoringSettings, 'championVersion'>>;

/**
 * Settings the job had and no longer has, with where their job went: the quarantine share is watched once, by the
 * pipeline's QuarantineRate alarm (lib/monitoring.ts), from the features function's own counts.
 */
const RETIRED: Readonly<Record<string, string>> = {
  quarantineShare:
    "the pipeline's QuarantineRate alarm watches the quarantined share: set its threshold with " +
    '-c \'alarmThresholds={"quarantinePercent":1}\'',
};

/** Every problem with the settings, each naming the bad value. */
export function modelMonitoringProblems(settings: ModelMonitoringSettings = {}): string[] {
  const problems = new Problems();
  const known = [...Object.keys(DEFAULT_MODEL_MONITORING), 'servingThreshold', 'championVersion'];
  const whole = ['scheduleMinutes', 'qualityWindowMinutes', 'servingWindowMinutes', 'labelsMissingPeriods'];
  const shares = ['servingThreshold', 'aucFloor', 'volumeRatio'];
  for (const [name, value] of Object.entries(settings)) {
    if (name in RETIRED) {
      problems.add(
        `modelMonitoring.${name} is no longer a setting (got ${JSON.stringify(value)}): ${RETIRED[name]}`,
      );
    } else if (!known.includes(name)) {
      problems.add(`modelMonitoring.${name} is no setting (known: ${known.join(', ')})`);
    } else if (name === 'championVersion') {
      problems.check(
        typeof value === 'string' && value.trim() !== '',
        'modelMonitoring.championVersion must be a model version (a non-empty string)',
        value,
      );
    } else if (value !== undefined) {
      const ok =
        typeof value === 'number' &&
        Number.isFinite(value) &&
        (whole.includes(name) ? Number.isInteger(value) && value >= 1 : true) &&
        (shares.includes(name) ? value >= 0 && value <= 1 : value >= 0) &&
        (name === 'calibrationFactor' ? value > 1 : true) &&
        (name === 'scheduleMinutes' ? value <= 1440 : true);
      problems.check(
        ok,
        `modelMonitoring.${name} must be ${
          whole.includes(name)
            ? `a whole number from 1${name === 'scheduleMinutes' ? ' to 1440' : ''}`
            : shares.includes(name)
              ? 'from 0 to 1'
              : name === 'calibrationFactor'
                ? 'above 1'
                : 'at least 0'
        }`,
        value,
      );
    }
  }
  return problems.list;
}

/** The settings with every default filled in. */
export function resolvedSettings(settings: ModelMonitoringSettings = {}): ResolvedMonitoringSettings {
  const { championVersion: _, ...numbers } = settings;
  return {
    ...DEFAULT_MODEL_MONITORING,
    servingThreshold: DEFAULT_SERVING_THRESHOLD,
    ...definedOnly(numbers),
  };
}

function definedOnly<T extends object>(settings: T): Partial<T> {
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as Partial<T>;
}
