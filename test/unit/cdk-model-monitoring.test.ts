/**
 * The scheduled monitoring job in the synthesized stack: the schedule, what its role may read, each alarm (metric,
 * threshold, missing data, action) and the dashboard widgets; its settings from context.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainingDistributions } from '../../adapters/model/training-distributions.js';
import { appContext } from '../../lib/config.js';
import { DEFAULT_MODEL_MONITORING } from '../../lib/defaults.js';
import { DEFAULT_MODEL_REGISTRY, DEFAULT_MODEL_VERSION } from '../../lib/model-registry.js';
import {
  actionsOf,
  logicalIdOf,
  resourcesOf,
  type Statement,
  type Synthesized,
  statementsOfRole,
  synthesize,
} from '../cdk/synth.js';

/** The shipped model with training distributions of its features, as `train` records them. */
function registryWithDistributions(): { dir: string; features: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'sf-monitor-registry-'));
  const document = JSON.parse(
    readFileSync(join(DEFAULT_MODEL_REGISTRY, `${DEFAULT_MODEL_VERSION}.json`), 'utf8'),
  ) as { features: string[] };
  const columns = new Map(
    document.features.map((name, i) => [name, Array.from({ length: 50 }, (_, k) => k * (i + 1))]),
  );
  writeFileSync(
    join(dir, `${DEFAULT_MODEL_VERSION}.json`),
    JSON.stringify({ ...document, featureDistributions: trainingDistributions(columns) }),
  );
  return { dir, features: document.features };
}

type Resource = { Type: string; Properties?: Record<string, unknown> };

let dev: Synthesized;
let withDrift: Synthesized;
let registry: { dir: string; features: string[] };
beforeAll(() => {
  registry = registryWithDistributions();
  dev = synthesize();
  withDrift = synthesize({ modelRegistry: registry.dir });
}, 300_000);
afterAll(() => rmSync(registry.dir, { recursive: true, force: true }));

function monitorOf(s: Synthesized) {
  const job = s.pipeline.modelMonitoring;
  if (!job) throw new Error('no monitoring job');
  return job;
}

function alarmOf(s: Synthesized, name: string): Record<string, unknown> {
  const alarm = monitorOf(s).alarms[name];
  if (!alarm) throw new Error(`no alarm ${name} (have ${Object.keys(monitorOf(s).alarms).join(', ')})`);
  const resource = resourcesOf(s.template, 'AWS::CloudWatch::Alarm')[logicalIdOf(s.stack, alarm)] as Resource;
  return resource.Properties ?? {};
}

const dimensionsOf = (props: Record<string, unknown>) =>
  Object.fromEntries(
    ((props.Dimensions ?? []) as { Name: string; Value: unknown }[]).map((d) => [d.Name, d.Value]),
  );

