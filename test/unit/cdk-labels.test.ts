/**
 * `POST /labels` on the ingest API as synthesized: its own function behind the API's authorizer, allowed to
 * PutRecordBatch to its own delivery stream and nothing else, and the stream writing plain JSON Lines under the
 * offline bucket's `labels/` prefix, encrypted with the bucket's key.
 */
import { Duration, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { IngestApi } from '../../lib/ingest-api.js';
import { API_LABELS_PREFIX } from '../../lib/label-delivery.js';
import { LABELS_PREFIX } from '../../lib/model-monitoring.js';
import {
  actionsOf,
  FRAUD_SPEC,
  logicalIdOf,
  resourcesOf,
  type Synthesized,
  stableTemplate,
  statementsOfRole,
  synthesize,
} from '../cdk/synth.js';

let withLabels: Synthesized;
let dev: Synthesized;
beforeAll(() => {
  withLabels = synthesize({ ingestApi: true });
  dev = synthesize();
}, 120_000);

const roleOf = (s: Synthesized, fn: { role?: IConstruct }) => logicalIdOf(s.stack, fn.role as IConstruct);
const labelsOf = (s: Synthesized) => {
  const api = s.pipeline.ingestApi;
  if (!api?.labelsHandler || !api.labelDelivery) throw new Error('no labels route');
  return { api, handler: api.labelsHandler, delivery: api.labelDelivery };
};

describe('POST /labels', () => {
  it('is a route of the ingest API behind the same IAM authorizer as POST /events, with its own function', () => {
    const { api, handler } = labelsOf(withLabels);
    const routes = resourcesOf(withLabels.template, 'AWS::ApiGatewayV2::Route');
    const byKey = Object.fromEntries(
      Object.values(routes).map((r) => [r.Properties?.RouteKey as string, r.Properties]),
    );
    expect(byKey['POST /labels']?.AuthorizationType).toBe('AWS_IAM');
    expect(byKey['POST /events']?.AuthorizationType).toBe('AWS_IAM');
    expect(byKey['POST /labels']?.ApiId).toEqual(byKey['POST /events']?.ApiId);
    expect(handler.function).not.toBe(api.function);
    withLabels.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          DELIVERY_STREAM_NAME: {
            Ref: logicalIdOf(withLabels.stack, labelsOf(withLabels).delivery.deliveryStream),
          },
          POWERTOOLS_SERVICE_NAME: 'streamfeatures-dev-labels',
        }),
      },
    });
  });

  it('outputs the labels URL beside the ingest URL', () => {
    const outputs = withLabels.template.toJSON().Outputs as Record<
      string,
      { Value: unknown; Description: string }
    >;
    const labelsUrl = Object.entries(outputs).find(([id]) => id === 'LabelsUrl')?.[1];
    expect(JSON.stringify(labelsUrl?.Value)).toMatch(/\/labels"\]\]\}$/);
    expect(labelsUrl?.Description).toMatch(/POST delayed labels/);
  });

  it('lets the labels function PutRecordBatch to its delivery stream and nothing else', () => {
    const { handler, delivery } = labelsOf(withLabels);
    const statements = statementsOfRole(withLabels.template, roleOf(withLabels, handler.function));
    const data = statements.filter((s) => !actionsOf(s).every((a) => /^(logs|xray):/.test(a)));
    expect(data).toEqual([
      {
        Effect: 'Allow',
        Action: 'firehose:PutRecordBatch',
        Resource: { 'Fn::GetAtt': [logicalIdOf(withLabels.stack, delivery.deliveryStream), 'Arn'] },
      },
    ]);
  });

  it('leaves the events function as it was: no Firehose action', () => {
    const { api } = labelsOf(withLabels);
    const actions = statementsOfRole(withLabels.template, roleOf(withLabels, api.function)).flatMap(
      actionsOf,
    );
    expect(actions.filter((a) => a.startsWith('firehose:'))).toEqual([]);
  });

  it('delivers plain JSON Lines under labels/ by UTC day, encrypted with the offline bucket key, buffered as stated', () => {
    const { delivery } = labelsOf(withLabels);
    expect(API_LABELS_PREFIX.startsWith(LABELS_PREFIX)).toBe(true);
    const offline = withLabels.pipeline.offlineStore;
    const keyArn = { 'Fn::GetAtt': [logicalIdOf(withLabels.stack, offline.encryptionKey), 'Arn'] };
    const stream = resourcesOf(withLabels.template, 'AWS::KinesisFirehose::DeliveryStream')[
      logicalIdOf(withLabels.stack, delivery.deliveryStream)
    ]?.Properties as Record<string, Record<string, unknown>>;
    expect(stream.DeliveryStreamType).toBe('DirectPut');
    expect(stream.DeliveryStreamEncryptionConfigurationInput).toEqual({
      KeyType: 'CUSTOMER_MANAGED_CMK',
      KeyARN: keyArn,
    });
    const destination = stream.ExtendedS3DestinationConfiguration as Record<string, unknown>;
    expect(destination).toMatchObject({
      BucketARN: { 'Fn::GetAtt': [logicalIdOf(withLabels.stack, offline.bucket), 'Arn'] },
      Prefix: 'labels/api/dt=!{timestamp:yyyy-MM-dd}/',
      ErrorOutputPrefix: 'errors/labels/api/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/',
      FileExtension: '.jsonl',
      CompressionFormat: 'UNCOMPRESSED',
      BufferingHints: { IntervalInSeconds: 300, SizeInMBs: 5 },
      EncryptionConfiguration: { KMSEncryptionConfig: { AWSKMSKeyARN: keyArn } },
    });
    expect(destination.DataFormatConversionConfiguration).toBeUndefined();
    expect(destination.ProcessingConfiguration).toBeUndefined();
  });

  it("alarms when the labels' deliveries to S3 fail or stall, on their own delivery stream", () => {
    const { delivery } = labelsOf(withLabels);
    const streamRef = { Ref: logicalIdOf(withLabels.stack, delivery.deliveryStream) };
    const alarms = Object.values(resourcesOf(withLabels.template, 'AWS::CloudWatch::Alarm')).map(
      (alarm) => alarm.Properties as Record<string, unknown>,
    );
    const onLabels = alarms.filter((alarm) =>
      JSON.stringify(alarm.Dimensions ?? []).includes(JSON.stringify(streamRef)),
    );
    expect(
      onLabels.map((alarm) => [alarm.MetricName, alarm.ComparisonOperator, alarm.Threshold]).sort(),
    ).toEqual([
      ['DeliveryToS3.DataFreshness', 'GreaterThanThreshold', 300 + 900],
      ['DeliveryToS3.Success', 'LessThanThreshold', 1],
    ]);
    for (const alarm of onLabels) expect(alarm.AlarmActions).toHaveLength(1);
  });

  it("lets Firehose write only the labels' prefix and its error prefix", () => {
    const { delivery } = labelsOf(withLabels);
    const statements = statementsOfRole(withLabels.template, roleOf(withLabels, delivery));
    const put = statements.find((s) => actionsOf(s).includes('s3:PutObject'));
    const suffixes = ((put?.Resource ?? []) as { 'Fn::Join': [string, unknown[]] }[]).map(
      (arn) => arn['Fn::Join'][1][1],
    );
    expect(suffixes.sort()).toEqual(['/errors/labels/api/*', '/labels/api/*']);
    expect(statements.flatMap(actionsOf).filter((a) => a.startsWith('glue:'))).toEqual([]);
  });

  it('buffers for offlineBufferInterval when the pipeline sets it', () => {
    const s = synthesize({ ingestApi: true, offlineBufferInterval: Duration.seconds(60) });
    s.template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({
        Prefix: 'labels/api/dt=!{timestamp:yyyy-MM-dd}/',
        BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 5 },
      }),
    });
  });

  it('is left out with ingestLabels: false, and without the ingest API', () => {
    for (const s of [synthesize({ ingestApi: true, ingestLabels: false }), dev]) {
      expect(s.pipeline.ingestApi?.labelsHandler).toBeUndefined();
      const routes = Object.values(resourcesOf(s.template, 'AWS::ApiGatewayV2::Route'));
      expect(routes.map((r) => r.Properties?.RouteKey)).not.toContain('POST /labels');
      const prefixes = Object.values(resourcesOf(s.template, 'AWS::KinesisFirehose::DeliveryStream')).map(
        (r) => JSON.stringify(r.Properties),
      );
      expect(prefixes.join()).not.toMatch(/labels\//);
      expect(Object.keys(s.template.toJSON().Outputs).includes('LabelsUrl')).toBe(false);
    }
  });

  it('fails if ingestLabels is true without the ingest API, naming both props', () => {
    expect(() => synthesize({ ingestLabels: true })).toThrow(
      /streamfeatures-dev\/Default\/IngestApi: ingestLabels: true needs ingestApi: true \(POST \/labels is a route of the ingest API; got ingestApi undefined\)/,
    );
  });

  it('fails on labels buffering out of range, naming the value', () => {
    const stack = new Stack();
    const bucket = new s3.Bucket(stack, 'Bucket');
    const encryptionKey = new kms.Key(stack, 'Key');
    expect(
      () =>
        new IngestApi(stack, 'Ingest', {
          spec: FRAUD_SPEC,
          stream: new kinesis.Stream(stack, 'Stream'),
          labels: {
            bucket,
            encryptionKey,
            bufferInterval: Duration.seconds(901),
            bufferSize: Size.kibibytes(512),
          },
        }),
    ).toThrow(
      /labels bufferInterval must be whole seconds from 0 to 900 \(got "901 s"\)[\s\S]*labels bufferSize must be whole MiB from 1 to 128 \(got "0.5 MiB"\)/,
    );
  });

  it('finds nothing unacknowledged by cdk-nag AwsSolutions with the labels route on', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(withLabels.app);
    const findings = report.violations.map(
      (v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
  });

  it("matches the snapshot of the labels route's resources, asset hashes aside", () => {
    const all = withLabels.template.toJSON() as {
      Resources: Record<string, unknown>;
      Outputs: Record<string, unknown>;
    };
    const pick = <T>(entries: Record<string, T>, pattern: RegExp) =>
      Object.fromEntries(Object.entries(entries).filter(([id]) => pattern.test(id)));
    const labels = /Labels|LabelDelivery/;
    expect(
      stableTemplate(
        Template.fromJSON({ Resources: pick(all.Resources, labels), Outputs: pick(all.Outputs, labels) }),
      ),
    ).toMatchSnapshot();
  });
});
