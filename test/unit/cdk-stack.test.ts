import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duration, Size, Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FRESHNESS_P99_SECONDS } from '../../lib/defaults.js';
import { DEFAULT_MODEL_VERSION } from '../../lib/index.js';
import { PACKAGE_ROOT } from '../../lib/streamfeatures-function.js';
import {
  actionsOf,
  logicalIdOf,
  resourcesOf,
  type Statement,
  type Synthesized,
  stableTemplate,
  statementsOfRole,
  synthesize,
} from '../cdk/synth.js';

// Two synths serve most tests: the defaults (dev), and prod with every option switched away from its default;
// a third has an embedded challenger in shadow mode, from a registry of two models.
let dev: Synthesized;
let prod: Synthesized;
let shadow: Synthesized;
const challengerVersion = 'fraud-lr-0123456789ab';
beforeAll(() => {
  dev = synthesize();
  const registry = mkdtempSync(join(tmpdir(), 'streamfeatures-registry-'));
  const placeholder = readFileSync(
    join(PACKAGE_ROOT, 'examples/fraud/models', `${DEFAULT_MODEL_VERSION}.json`),
    'utf8',
  );
  writeFileSync(join(registry, `${DEFAULT_MODEL_VERSION}.json`), placeholder);
  writeFileSync(
    join(registry, `${challengerVersion}.json`),
    JSON.stringify({ ...JSON.parse(placeholder), version: challengerVersion }),
  );
  shadow = synthesize({
    modelRegistry: registry,
    challenger: { mode: 'shadow', version: challengerVersion },
  });
  prod = synthesize({
    stage: 'prod',
    streamMode: 'provisioned',
    shardCount: 2,
    streamRetention: Duration.hours(48),
    onFailure: 'sqs',
    enhancedFanOut: true,
    batchSize: 200,
    retryAttempts: 3,
    offlineFormat: 'iceberg',
    offlineBufferInterval: Duration.seconds(60),
    offlineBufferSize: Size.mebibytes(16),
    apiAuth: { type: 'jwt', issuer: 'https://auth.example.com/', audience: ['streamfeatures'] },
    model: { backend: 'sagemaker', endpointName: 'Fraud-Model', timeoutMs: 150 },
    challenger: { mode: 'split', endpointName: 'Fraud-Challenger', weight: 0.25, timeoutMs: 150 },
    ingestApi: true,
    alarmEmail: 'oncall@example.com',
  });
}, 120_000);

const roleOf = (s: Synthesized, fn: { role?: IConstruct }) => logicalIdOf(s.stack, fn.role as IConstruct);

describe('event-source mapping', () => {
  it('bounds retries and record age, bisects, reports item failures, keeps one batch per shard', () => {
    dev.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 1,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 3_600,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ParallelizationFactor: 1,
      StartingPosition: 'LATEST',
      MetricsConfig: { Metrics: ['EventCount'] },
      EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(dev.stack, dev.pipeline.stream.stream), 'Arn'] },
    });
  });

  it('sends discarded batches to the side-output bucket by default, to an SQS queue on request', () => {
    const bucket = logicalIdOf(dev.stack, dev.pipeline.featureComputer.sideOutputBucket);
    dev.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [bucket, 'Arn'] } } },
    });
    const queue = logicalIdOf(prod.stack, prod.pipeline.featureComputer.failureQueue as IConstruct);
    prod.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 200,
      MaximumRetryAttempts: 3,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queue, 'Arn'] } } },
    });
  });

  it('reads through an enhanced fan-out consumer when asked', () => {
    const consumer = logicalIdOf(prod.stack, prod.pipeline.featureComputer.streamConsumer as IConstruct);
    prod.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [consumer, 'ConsumerARN'] },
    });
  });
});

