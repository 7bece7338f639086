/**
 * `labelsStream: true` as synthesized: a Kinesis stream of its own for delayed labels, encrypted with the events
 * stream's key and in its capacity mode; a function on it (partial batch responses, bisect, bounded retries, the
 * on-failure destination) allowed to read that stream, put to its own delivery stream (`labels/stream/`) and write
 * the labels quarantine, nothing else; its alarms on the pipeline's topic; the stream's name as an output. Off by
 * default, and then nothing of it is in the template.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { STREAM_LABELS_PREFIX } from '../../lib/label-delivery.js';
import { LABELS_QUARANTINE_PREFIX } from '../../lib/labels-stream.js';
import { LABELS_PREFIX } from '../../lib/model-monitoring.js';
import { PACKAGE_ROOT } from '../../lib/streamfeatures-function.js';
import {
  actionsOf,
  logicalIdOf,
  resourcesOf,
  type Synthesized,
  statementsOfRole,
  synthesize,
} from '../cdk/synth.js';

let on: Synthesized;
let dev: Synthesized;
beforeAll(() => {
  on = synthesize({ labelsStream: true });
  dev = synthesize();
}, 120_000);

const labelsOf = (s: Synthesized) => {
  const labels = s.pipeline.labelsStream;
  if (!labels) throw new Error('no labels stream');
  return labels;
};
const idOf = (s: Synthesized, construct: IConstruct) => logicalIdOf(s.stack, construct);
const getAtt = (s: Synthesized, construct: IConstruct) => ({ 'Fn::GetAtt': [idOf(s, construct), 'Arn'] });

describe('labelsStream', () => {
  it('is off by default: no second stream, no labels-stream function, no output', () => {
    expect(dev.pipeline.labelsStream).toBeUndefined();
    expect(Object.keys(resourcesOf(dev.template, 'AWS::Kinesis::Stream'))).toHaveLength(1);
    expect(JSON.stringify(dev.template.toJSON())).not.toMatch(/labels\/stream\/|labels-quarantine/);
    expect(Object.keys(dev.template.toJSON().Outputs)).not.toContain('LabelsStreamName');
  });

  it("makes a stream of its own, encrypted with the events stream's key, on-demand like it", () => {
    const labels = labelsOf(on);
    const streams = resourcesOf(on.template, 'AWS::Kinesis::Stream');
    expect(Object.keys(streams)).toHaveLength(2);
    const own = streams[idOf(on, labels.stream.stream)]?.Properties;
    const events = streams[idOf(on, on.pipeline.stream.stream)]?.Properties;
    expect(own?.StreamEncryption).toEqual(events?.StreamEncryption);
    expect(own?.StreamEncryption).toEqual({
      EncryptionType: 'KMS',
      KeyId: getAtt(on, on.pipeline.stream.encryptionKey as IConstruct),
    });
    expect(own?.StreamModeDetails).toEqual({ StreamMode: 'ON_DEMAND' });
    expect(own?.RetentionPeriodHours).toBe(24);
    // No second key: the events stream's encrypts it.
    expect(Object.keys(resourcesOf(on.template, 'AWS::KMS::Key'))).toHaveLength(
      Object.keys(resourcesOf(dev.template, 'AWS::KMS::Key')).length,
    );
  });

  it("takes the events stream's provisioned shards and retention", () => {
    const s = synthesize({
      labelsStream: true,
      streamMode: 'provisioned',
      shardCount: 2,
      streamRetention: Duration.hours(48),
    });
    const own = resourcesOf(s.template, 'AWS::Kinesis::Stream')[idOf(s, labelsOf(s).stream.stream)]
      ?.Properties;
    expect(own).toMatchObject({ StreamModeDetails: { StreamMode: 'PROVISIONED' }, ShardCount: 2 });
    expect(own?.RetentionPeriodHours).toBe(48);
  });

  it('maps the stream to its function with partial batch responses, bisect, bounded retries and the side-output bucket as on-failure destination', () => {
    const labels = labelsOf(on);
    on.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: getAtt(on, labels.stream.stream),
      FunctionName: { Ref: idOf(on, labels.function) },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 500,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 3600,
      ParallelizationFactor: 1,
      DestinationConfig: {
        OnFailure: { Destination: getAtt(on, on.pipeline.featureComputer.sideOutputBucket) },
      },
    });
    on.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          DELIVERY_STREAM_NAME: { Ref: idOf(on, labels.delivery.deliveryStream) },
          SIDE_OUTPUT_BUCKET: { Ref: idOf(on, on.pipeline.featureComputer.sideOutputBucket) },
          QUARANTINE_PREFIX: LABELS_QUARANTINE_PREFIX,
          POWERTOOLS_SERVICE_NAME: 'streamfeatures-dev-labels-stream',
        }),
      },
    });
  });

  it('lets the function read its stream only, put to its delivery stream only, and write the labels quarantine', () => {
    const labels = labelsOf(on);
    const statements = statementsOfRole(on.template, idOf(on, labels.handler.role));
    const data = statements.filter((s) => !actionsOf(s).every((a) => /^(logs|xray):/.test(a)));
    const text = (s: { Resource: unknown }) => JSON.stringify(s.Resource);
    const kinesis = data.filter((s) => actionsOf(s).some((a) => a.startsWith('kinesis:')));
    expect(kinesis.map(text)).toEqual(kinesis.map(() => JSON.stringify(getAtt(on, labels.stream.stream))));
    expect(JSON.stringify(kinesis)).not.toContain(idOf(on, on.pipeline.stream.stream));
    expect(data.filter((s) => actionsOf(s).some((a) => a.startsWith('firehose:')))).toEqual([
      {
        Effect: 'Allow',
        Action: 'firehose:PutRecordBatch',
        Resource: getAtt(on, labels.delivery.deliveryStream),
      },
    ]);
    const puts = data
      .filter((s) => actionsOf(s).includes('s3:PutObject'))
      .flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]))
      .map((arn) => (arn as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1][1]);
    // Its quarantine and Lambda's failed-batch objects: not the events' quarantine/ or late/.
    expect(puts.sort()).toEqual(['/aws/lambda/*', `/${LABELS_QUARANTINE_PREFIX}*`]);
    const kms = data.filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')));
    for (const statement of kms) expect(statement.Condition).toBeDefined();
    const allActions = data.flatMap(actionsOf).sort();
    expect(allActions.filter((a) => !/^(kinesis|firehose|s3|kms):/.test(a))).toEqual([]);
  });

  it('delivers under labels/stream/, beside the API labels, plain JSON Lines with the offline key', () => {
    const labels = labelsOf(on);
    expect(STREAM_LABELS_PREFIX.startsWith(LABELS_PREFIX)).toBe(true);
    const keyArn = getAtt(on, on.pipeline.offlineStore.encryptionKey);
    on.template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: keyArn },
      ExtendedS3DestinationConfiguration: Match.objectLike({
        BucketARN: getAtt(on, on.pipeline.offlineStore.bucket),
        Prefix: 'labels/stream/dt=!{timestamp:yyyy-MM-dd}/',
        ErrorOutputPrefix: 'errors/labels/stream/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/',
        FileExtension: '.jsonl',
        CompressionFormat: 'UNCOMPRESSED',
        BufferingHints: { IntervalInSeconds: 300, SizeInMBs: 5 },
      }),
    });
    expect(labels.delivery.prefix).toBe(STREAM_LABELS_PREFIX);
  });

  it('expires the labels quarantine of a side-output bucket the app made', () => {
    on.template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Id: 'expire-labels-quarantine',
            Prefix: LABELS_QUARANTINE_PREFIX,
            ExpirationInDays: 90,
          }),
        ]),
      },
    });
  });

  it("alarms on the pipeline's topic: iterator age, failed batches, records set aside, the function's errors, the delivery", () => {
    const labels = labelsOf(on);
    const alarms = on.pipeline.monitoring.alarms;
    for (const name of [
      'LabelsStreamIteratorAge',
      'LabelsStreamFailureDestinationArrivals',
      'LabelsStreamQuarantined',
      'LabelsStreamErrors',
      'LabelsStreamThrottles',
      'LabelsStreamDeliveryFreshness',
      'LabelsStreamDeliveryToS3',
    ]) {
      const alarm = alarms[name];
      expect(alarm, name).toBeDefined();
      const props = resourcesOf(on.template, 'AWS::CloudWatch::Alarm')[idOf(on, alarm as IConstruct)]
        ?.Properties;
      expect(props?.AlarmActions, name).toEqual([
        { Ref: idOf(on, on.pipeline.monitoring.topic as IConstruct) },
      ]);
    }
    on.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IteratorAge',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: idOf(on, labels.function) } }],
      Threshold: 3 * 60_000,
      Statistic: 'Maximum',
    });
    const withThreshold = synthesize({ labelsStream: true, alarmThresholds: { iteratorAgeMinutes: 10 } });
    const age = withThreshold.pipeline.monitoring.alarms.LabelsStreamIteratorAge as IConstruct;
    expect(
      resourcesOf(withThreshold.template, 'AWS::CloudWatch::Alarm')[idOf(withThreshold, age)]?.Properties
        ?.Threshold,
    ).toBe(10 * 60_000);
  });

  it('adds as many alarms and alarm metrics as docs/deploy.md says, and no key', () => {
    const deployMd = readFileSync(join(PACKAGE_ROOT, 'docs/deploy.md'), 'utf8');
    const created = /With `labelsStream`:[^\n]*, (\d+) alarms \|/.exec(deployMd);
    const fixed = /with `labelsStream`:[\s\S]*?and (\d+) alarms over (\d+)\s+metrics/.exec(deployMd);
    const count = (s: Synthesized) => Object.keys(resourcesOf(s.template, 'AWS::CloudWatch::Alarm')).length;
    expect(Number(created?.[1])).toBe(count(on) - count(dev));
    expect(Number(fixed?.[1])).toBe(count(on) - count(dev));
    const plain = (s: Synthesized) =>
      Object.values(resourcesOf(s.template, 'AWS::CloudWatch::Alarm')).filter(
        (alarm) => alarm.Properties?.MetricName !== undefined,
      ).length;
    // Each new alarm reads one metric (no metric math): billed once.
    expect(Number(fixed?.[2])).toBe(plain(on) - plain(dev));
  });

  it('adds its row to the dashboard: alarm status, iterator age, labels delivered and set aside, the function, the delivery', () => {
    const body = JSON.stringify(
      Object.values(resourcesOf(on.template, 'AWS::CloudWatch::Dashboard'))[0]?.Properties?.DashboardBody,
    );
    for (const title of [
      'Labels stream alarms',
      'Labels stream: iterator age (ms, max)',
      'Labels stream: labels',
      'LabelsStream Lambda: errors and throttles',
      'LabelsStream: records in',
    ]) {
      expect(body, title).toContain(title);
    }
    expect(body).toContain('LabelsQuarantined');
  });

  it('outputs the stream name producers put labels to', () => {
    const outputs = on.template.toJSON().Outputs as Record<string, { Value: unknown; Description: string }>;
    expect(outputs.LabelsStreamName?.Value).toEqual({ Ref: idOf(on, labelsOf(on).stream.stream) });
    expect(outputs.LabelsStreamName?.Description).toMatch(/delayed labels/);
  });

  it('changes with the spec only once the guard has passed, like the other functions', () => {
    const fn = resourcesOf(on.template, 'AWS::Lambda::Function')[idOf(on, labelsOf(on).function)];
    expect(fn?.DependsOn).toContain(idOf(on, on.pipeline.specGuard.resource));
  });

  it('works beside the ingest API labels, each with its own delivery stream and prefix', () => {
    const both = synthesize({ labelsStream: true, ingestApi: true });
    const prefixes = Object.values(resourcesOf(both.template, 'AWS::KinesisFirehose::DeliveryStream'))
      .map((r) => String((r.Properties?.ExtendedS3DestinationConfiguration as { Prefix?: string })?.Prefix))
      .filter((p) => p.startsWith(LABELS_PREFIX))
      .sort();
    expect(prefixes).toEqual([
      'labels/api/dt=!{timestamp:yyyy-MM-dd}/',
      'labels/stream/dt=!{timestamp:yyyy-MM-dd}/',
    ]);
  });

  it('fails on a labelsStream that is not a boolean, naming the value', () => {
    expect(() => synthesize({ labelsStream: 'yes' as unknown as boolean })).toThrow(
      /streamfeatures-dev\/Default\/LabelsStream: labelsStream must be true or false \(got "yes"\)/,
    );
  });

  it('finds nothing unacknowledged by cdk-nag AwsSolutions with the labels stream on', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(on.app);
    const findings = report.violations.map(
      (v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
  });
});