describe('the monitoring job', () => {
  it('runs on an EventBridge rate schedule of 15 minutes, targeting the monitor function', () => {
    const job = monitorOf(dev);
    const rules = resourcesOf(dev.template, 'AWS::Events::Rule');
    const rule = rules[logicalIdOf(dev.stack, job.rule)] as Resource;
    expect(rule.Properties).toMatchObject({ ScheduleExpression: 'rate(15 minutes)', State: 'ENABLED' });
    const fnId = logicalIdOf(dev.stack, job.function);
    expect(rule.Properties?.Targets).toEqual([
      expect.objectContaining({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] } }),
    ]);
    const permissions = Object.values(resourcesOf(dev.template, 'AWS::Lambda::Permission')).filter((p) =>
      JSON.stringify(p.Properties?.FunctionName).includes(fnId),
    );
    expect(permissions.map((p) => p.Properties?.Principal)).toEqual(['events.amazonaws.com']);
    const fn = resourcesOf(dev.template, 'AWS::Lambda::Function')[fnId] as Resource;
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 1024,
      Timeout: 300,
    });
    const env = (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
      ?.Variables;
    expect(env).toMatchObject({
      FEATURE_LOG_PREFIX: 'features/',
      LABELS_PREFIX: 'labels/',
      RAW_ARCHIVE_PREFIX: 'raw/',
      QUARANTINE_PREFIX: 'quarantine/',
      LATE_PREFIX: 'late/',
      QUALITY_WINDOW_MS: '3600000',
      SERVING_WINDOW_MS: '3600000',
      LABEL_LOOKBACK_MS: String(7 * 24 * 3_600_000),
      WINDOW_LAG_MS: String((300 + 60) * 1000),
      SERVING_THRESHOLD: '0.5',
      POWERTOOLS_SERVICE_NAME: 'streamfeatures-dev-monitor',
    });
  });

  it("may list and read only the prefixes it reads, and use the buckets' keys only through S3", () => {
    const job = monitorOf(dev);
    const statements = statementsOfRole(dev.template, logicalIdOf(dev.stack, job.handler.role));
    const offlineBucket = logicalIdOf(dev.stack, dev.pipeline.offlineStore.bucket);
    const sideBucket = logicalIdOf(dev.stack, dev.pipeline.featureComputer.sideOutputBucket);
    const s3 = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
    const lists = s3.filter((s) => actionsOf(s).includes('s3:ListBucket'));
    expect(lists.map((s) => [JSON.stringify(s.Resource), s.Condition])).toEqual(
      expect.arrayContaining([
        [
          JSON.stringify({ 'Fn::GetAtt': [offlineBucket, 'Arn'] }),
          { StringLike: { 's3:prefix': ['features/*', 'labels/*', 'raw/*'] } },
        ],
        [
          JSON.stringify({ 'Fn::GetAtt': [sideBucket, 'Arn'] }),
          { StringLike: { 's3:prefix': ['quarantine/*', 'late/*'] } },
        ],
      ]),
    );
    expect(lists).toHaveLength(2);
    const gets = s3.filter((s) => !actionsOf(s).includes('s3:ListBucket'));
    for (const statement of gets) expect(actionsOf(statement)).toEqual(['s3:GetObject']);
    const objectArns = JSON.stringify(gets.map((s) => s.Resource));
    for (const prefix of ['features/*', 'labels/*', 'raw/*', 'quarantine/*', 'late/*'])
      expect(objectArns).toContain(`/${prefix}`);
    expect(objectArns).not.toMatch(/"\/\*"/);
    const kms = statements.filter((s: Statement) => actionsOf(s).some((a) => a.startsWith('kms:')));
    const keyArns = JSON.stringify(kms.map((statement) => statement.Resource));
    for (const key of [dev.pipeline.offlineStore.encryptionKey, dev.pipeline.featureComputer.sideOutputKey]) {
      expect(keyArns).toContain(logicalIdOf(dev.stack, key as NonNullable<typeof key>));
    }
    for (const statement of kms) {
      expect(actionsOf(statement)).toEqual(['kms:Decrypt']);
      expect(JSON.stringify(statement.Condition)).toContain('kms:ViaService');
      expect(JSON.stringify(statement.Condition)).toContain('s3.');
    }
    const other = statements.filter((s) => !actionsOf(s).some((a) => /^(s3|kms|logs|xray):/.test(a)));
    expect(other).toEqual([]);
  });

  it('alarms on the champion AUC, calibration, labels stopped, volume and its own errors, to the alarm topic', () => {
    const topic = { Ref: logicalIdOf(dev.stack, dev.pipeline.monitoring.topic) };
    const service = 'streamfeatures-dev-monitor';
    const champion = { service, ModelVersion: DEFAULT_MODEL_VERSION, Variant: 'champion' };
    const auc = alarmOf(dev, 'ModelAuc');
    expect(auc).toMatchObject({
      MetricName: 'RocAuc',
      Namespace: 'streamfeatures',
      Statistic: 'Minimum',
      Period: 900,
      Threshold: DEFAULT_MODEL_MONITORING.aucFloor,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 2,
      TreatMissingData: 'notBreaching',
    });
    expect(dimensionsOf(auc)).toEqual(champion);
    const calibration = alarmOf(dev, 'ModelCalibration');
    expect(calibration).toMatchObject({
      Threshold: DEFAULT_MODEL_MONITORING.calibrationFactor,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    const metrics = calibration.Metrics as {
      Expression?: string;
      MetricStat?: { Metric: Record<string, unknown> };
    }[];
    expect(metrics.find((m) => m.Expression)?.Expression).toBe('IF(r >= 1, r, 1/r)');
    const ratio = metrics.find((m) => m.MetricStat)?.MetricStat?.Metric ?? {};
    expect(ratio.MetricName).toBe('CalibrationRatio');
    expect(dimensionsOf(ratio)).toEqual(champion);
    const labels = alarmOf(dev, 'LabelsStopped');
    expect(labels).toMatchObject({
      MetricName: 'LabelsJoined',
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: DEFAULT_MODEL_MONITORING.labelsMissingPeriods,
      DatapointsToAlarm: DEFAULT_MODEL_MONITORING.labelsMissingPeriods,
      TreatMissingData: 'breaching',
    });
    expect(dimensionsOf(labels)).toEqual({ service });
    expect(alarmOf(dev, 'VolumeVsLastWeek')).toMatchObject({
      MetricName: 'EventsVsLastWeek',
      Threshold: DEFAULT_MODEL_MONITORING.volumeRatio,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    const errors = alarmOf(dev, 'MonitorJobErrors');
    expect(errors).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Threshold: 0,
      EvaluationPeriods: 1,
    });
    expect(dimensionsOf(errors)).toEqual({
      FunctionName: { Ref: logicalIdOf(dev.stack, monitorOf(dev).function) },
    });
    for (const name of Object.keys(monitorOf(dev).alarms)) {
      expect(alarmOf(dev, name).AlarmActions, name).toEqual([topic]);
      expect(alarmOf(dev, name).OKActions, name).toEqual([topic]);
    }
    // The shipped model has no training distributions: no drift alarm.
    expect(Object.keys(monitorOf(dev).alarms).filter((n) => n.startsWith('FeatureDrift-'))).toEqual([]);
  });

  it("leaves the quarantined share to the pipeline's QuarantineRate alarm: one alarm in the stack watches it", () => {
    expect(Object.keys(monitorOf(dev).alarms)).not.toContain('StreamQuarantineShare');
    // The job's metric by name, or the pipeline's share with invalid and future records over the total.
    const watching = Object.entries(resourcesOf(dev.template, 'AWS::CloudWatch::Alarm')).filter(
      ([, alarm]) =>
        alarm.Properties?.MetricName === 'QuarantineRate' ||
        JSON.stringify(alarm.Properties?.Metrics ?? []).includes('100*(FILL(invalid,0)+FILL(future,0))'),
    );
    expect(watching.map(([id]) => id)).toEqual([
      logicalIdOf(dev.stack, dev.pipeline.monitoring.alarms.QuarantineRate as never),
    ]);
    const [, pipelineAlarm] = watching[0] as [string, Resource];
    expect(JSON.stringify(pipelineAlarm.Properties?.Metrics)).toContain('RecordsInvalid');
    expect(String(pipelineAlarm.Properties?.AlarmDescription)).toContain('The one quarantine alarm');
  });

  it('alarms on PSI above 0.25 for each feature of a model trained with distributions', () => {
    const drift = Object.keys(monitorOf(withDrift).alarms).filter((n) => n.startsWith('FeatureDrift-'));
    expect(drift.sort()).toEqual(registry.features.map((f) => `FeatureDrift-${f}`).sort());
    const one = alarmOf(withDrift, `FeatureDrift-${registry.features[0]}`);
    expect(one).toMatchObject({
      MetricName: 'FeaturePsi',
      Statistic: 'Maximum',
      Threshold: 0.25,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(dimensionsOf(one)).toEqual({
      service: 'streamfeatures-dev-monitor',
      ModelVersion: DEFAULT_MODEL_VERSION,
      Feature: registry.features[0],
    });
  });

  it('adds quality, labels, drift and stream widgets and an alarm status of its alarms to the dashboard', () => {
    const body = JSON.stringify(
      Object.values(resourcesOf(withDrift.template, 'AWS::CloudWatch::Dashboard'))[0]?.Properties
        ?.DashboardBody,
    );
    for (const title of [
      'Model quality: ROC AUC and PR AUC',
      'Calibration: mean score / positive rate',
      'Precision and recall at 0.5',
      'Labels joined per window',
      'Label coverage (share)',
      'Label delay (ms)',
      'Feature drift vs training (PSI)',
      'Stream: volume vs last week, quarantine and late shares',
      'Model and data monitoring alarms',
    ]) {
      expect(body, title).toContain(title);
    }
    for (const metric of [
      'RocAuc',
      'PrAuc',
      'LabelCoverage',
      'LabelDelayP99',
      'EventsVsLastWeek',
      'LateRate',
    ]) {
      expect(body).toContain(`\\"${metric}\\"`);
    }
    const driftWidget = /Feature drift vs training.*?\}\}/.exec(body)?.[0] ?? '';
    for (const feature of registry.features) expect(driftWidget).toContain(`\\"${feature}\\"`);
  });
});