describe('Lambda functions', () => {
  it('run Node 22 on ARM64 with tracing and the wired environment', () => {
    const service = dev.pipeline.featureComputer.serviceName;
    dev.template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: {
          TABLE_NAME: { Ref: logicalIdOf(dev.stack, dev.pipeline.onlineStore.table) },
          SIDE_OUTPUT_BUCKET: { Ref: logicalIdOf(dev.stack, dev.pipeline.featureComputer.sideOutputBucket) },
          QUARANTINE_PREFIX: 'quarantine/',
          LATE_PREFIX: 'late/',
          RAW_OVERSIZE_PREFIX: 'raw-oversize/',
          RAW_ARCHIVE_STREAM: {
            Ref: logicalIdOf(dev.stack, dev.pipeline.offlineStore.rawArchive.deliveryStream),
          },
          // Parquet via format conversion: many JSON lines per Firehose record.
          RAW_ARCHIVE_RECORDS: 'packed',
          POWERTOOLS_SERVICE_NAME: service,
          POWERTOOLS_METRICS_NAMESPACE: 'streamfeatures',
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
    });
    // Iceberg: one JSON document a record.
    prod.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ RAW_ARCHIVE_RECORDS: 'one-per-line' }) },
    });
    prod.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          MODEL_BACKEND: 'sagemaker',
          SAGEMAKER_ENDPOINT_NAME: 'Fraud-Model',
          MODEL_TIMEOUT_MS: '150',
          MODEL_FALLBACK: 'embedded',
          FEATURE_LOG_STREAM: {
            Ref: logicalIdOf(prod.stack, prod.pipeline.offlineStore.featureLog.deliveryStream),
          },
        }),
      },
    });
    prod.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          STREAM_NAME: { Ref: logicalIdOf(prod.stack, prod.pipeline.stream.stream) },
        }),
      },
    });
  });
});

describe('scoring function: model versions and the challenger', () => {
  const scoreEnv = (s: Synthesized): Record<string, unknown> => {
    const id = logicalIdOf(s.stack, s.pipeline.scoringApi.function);
    const environment = resourcesOf(s.template, 'AWS::Lambda::Function')[id]?.Properties?.Environment;
    return (environment as { Variables: Record<string, unknown> } | undefined)?.Variables ?? {};
  };
  const modelKeys = (s: Synthesized) =>
    Object.fromEntries(
      Object.entries(scoreEnv(s)).filter(([key]) => /^(MODEL|CHALLENGER|SAGEMAKER)_/.test(key)),
    );

  it('embeds the configured version and says the challenger is off by default', () => {
    expect(modelKeys(dev)).toEqual({
      MODEL_BACKEND: 'embedded',
      MODEL_VERSION: DEFAULT_MODEL_VERSION,
      MODEL_TIMEOUT_MS: '300',
      CHALLENGER_MODE: 'off',
    });
  });

  it('names an embedded challenger in shadow mode', () => {
    expect(modelKeys(shadow)).toEqual({
      MODEL_BACKEND: 'embedded',
      MODEL_VERSION: DEFAULT_MODEL_VERSION,
      MODEL_TIMEOUT_MS: '300',
      CHALLENGER_MODE: 'shadow',
      CHALLENGER_VERSION: challengerVersion,
    });
    expect(shadow.pipeline.scoringApi.models.documents.map((d) => d.version)).toEqual([
      DEFAULT_MODEL_VERSION,
      challengerVersion,
    ]);
  });

  it('names a SageMaker challenger, its timeout and its share in split mode', () => {
    expect(modelKeys(prod)).toEqual({
      MODEL_BACKEND: 'sagemaker',
      MODEL_VERSION: DEFAULT_MODEL_VERSION,
      SAGEMAKER_ENDPOINT_NAME: 'Fraud-Model',
      MODEL_TIMEOUT_MS: '150',
      MODEL_FALLBACK: 'embedded',
      CHALLENGER_MODE: 'split',
      CHALLENGER_ENDPOINT_NAME: 'Fraud-Challenger',
      CHALLENGER_TIMEOUT_MS: '150',
      CHALLENGER_WEIGHT: '0.25',
    });
  });
});

