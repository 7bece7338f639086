/** What `streamfeatures retrain` reports, and its text form. */
import type { ModelQuality } from '../adapters/model/live-quality.js';
import type { HoldoutEvaluation } from '../adapters/model/retrain-evaluation.js';

export interface RetrainReport {
  readonly labels: {
    readonly location: string;
    /** Labels used: their event time is in the window. */
    readonly used: number;
    /** Of the labels read, those named by request id whose keys and time came from the feature log. */
    readonly placedByRequestId: number;
    /** Label files (or S3 objects) read, and those listed but left unread as written before --from could need them. */
    readonly files: number;
    readonly filesOlder: number;
    readonly outsideWindow: number;
    /** Labels left out as repeats of an earlier one (the same event, label and label_time). */
    readonly repeats: number;
    readonly window: { readonly from: string | null; readonly to: string | null };
  };
  readonly trainingSet: { readonly rows: number; readonly events: number; readonly specHash: string };
  /** The split by label time: training rows were all known before holdoutFrom, holdout rows from it on. */
  readonly split: {
    readonly by: 'label_time';
    readonly holdoutFrom: string;
    readonly holdoutShare: number;
    readonly trainRows: number;
    readonly trainPositives: number;
    readonly holdoutRows: number;
    readonly holdoutPositives: number;
  };
  readonly features: readonly string[];
  readonly threshold: number;
  readonly champion: HoldoutEvaluation & { readonly note?: string };
  readonly retrained: HoldoutEvaluation;
  readonly registered: { readonly version: string; readonly at: string; readonly alreadyThere: boolean };
  /** Shell commands: copy an S3 registry to a folder (the CDK app reads a folder), deploy as shadow, promote, roll back. */
  readonly commands: {
    readonly copyRegistry?: string;
    readonly shadow?: string;
    readonly promote?: string;
    readonly rollback: string;
  };
}

export function renderRetrainReport(report: RetrainReport): string {
  const { split, champion, retrained } = report;
  const lines: string[] = [
    `labels: ${report.labels.used} from ${report.labels.location}` +
      (report.labels.placedByRequestId > 0
        ? ` (${report.labels.placedByRequestId} named by request id, found in the feature log)`
        : '') +
      (report.labels.filesOlder > 0
        ? ` (${report.labels.files} label files read, ${report.labels.filesOlder} written before --from left unread)`
        : '') +
      (report.labels.outsideWindow > 0
        ? ` (${report.labels.outsideWindow} with event time outside the window)`
        : '') +
      (report.labels.repeats > 0 ? ` (${report.labels.repeats} repeated labels left out)` : '') +
      `; training set ${report.trainingSet.rows} rows from ${report.trainingSet.events} archived events, spec hash ` +
      report.trainingSet.specHash,
    `split by label_time at ${split.holdoutFrom}: trained on the ${split.trainRows} labels known before it ` +
      `(${split.trainPositives} positive), both models scored on the ${split.holdoutRows} known from it on ` +
      `(${split.holdoutPositives} positive): no label the model learnt from was known after a holdout label`,
    `features (${report.features.length}): ${report.features.join(', ')}`,
    '',
  ];
  const head = ['', `champion ${champion.modelVersion}`, `new ${retrained.modelVersion}`];
  const rows: [string, (q: ModelQuality) => string][] = [
    ['holdout rows (positive)', (q) => `${q.rows} (${q.positives})`],
    ['ROC AUC', (q) => fixed(q.rocAuc)],
    ['PR AUC', (q) => fixed(q.prAuc)],
    ['expected/observed rate', (q) => fixed(q.calibrationRatio, 3)],
    [`precision at ${report.threshold}`, (q) => fixed(q.precision)],
    [`recall at ${report.threshold}`, (q) => fixed(q.recall)],
  ];
  const table = [
    head,
    ...rows.map(([name, cell]) => [name, cell(champion.quality), cell(retrained.quality)]),
  ];
  const widths = [0, 1, 2].map((c) => Math.max(...table.map((row) => (row[c] as string).length)));
  for (const row of table)
    lines.push(`  ${row.map((cell, c) => cell.padEnd(widths[c] as number)).join('   ')}`.trimEnd());
  lines.push('  calibration by score decile, expected/observed rate:');
  for (const [who, q] of [
    ['champion', champion.quality],
    ['new', retrained.quality],
  ] as const) {
    lines.push(
      `    ${who.padEnd(8)} ${q.calibration.map((b) => `${b.expected.toFixed(3)}/${b.observed.toFixed(3)}`).join(' ')}`,
    );
  }
  if (champion.note) lines.push(`  note: ${champion.note}`);
  lines.push(
    '',
    report.registered.alreadyThere
      ? `model ${report.registered.version} was already in the registry (${report.registered.at}): same weights, left as it was`
      : `registered ${report.registered.version} at ${report.registered.at}`,
  );
  const { commands } = report;
  if (commands.copyRegistry)
    lines.push(`the CDK app reads the registry from a folder: ${commands.copyRegistry}`);
  lines.push('with your usual -c stage=… -c specFile=… (or cdk.json):');
  if (commands.shadow) {
    lines.push(`  run it as a shadow challenger:  ${commands.shadow}`);
    lines.push(`  promote it (no challenger):     ${commands.promote}`);
  } else lines.push('  the new model scores as the champion does (same content): nothing to deploy');
  lines.push(`  roll back to the champion:      ${commands.rollback}`);
  lines.push('  (put modelVersion in cdk.json to make a promotion last; drop challenger there if it is set)');
  return `${lines.join('\n')}\n`;
}

function fixed(value: number | null, digits = 4): string {
  return value === null ? 'n/a' : value.toFixed(digits);
}