describe('the monitoring job settings', () => {
  it('reads them from context: off with false, thresholds from JSON', () => {
    const off = appContext({ stage: 'dev', specFile: 'x.json', modelMonitoring: 'false' });
    expect(off.overrides.modelMonitoring).toBe(false);
    const tuned = appContext({
      stage: 'dev',
      specFile: 'x.json',
      modelMonitoring: '{"aucFloor":0.8,"scheduleMinutes":5}',
    });
    expect(tuned.overrides.modelMonitoring).toEqual({ aucFloor: 0.8, scheduleMinutes: 5 });
    expect(() => appContext({ stage: 'dev', specFile: 'x.json', modelMonitoring: '7' })).toThrow(
      /modelMonitoring: must be true, false or a JSON object \(got "7"\)/,
    );
  });

  it('fails the synth naming a bad setting and its value', () => {
    expect(() => synthesize({ modelMonitoring: { aucFloor: 1.5, scheduleMinutes: 0 } })).toThrow(
      /modelMonitoring\.aucFloor must be from 0 to 1 \(got 1\.5\)[\s\S]*modelMonitoring\.scheduleMinutes must be a whole number from 1 to 1440 \(got 0\)/,
    );
    expect(() => synthesize({ modelMonitoring: { aucFlor: 0.8 } as never })).toThrow(
      /modelMonitoring\.aucFlor is no setting/,
    );
    expect(() => synthesize({ modelMonitoring: { quarantineShare: 0.02 } as never })).toThrow(
      /modelMonitoring\.quarantineShare is no longer a setting \(got 0\.02\): the pipeline's QuarantineRate alarm[^\n]*quarantinePercent/,
    );
  });

  it("with Iceberg, builds the job by default and lets it list and read only the tables' metadata/ and data/", () => {
    const iceberg = synthesize({ offlineFormat: 'iceberg' });
    const job = monitorOf(iceberg);
    const statements = statementsOfRole(iceberg.template, logicalIdOf(iceberg.stack, job.handler.role));
    const offlineBucket = JSON.stringify({
      'Fn::GetAtt': [logicalIdOf(iceberg.stack, iceberg.pipeline.offlineStore.bucket), 'Arn'],
    });
    const lists = statements.filter(
      (s) => actionsOf(s).includes('s3:ListBucket') && JSON.stringify(s.Resource) === offlineBucket,
    );
    const tables = ['features/metadata/*', 'features/data/*', 'labels/*', 'raw/metadata/*', 'raw/data/*'];
    expect(lists.map((s) => s.Condition)).toEqual([{ StringLike: { 's3:prefix': tables } }]);
    const objectArns = JSON.stringify(
      statements.filter((s) => actionsOf(s).includes('s3:GetObject')).map((s) => s.Resource),
    );
    for (const prefix of tables) expect(objectArns).toContain(`/${prefix}`);
    expect(objectArns).not.toContain('/raw/*');
    expect(objectArns).not.toContain('/features/*');
  });

  it('builds no job with modelMonitoring false, and one on a 5-minute schedule with its thresholds when told', () => {
    expect(synthesize({ modelMonitoring: false }).pipeline.modelMonitoring).toBeUndefined();
    const tuned = synthesize({
      modelMonitoring: { scheduleMinutes: 5, aucFloor: 0.8, servingThreshold: 0.3 },
    });
    const rule = Object.values(resourcesOf(tuned.template, 'AWS::Events::Rule'))[0] as Resource;
    expect(rule.Properties?.ScheduleExpression).toBe('rate(5 minutes)');
    expect(alarmOf(tuned, 'ModelAuc')).toMatchObject({ Threshold: 0.8, Period: 300 });
    const fn = resourcesOf(tuned.template, 'AWS::Lambda::Function')[
      logicalIdOf(tuned.stack, monitorOf(tuned).function)
    ] as Resource;
    expect(JSON.stringify(fn.Properties?.Environment)).toContain('"SERVING_THRESHOLD":"0.3"');
  });
});