describe('IAM: least privilege', () => {
  const allStatements = (s: Synthesized): Statement[] =>
    Object.keys(resourcesOf(s.template, 'AWS::IAM::Role')).flatMap((role) =>
      statementsOfRole(s.template, role),
    );

  it('has no wildcard action anywhere, and `*` resources only for X-Ray', () => {
    for (const s of [dev, prod]) {
      const statements = allStatements(s);
      expect(statements.length).toBeGreaterThan(20);
      for (const statement of statements) {
        expect(actionsOf(statement).filter((a) => a.includes('*'))).toEqual([]);
        if (statement.Resource === '*') {
          expect(actionsOf(statement).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
        }
      }
    }
  });

  it('attaches no AWS managed policies', () => {
    for (const s of [dev, prod]) {
      for (const role of Object.values(resourcesOf(s.template, 'AWS::IAM::Role'))) {
        expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
      }
    }
  });

  it('lets the scoring Lambda read the online store and never write it', () => {
    const table = { 'Fn::GetAtt': [logicalIdOf(dev.stack, dev.pipeline.onlineStore.table), 'Arn'] };
    const statements = statementsOfRole(dev.template, roleOf(dev, dev.pipeline.scoringApi.function));
    const dynamodb = statements.flatMap(actionsOf).filter((a) => a.startsWith('dynamodb:'));
    expect(dynamodb.sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem']);
    expect(
      statements.filter((s) => actionsOf(s).includes('dynamodb:GetItem')).map((s) => s.Resource),
    ).toEqual([table]);
    const kms = statements.flatMap(actionsOf).filter((a) => a.startsWith('kms:'));
    expect(kms.sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
  });

  it('lets the features Lambda write the online store', () => {
    const actions = statementsOfRole(
      dev.template,
      roleOf(dev, dev.pipeline.featureComputer.function),
    ).flatMap(actionsOf);
    expect(actions).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem']),
    );
  });

  it('grants Firehose puts on the named delivery streams only', () => {
    const firehoseResources = (fn: { role?: IConstruct }) =>
      statementsOfRole(dev.template, roleOf(dev, fn))
        .filter((s) => actionsOf(s).some((a) => a.startsWith('firehose:')))
        .map((s) => [actionsOf(s).sort(), s.Resource]);
    const arn = (dataset: { deliveryStream: IConstruct }) => ({
      'Fn::GetAtt': [logicalIdOf(dev.stack, dataset.deliveryStream), 'Arn'],
    });
    const puts = ['firehose:PutRecord', 'firehose:PutRecordBatch'];
    expect(firehoseResources(dev.pipeline.featureComputer.function)).toEqual([
      [puts, arn(dev.pipeline.offlineStore.rawArchive)],
    ]);
    expect(firehoseResources(dev.pipeline.scoringApi.function)).toEqual([
      [puts, arn(dev.pipeline.offlineStore.featureLog)],
    ]);
  });

  const sagemakerStatements = (s: Synthesized) =>
    statementsOfRole(s.template, roleOf(s, s.pipeline.scoringApi.function)).filter((statement) =>
      actionsOf(statement).some((a) => a.startsWith('sagemaker:')),
    );

  it('grants sagemaker:InvokeEndpoint on the model and challenger endpoints only (ARNs spell names in lower case)', () => {
    const statements = sagemakerStatements(prod);
    expect(statements).toHaveLength(1);
    expect(actionsOf(statements[0] as Statement)).toEqual(['sagemaker:InvokeEndpoint']);
    const endpoints = ((statements[0] as Statement).Resource as unknown[]).map(
      (arn) => /:endpoint\/([^"]+)"\]\]\}$/.exec(JSON.stringify(arn))?.[1],
    );
    expect(endpoints.sort()).toEqual(['fraud-challenger', 'fraud-model']);
  });

  it('grants no SageMaker action when no endpoint is called, an embedded challenger included', () => {
    expect(sagemakerStatements(dev)).toEqual([]);
    expect(sagemakerStatements(shadow)).toEqual([]);
  });

  it('lets the ingest Lambda put records on the stream and nothing else of it', () => {
    const actions = statementsOfRole(
      prod.template,
      roleOf(prod, prod.pipeline.ingestApi?.function ?? {}),
    ).flatMap(actionsOf);
    expect(actions.filter((a) => a.startsWith('kinesis:')).sort()).toEqual([
      'kinesis:PutRecord',
      'kinesis:PutRecords',
    ]);
  });
});

describe('encryption at rest and in transit', () => {
  it('encrypts the stream, the table, the Firehose streams, the topic and the queue with rotating KMS keys', () => {
    for (const s of [dev, prod]) {
      s.template.allResourcesProperties('AWS::Kinesis::Stream', {
        StreamEncryption: { EncryptionType: 'KMS', KeyId: Match.anyValue() },
      });
      s.template.allResourcesProperties('AWS::DynamoDB::Table', {
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
      });
      s.template.allResourcesProperties('AWS::KinesisFirehose::DeliveryStream', {
        DeliveryStreamEncryptionConfigurationInput: {
          KeyType: 'CUSTOMER_MANAGED_CMK',
          KeyARN: Match.anyValue(),
        },
      });
      s.template.allResourcesProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
      s.template.allResourcesProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    }
    prod.template.allResourcesProperties('AWS::SQS::Queue', { KmsMasterKeyId: Match.anyValue() });
  });

  it('encrypts every bucket, blocks public access and refuses plain HTTP', () => {
    for (const s of [dev, prod]) {
      const buckets = resourcesOf(s.template, 'AWS::S3::Bucket');
      expect(Object.keys(buckets)).toHaveLength(3);
      for (const bucket of Object.values(buckets)) {
        expect(bucket.Properties?.BucketEncryption).toBeDefined();
        expect(bucket.Properties?.PublicAccessBlockConfiguration).toEqual({
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        });
      }
      for (const policy of Object.values(resourcesOf(s.template, 'AWS::S3::BucketPolicy'))) {
        expect(JSON.stringify(policy.Properties?.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
      }
      expect(Object.keys(resourcesOf(s.template, 'AWS::S3::BucketPolicy'))).toHaveLength(3);
    }
    const kms = Object.values(resourcesOf(dev.template, 'AWS::S3::Bucket')).filter((b) =>
      JSON.stringify(b.Properties?.BucketEncryption).includes('aws:kms'),
    );
    expect(kms).toHaveLength(2);
  });
});

describe('online store', () => {
  it('is keyed by the string pk alone, on demand, with TTL on x and point-in-time recovery', () => {
    dev.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'x', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });
});

describe('stages', () => {
  it('retains and protects the data stores in prod, and lets dev go', () => {
    prod.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
    prod.template.hasResource('AWS::Kinesis::Stream', { DeletionPolicy: 'Retain' });
    dev.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
    });
    dev.template.hasResource('AWS::Kinesis::Stream', { DeletionPolicy: 'Delete' });
  });

  it('keeps every bucket in both stages: the archive outlives a stack', () => {
    for (const s of [dev, prod]) {
      for (const bucket of Object.values(resourcesOf(s.template, 'AWS::S3::Bucket'))) {
        expect(bucket.DeletionPolicy).toBe('Retain');
      }
    }
  });

  it('sizes the stream from the config', () => {
    dev.template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      RetentionPeriodHours: 24,
    });
    prod.template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      ShardCount: 2,
      RetentionPeriodHours: 48,
    });
  });
});

