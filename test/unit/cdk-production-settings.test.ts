import { beforeAll, describe, expect, it } from 'vitest';
import { logicalIdOf, resourcesOf, type Synthesized, synthesize } from '../cdk/synth.js';

interface KeyStatement {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  Action: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

let dev: Synthesized;
let prod: Synthesized;
beforeAll(() => {
  dev = synthesize();
  prod = synthesize({
    stage: 'prod',
    offlineFormat: 'iceberg',
    ingestApi: true,
    enhancedFanOut: true,
    onFailure: 'sqs',
  });
}, 120_000);

const keyStatements = (s: Synthesized) =>
  Object.entries(resourcesOf(s.template, 'AWS::KMS::Key')).map(([id, key]) => ({
    id,
    statements: (key.Properties?.KeyPolicy as { Statement?: KeyStatement[] } | undefined)?.Statement ?? [],
  }));

describe('KMS keys', () => {
  it('deny kms:CreateGrant on every key unless an AWS service asks for the grant', () => {
    for (const s of [dev, prod]) {
      const keys = keyStatements(s);
      expect(keys.length).toBeGreaterThanOrEqual(6);
      for (const { id, statements } of keys) {
        const denies = statements.filter((st) => st.Effect === 'Deny');
        expect(denies, id).toEqual([
          {
            Sid: 'DenyGrantsExceptForAwsServices',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'kms:CreateGrant',
            Resource: '*',
            Condition: {
              BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
            },
          },
        ]);
      }
    }
  });
});

describe('log groups', () => {
  it('are all encrypted with the one logs key, which only CloudWatch Logs may use, for this account', () => {
    for (const s of [dev, prod]) {
      const groups = Object.values(resourcesOf(s.template, 'AWS::Logs::LogGroup'));
      expect(groups.length).toBeGreaterThanOrEqual(5);
      const keyIds = new Set(
        groups.map((g) => (g.Properties?.KmsKeyId as { 'Fn::GetAtt'?: string[] })?.['Fn::GetAtt']?.[0]),
      );
      expect([...keyIds]).toHaveLength(1);
      const [logsKey] = [...keyIds];
      const statements = keyStatements(s).find((k) => k.id === logsKey)?.statements ?? [];
      const logs = statements.filter((st) => st.Sid === 'CloudWatchLogsOfThisAccount');
      expect(logs).toHaveLength(1);
      expect(JSON.stringify(logs[0]?.Principal)).toContain('"logs.",{"Ref":"AWS::Region"},".amazonaws.com"');
      expect(JSON.stringify(logs[0]?.Condition?.ArnLike?.['kms:EncryptionContext:aws:logs:arn'])).toContain(
        ':log-group:*',
      );
    }
  });

  it('keep logs a year in prod, and the logs key outlives them', () => {
    for (const group of Object.values(resourcesOf(prod.template, 'AWS::Logs::LogGroup'))) {
      expect(group.Properties?.RetentionInDays).toBe(365);
      expect(group.DeletionPolicy).toBe('Retain');
    }
    const key = resourcesOf(prod.template, 'AWS::KMS::Key')[
      logicalIdOf(prod.stack, prod.stack.node.findChild('LogsKey'))
    ];
    expect(key?.DeletionPolicy).toBe('Retain');
    expect(key?.Properties?.PendingWindowInDays).toBe(30);
  });

  it('keep logs two weeks in dev, where the logs key is disposable too', () => {
    for (const group of Object.values(resourcesOf(dev.template, 'AWS::Logs::LogGroup'))) {
      expect(group.Properties?.RetentionInDays).toBe(14);
    }
    const key = resourcesOf(dev.template, 'AWS::KMS::Key')[
      logicalIdOf(dev.stack, dev.stack.node.findChild('LogsKey'))
    ];
    expect(key?.DeletionPolicy).toBe('Delete');
  });
});

describe('data buckets', () => {
  it('version the offline store and the side outputs, and expire old versions after 30 days', () => {
    for (const s of [dev, prod]) {
      const buckets = resourcesOf(s.template, 'AWS::S3::Bucket');
      for (const bucket of [s.pipeline.offlineStore.bucket, s.pipeline.featureComputer.sideOutputBucket]) {
        const properties = buckets[logicalIdOf(s.stack, bucket)]?.Properties ?? {};
        expect(properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
        const rules = (properties.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
        expect(rules).toContainEqual({
          Id: 'expire-noncurrent-versions',
          Status: 'Enabled',
          NoncurrentVersionExpiration: { NoncurrentDays: 30 },
          ExpiredObjectDeleteMarker: true,
        });
        // The bucket's own rules stay beside it.
        expect(rules.length).toBeGreaterThan(1);
      }
    }
  });
});

describe('event-source mapping start', () => {
  it('starts at LATEST in both fan-out modes, so a mapping replaced by switching does not replay the stream', () => {
    const [standard] = Object.values(resourcesOf(dev.template, 'AWS::Lambda::EventSourceMapping'));
    const [fanOut] = Object.values(resourcesOf(prod.template, 'AWS::Lambda::EventSourceMapping'));
    expect(standard?.Properties?.StartingPosition).toBe('LATEST');
    expect(fanOut?.Properties?.StartingPosition).toBe('LATEST');
    // The switch changes the mapping's source (the stream, or its consumer): CloudFormation replaces it.
    const consumer = prod.pipeline.featureComputer.streamConsumer;
    if (!consumer) throw new Error('prod has no stream consumer');
    expect(fanOut?.Properties?.EventSourceArn).toEqual({
      'Fn::GetAtt': [logicalIdOf(prod.stack, consumer), 'ConsumerARN'],
    });
    expect(standard?.Properties?.EventSourceArn).toEqual({
      'Fn::GetAtt': [logicalIdOf(dev.stack, dev.pipeline.stream.stream), 'Arn'],
    });
  });
});