describe('the monitoring job with a SageMaker champion', () => {
  const sagemaker = { backend: 'sagemaker' as const, endpointName: 'Fraud-Model' };

  it('creates no champion alarm unless its version is named, then its AUC, calibration and drift alarms', () => {
    const unnamed = synthesize({ model: sagemaker, modelRegistry: registry.dir });
    expect(Object.keys(monitorOf(unnamed).alarms).sort()).toEqual([
      'LabelsStopped',
      'MonitorJobErrors',
      'VolumeVsLastWeek',
    ]);
    // The registry holds the version the endpoint answers with, with training distributions.
    const named = synthesize({
      model: sagemaker,
      modelRegistry: registry.dir,
      modelMonitoring: { championVersion: DEFAULT_MODEL_VERSION },
    });
    const champion = { service: 'streamfeatures-dev-monitor', ModelVersion: DEFAULT_MODEL_VERSION };
    expect(dimensionsOf(alarmOf(named, 'ModelAuc'))).toEqual({ ...champion, Variant: 'champion' });
    expect(alarmOf(named, 'ModelCalibration')).toBeDefined();
    const drift = Object.keys(monitorOf(named).alarms).filter((n) => n.startsWith('FeatureDrift-'));
    expect(drift.sort()).toEqual(registry.features.map((f) => `FeatureDrift-${f}`).sort());
  });

  it('fails naming the setting when it is not a version, or when the champion is the embedded model', () => {
    expect(() => synthesize({ model: sagemaker, modelMonitoring: { championVersion: ' ' } })).toThrow(
      /modelMonitoring\.championVersion must be a model version \(a non-empty string\) \(got " "\)/,
    );
    expect(() => synthesize({ modelMonitoring: { championVersion: 'fraud-lr-000000000000' } })).toThrow(
      `modelMonitoring.championVersion names a SageMaker champion's version, but the champion is the embedded model ${DEFAULT_MODEL_VERSION} (got "fraud-lr-000000000000")`,
    );
  });
});