describe('offline store', () => {
  it('derives the raw archive table from the spec and converts to Parquet under dt=/hour=', () => {
    const database = { Ref: logicalIdOf(dev.stack, dev.pipeline.offlineStore.database) };
    dev.template.hasResourceProperties('AWS::Glue::Table', {
      DatabaseName: database,
      TableInput: Match.objectLike({
        Name: 'raw_events',
        PartitionKeys: [
          Match.objectLike({ Name: 'dt', Type: 'string' }),
          Match.objectLike({ Name: 'hour', Type: 'string' }),
        ],
        StorageDescriptor: Match.objectLike({
          Columns: Match.arrayWith([
            Match.objectLike({ Name: 'arrival_ms', Type: 'bigint' }),
            Match.objectLike({ Name: 'amount', Type: 'double' }),
            Match.objectLike({ Name: 'geo_country', Type: 'string' }),
          ]),
          SerdeInfo: Match.objectLike({
            SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
          }),
        }),
      }),
    });
    dev.template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({
        Prefix: 'raw/dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/',
        ErrorOutputPrefix: 'errors/raw/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/',
        BufferingHints: { IntervalInSeconds: 300, SizeInMBs: 128 },
        DataFormatConversionConfiguration: Match.objectLike({
          Enabled: true,
          OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: 'SNAPPY' } } },
          SchemaConfiguration: Match.objectLike({ DatabaseName: database, TableName: 'raw_events' }),
        }),
      }),
    });
  });

  it('writes Apache Iceberg tables through the Iceberg destination when asked', () => {
    prod.template.hasResourceProperties('AWS::Glue::Table', {
      Name: 'feature_log',
      OpenTableFormatInput: { IcebergInput: Match.objectLike({ MetadataOperation: 'CREATE', Version: '2' }) },
    });
    prod.template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      IcebergDestinationConfiguration: Match.objectLike({
        AppendOnly: true,
        BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 16 },
        DestinationTableConfigurationList: [Match.objectLike({ DestinationTableName: 'raw_events' })],
        CatalogConfiguration: Match.objectLike({ CatalogArn: Match.anyValue() }),
        // CloudFormation spells this one property with a lower-case s.
        s3BackupMode: 'FailedDataOnly',
      }),
    });
  });
});

describe('scoring API', () => {
  it('authorizes every route with IAM by default, JWT on request, and throttles the stage', () => {
    dev.template.allResourcesProperties('AWS::ApiGatewayV2::Route', { AuthorizationType: 'AWS_IAM' });
    dev.template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /score' });
    prod.template.allResourcesProperties('AWS::ApiGatewayV2::Route', { AuthorizationType: 'JWT' });
    prod.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: 'https://auth.example.com/', Audience: ['streamfeatures'] },
    });
    dev.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
  });
});

describe('monitoring', () => {
  const alarmProps = (s: Synthesized, name: string) => {
    const alarm = s.pipeline.monitoring.alarms[name];
    if (!alarm) throw new Error(`no alarm ${name}`);
    return resourcesOf(s.template, 'AWS::CloudWatch::Alarm')[logicalIdOf(s.stack, alarm)]?.Properties ?? {};
  };

  it('alarms on iterator age in minutes, freshness and the record outcome rates, with their thresholds', () => {
    expect(alarmProps(dev, 'IteratorAge')).toMatchObject({
      MetricName: 'IteratorAge',
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 180_000,
      EvaluationPeriods: 3,
    });
    expect(alarmProps(dev, 'Freshness')).toMatchObject({
      Namespace: 'streamfeatures',
      MetricName: 'EventFreshness',
      Dimensions: [{ Name: 'service', Value: dev.pipeline.featureComputer.serviceName }],
      ExtendedStatistic: 'p99',
      Threshold: DEFAULT_FRESHNESS_P99_SECONDS * 1_000,
      EvaluationPeriods: 3,
    });
    expect(alarmProps(dev, 'Freshness').Statistic).toBeUndefined();
    expect(alarmProps(dev, 'QuarantineRate')).toMatchObject({ Threshold: 1 });
    expect(alarmProps(dev, 'LateRate')).toMatchObject({ Threshold: 5 });
    const quarantine = JSON.stringify(alarmProps(dev, 'QuarantineRate').Metrics);
    for (const metric of [
      'RecordsCounted',
      'RecordsInvalid',
      'RecordsFuture',
      'RecordsLate',
      'RecordsDuplicate',
    ]) {
      expect(quarantine).toContain(`"MetricName":"${metric}","Namespace":"streamfeatures"`);
    }
    expect(quarantine).toContain('"Name":"service"');
  });

  it('alarms on the p99 of per-event freshness at the freshnessSeconds threshold a caller sets', () => {
    const custom = synthesize({ alarmThresholds: { freshnessSeconds: 7 } });
    expect(alarmProps(custom, 'Freshness')).toMatchObject({
      MetricName: 'EventFreshness',
      ExtendedStatistic: 'p99',
      Threshold: 7_000,
    });
    expect(DEFAULT_FRESHNESS_P99_SECONDS).not.toBe(7);
  });

  it('graphs per-event freshness as p50, p99 and maximum, and no per-batch FeatureFreshness anywhere', () => {
    const dashboards = resourcesOf(dev.template, 'AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(Object.values(dashboards)[0]?.Properties?.DashboardBody);
    const widget = /Event freshness: arrival to features written \(ms\).*?\}\}/.exec(body)?.[0] ?? '';
    expect(widget).not.toBe('');
    for (const stat of ['p50', 'p99', 'Maximum']) {
      expect(widget).toContain(`\\"stat\\":\\"${stat}\\"`);
      expect(widget).toContain('EventFreshness');
    }
    expect(JSON.stringify(dev.template.toJSON())).not.toContain('FeatureFreshness');
  });

  it('alarms on the event-source mapping, the failure destination, throttles, APIs, Lambdas and Firehose', () => {
    expect(alarmProps(dev, 'FailureDestinationArrivals')).toMatchObject({
      MetricName: 'OnFailureDestinationDeliveredEventCount',
      Dimensions: [{ Name: 'EventSourceMappingUUID', Value: { Ref: expect.any(String) } }],
      Threshold: 0,
    });
    expect(Object.keys(dev.pipeline.monitoring.alarms).sort()).toEqual([
      'EsmFailedInvokes',
      'FailureDestinationArrivals',
      'FailureDestinationDeliveryFailures',
      'FeatureLogDeliveryFailures',
      'FeatureLogDeliveryFreshness',
      'FeatureLogDeliveryToS3',
      'FeatureLogErrors',
      'FeaturesErrors',
      'FeaturesThrottles',
      'Freshness',
      'IteratorAge',
      'LateRate',
      'ModelFallbacks',
      'QuarantineRate',
      'RawArchiveDeliveryFailures',
      'RawArchiveDeliveryFreshness',
      'RawArchiveDeliveryToS3',
      'ScoreApi5xx',
      'ScoreApiLatencyP99',
      'ScoreErrors',
      'ScoreThrottles',
      'TableThrottles',
    ]);
    expect(alarmProps(dev, 'ScoreApiLatencyP99')).toMatchObject({
      ExtendedStatistic: 'p99',
      Threshold: 1_000,
    });
    expect(Object.keys(prod.pipeline.monitoring.alarms)).toEqual(
      expect.arrayContaining(['IngestApi5xx', 'IngestErrors', 'RawArchiveDeliveryFailures']),
    );
    expect(alarmProps(prod, 'RawArchiveDeliveryFailures')).toMatchObject({
      MetricName: 'DeliveryToIceberg.FailedRowCount',
    });
  });

  it('alarms on the scoring model falling back and on feature-log gaps, and on a challenger failing when one runs', () => {
    const scoreService = [{ Name: 'service', Value: dev.pipeline.scoringApi.serviceName }];
    expect(alarmProps(dev, 'ModelFallbacks')).toMatchObject({
      Namespace: 'streamfeatures',
      MetricName: 'ModelFallbacks',
      Dimensions: scoreService,
      Threshold: 0,
      EvaluationPeriods: 2,
    });
    expect(alarmProps(dev, 'FeatureLogErrors')).toMatchObject({ MetricName: 'FeatureLogErrors' });
    expect(dev.pipeline.monitoring.alarms.ChallengerErrors).toBeUndefined();
    expect(alarmProps(shadow, 'ChallengerErrors')).toMatchObject({
      MetricName: 'ChallengerErrors',
      Dimensions: [{ Name: 'service', Value: shadow.pipeline.scoringApi.serviceName }],
      Threshold: 0,
    });
  });

  it('sends every alarm and its recovery to the KMS-encrypted topic, which CloudWatch may use', () => {
    const topic = { Ref: logicalIdOf(dev.stack, dev.pipeline.monitoring.topic) };
    dev.template.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [topic],
      OKActions: [topic],
    });
    dev.template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
    prod.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged, in either configuration', () => {
    for (const s of [dev, prod]) {
      const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(s.app);
      const findings = report.violations.map(
        (v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      );
      expect(findings).toEqual([]);
      expect(report.success).toBe(true);
    }
  });

  it('gives every acknowledgment a reason', () => {
    const acknowledged: { path: string; id: string; reason: string }[] = [];
    for (const construct of prod.app.node.findAll()) {
      for (const entry of construct.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
          acknowledged.push({ path: construct.node.path, id, reason });
        }
      }
    }
    expect(acknowledged.length).toBeGreaterThan(5);
    for (const { reason } of acknowledged) expect(reason.length).toBeGreaterThan(40);
    const rules = new Set(acknowledged.map((a) => a.id.replace(/^annotation::/i, '').replace(/\[.*$/, '')));
    expect([...rules].sort()).toEqual([
      'AwsSolutions-IAM5',
      'AwsSolutions-KDS3',
      'AwsSolutions-L1',
      'AwsSolutions-S1',
      'AwsSolutions-SQS3',
      // AWS Control Tower's controls (test/unit/cdk-policy-validation.test.ts checks them).
      'cdk-validator-cfnguard::lambda_function_public_access_prohibited_check',
      'cdk-validator-cfnguard::lambda_inside_vpc_check',
      'cdk-validator-cfnguard::s3_bucket_default_encryption_kms_check',
      'cdk-validator-cfnguard::s3_bucket_logging_enabled_check',
      'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check',
      'cdk-validator-cfnguard::s3_bucket_versioning_enabled_check',
      'cdk-validator-cfnguard::s3_event_notifications_enabled_check',
      'cdk-validator-cfnguard::sqs_dlq_check',
    ]);
  });
});

describe('template snapshot', () => {
  it('matches, asset hashes aside', () => {
    expect(stableTemplate(dev.template)).toMatchSnapshot();
  });
});
