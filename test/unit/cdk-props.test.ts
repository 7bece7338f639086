import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { flattenCfnReference as cdkNagFlatten } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { defineSpec, parseSpec } from '../../core/index.js';
import { columnName, featureLogColumns, hiveType, rawArchiveColumns } from '../../core/offline-schema.js';
import { FUNCTION_FILES } from '../../lambdas/shared/spec.js';
import { EventStream } from '../../lib/event-stream.js';
import { FeatureComputer } from '../../lib/feature-computer.js';
import {
  DEFAULT_MODEL_REGISTRY,
  DEFAULT_MODEL_VERSION,
  FeaturePipeline,
  type FeaturePipelineProps,
  InvalidPropsError,
  OfflineStore,
  OnlineStore,
} from '../../lib/index.js';
import { registryVersions } from '../../lib/model-registry.js';
import { Monitoring } from '../../lib/monitoring.js';
import { flattenCfnReference } from '../../lib/nag.js';
import { ScoringApi, type ScoringApiProps } from '../../lib/scoring-api.js';
import {
  BUNDLES_DIR,
  PACKAGE_ROOT,
  StreamfeaturesFunction,
  stageFunctionDirectory,
} from '../../lib/streamfeatures-function.js';
import { FRAUD_SPEC } from '../cdk/synth.js';

/** The problems an InvalidPropsError lists, or a failure when the construct builds. */
function problemsOf(build: () => unknown): string[] {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidPropsError);
    const { problems, message } = error as InvalidPropsError;
    expect(message).toBe(problems.join('\n'));
    return [...problems];
  }
  throw new Error('expected the props to be refused');
}

const newStack = () => new Stack(new App(), 'streamfeatures-dev');

// Synthesizing takes seconds on a busy machine.
describe('FeaturePipeline props', () => {
  const pipeline =
    (props: Partial<FeaturePipelineProps>, stack = newStack()) =>
    () =>
      new FeaturePipeline(stack, 'Pipeline', { spec: FRAUD_SPEC, ...props });

  it('lists every problem at once, each at the path of the construct it concerns, quoting the bad value', () => {
    expect(
      problemsOf(
        pipeline({
          batchSize: 0,
          retryAttempts: -1,
          shardCount: 4,
          offlineBufferSize: Size.mebibytes(16),
          throttleBurst: 0.5,
          alarmThresholds: { latePercent: 150 },
        }),
      ),
    ).toEqual([
      'streamfeatures-dev/Pipeline/Stream: shardCount applies to mode "provisioned" only (mode is "on-demand") (got 4)',
      'streamfeatures-dev/Pipeline/OfflineStore: bufferSize must be whole MiB from 64 to 128 with format "parquet" (Firehose format conversion) (got "16 MiB")',
      'streamfeatures-dev/Pipeline/FeatureComputer: batchSize must be a whole number from 1 to 10000 (got 0)',
      'streamfeatures-dev/Pipeline/FeatureComputer: retryAttempts must be a whole number from 0 to 10000 (bounded: a failing batch must not block its shard until the records expire) (got -1)',
      'streamfeatures-dev/Pipeline/ScoringApi: throttleBurst must be a whole number from 1 to 5000 (got 0.5)',
      'streamfeatures-dev/Pipeline/Monitoring: thresholds.latePercent must be above 0 and at most 100 (got 150)',
    ]);
  });

  it('names every prop an existing stream, bucket or topic would leave without effect', () => {
    const stack = newStack();
    const stream = kinesis.Stream.fromStreamArn(
      stack,
      'Events',
      'arn:aws:kinesis:eu-west-1:111111111111:stream/e',
    );
    const bucket = s3.Bucket.fromBucketName(stack, 'Archive', 'archive');
    expect(
      problemsOf(
        pipeline(
          {
            existingStreamObj: stream,
            streamMode: 'provisioned',
            shardCount: 2,
            streamRetention: Duration.hours(48),
            existingOfflineBucketObj: bucket,
            enhancedFanOut: true,
          },
          stack,
        ),
      ),
    ).toEqual([
      'streamfeatures-dev/Pipeline: streamMode configures a new resource and is ignored with existingStreamObj (got "provisioned"); remove one of them',
      'streamfeatures-dev/Pipeline: shardCount configures a new resource and is ignored with existingStreamObj (got 2); remove one of them',
      'streamfeatures-dev/Pipeline: streamRetention configures a new resource and is ignored with existingStreamObj (got "2 days"); remove one of them',
      'streamfeatures-dev/Pipeline: existingOfflineBucketKey is required with existingOfflineBucketObj (the key that encrypts the bucket)',
      'streamfeatures-dev/Pipeline/FeatureComputer: enhancedFanOut needs a stream defined in this app (got the imported stream "streamfeatures-dev/Events")',
    ]);
  });

  it('fails if the record age outlives the stream retention', () => {
    expect(problemsOf(pipeline({ maxRecordAge: Duration.hours(25) }))).toEqual([
      'streamfeatures-dev/Pipeline: maxRecordAge must not exceed streamRetention (got 90000 s against 86400 s): records that expire from the stream are lost without reaching the on-failure destination',
    ]);
    expect(() =>
      pipeline({ maxRecordAge: Duration.hours(25), streamRetention: Duration.hours(48) })(),
    ).not.toThrow();
  });

  it('fails on an invalid spec at its path, naming each problem', () => {
    const spec = {
      ...FRAUD_SPEC,
      features: [{ name: 'n', entity: 'cardd', agg: 'count', window: '10m', tile: '3m' }],
    };
    expect(problemsOf(pipeline({ spec }))).toEqual([
      'streamfeatures-dev/Pipeline: spec: features[0].entity: unknown entity "cardd" (declared: card, merchant, card_merchant)',
      'streamfeatures-dev/Pipeline: spec: features[0].window: "10m" is not a multiple of tile "3m"',
    ]);
  });

  it('takes the spec as a builder, a JSON object or a normalized spec, alike', () => {
    const builder = defineSpec('mini', { timeField: 'ts' })
      .entity('card', 'card_id')
      .count('card_txn_count_10m', { entity: 'card', window: '10m', tile: '1m' });
    const fromBuilder = new FeaturePipeline(newStack(), 'Pipeline', { spec: builder });
    const fromJson = new FeaturePipeline(newStack(), 'Pipeline', {
      spec: JSON.parse(JSON.stringify(builder.toJSON())),
    });
    expect(fromBuilder.spec).toEqual(builder.build());
    expect(fromJson.spec).toEqual(builder.build());
    expect(new FeaturePipeline(newStack(), 'Pipeline', { spec: builder.build() }).spec).toEqual(
      builder.build(),
    );
  });

  it('exposes what it built, and builds on existing resources it is given', () => {
    const stack = newStack();
    const stream = new kinesis.Stream(stack, 'Events');
    const table = dynamodb.Table.fromTableName(stack, 'Table', 'features');
    const key = new kms.Key(stack, 'ArchiveKey', { enableKeyRotation: true });
    const bucket = s3.Bucket.fromBucketName(stack, 'Archive', 'archive');
    const topic = new sns.Topic(stack, 'Alarms');
    const built = new FeaturePipeline(stack, 'Pipeline', {
      spec: FRAUD_SPEC,
      existingStreamObj: stream,
      existingTableObj: table,
      existingOfflineBucketObj: bucket,
      existingOfflineBucketKey: key,
      existingAlarmTopicObj: topic,
      enhancedFanOut: true,
    });
    expect(built.stream.stream).toBe(stream);
    expect(built.onlineStore.table).toBe(table);
    expect(built.offlineStore.bucket).toBe(bucket);
    expect(built.monitoring.topic).toBe(topic);
    expect(built.featureComputer.streamConsumer).toBeDefined();
    expect(built.ingestApi).toBeUndefined();
    expect(built.scoringApi.function).toBeDefined();
  });
});

describe('construct props', () => {
  it('EventStream names every prop an existing stream ignores, at its path', () => {
    const stack = newStack();
    const existing = kinesis.Stream.fromStreamArn(
      stack,
      'E',
      'arn:aws:kinesis:eu-west-1:111111111111:stream/e',
    );
    expect(
      problemsOf(
        () =>
          new EventStream(stack, 'Stream', {
            existingStreamObj: existing,
            mode: 'provisioned',
            retentionPeriod: Duration.hours(48),
            streamProps: { streamName: 'x' },
          }),
      ),
    ).toEqual([
      'streamfeatures-dev/Stream: mode configures a new resource and is ignored with existingStreamObj (got "provisioned"); remove one of them',
      'streamfeatures-dev/Stream: retentionPeriod configures a new resource and is ignored with existingStreamObj (got "2 days"); remove one of them',
      'streamfeatures-dev/Stream: streamProps configures a new resource and is ignored with existingStreamObj (got {"streamName":"x"}); remove one of them',
    ]);
  });

  it('EventStream fails on a retention that is no whole number of hours in range, and shards without provisioning', () => {
    expect(
      problemsOf(
        () => new EventStream(newStack(), 'Stream', { shardCount: 0, retentionPeriod: Duration.minutes(90) }),
      ),
    ).toEqual([
      'streamfeatures-dev/Stream: shardCount applies to mode "provisioned" only (mode is "on-demand") (got 0)',
      'streamfeatures-dev/Stream: shardCount must be a whole number from 1 to 10000 (got 0)',
      'streamfeatures-dev/Stream: retentionPeriod must be whole hours from 24 to 8760 (got "1.5 hours")',
    ]);
  });

  it('OnlineStore names every prop an existing table ignores', () => {
    const stack = newStack();
    const table = dynamodb.Table.fromTableName(stack, 'T', 't');
    expect(
      problemsOf(
        () =>
          new OnlineStore(stack, 'OnlineStore', {
            existingTableObj: table,
            deletionProtection: false,
            tableProps: {},
          }),
      ),
    ).toEqual([
      'streamfeatures-dev/OnlineStore: deletionProtection configures a new resource and is ignored with existingTableObj (got false); remove one of them',
      'streamfeatures-dev/OnlineStore: tableProps configures a new resource and is ignored with existingTableObj (got {}); remove one of them',
    ]);
  });

  it('OfflineStore needs the key of an existing bucket, refuses a key alone, and names what a bucket ignores', () => {
    const stack = newStack();
    const bucket = s3.Bucket.fromBucketName(stack, 'B', 'bucket-b');
    const key = new kms.Key(stack, 'K');
    expect(
      problemsOf(
        () =>
          new OfflineStore(stack, 'OfflineStore', {
            spec: FRAUD_SPEC,
            existingBucketObj: bucket,
            lifecycleRules: [],
            bufferInterval: Duration.minutes(20),
          }),
      ),
    ).toEqual([
      'streamfeatures-dev/OfflineStore: bufferInterval must be whole seconds from 0 to 900 (got "1200 s")',
      'streamfeatures-dev/OfflineStore: existingBucketKey is required with existingBucketObj (the key that encrypts the bucket)',
      'streamfeatures-dev/OfflineStore: lifecycleRules configures a new resource and is ignored with existingBucketObj (got []); remove one of them',
    ]);
    expect(
      problemsOf(() => new OfflineStore(stack, 'Other', { spec: FRAUD_SPEC, existingBucketKey: key })),
    ).toEqual([
      'streamfeatures-dev/Other: existingBucketKey applies only with existingBucketObj (got "streamfeatures-dev/K" without it)',
    ]);
  });

  it('Monitoring names the removal policy an existing topic ignores, and a threshold it does not know', () => {
    const stack = newStack();
    const pipeline = new FeaturePipeline(stack, 'Pipeline', { spec: FRAUD_SPEC });
    const topic = sns.Topic.fromTopicArn(stack, 'T', 'arn:aws:sns:eu-west-1:111111111111:alarms');
    expect(
      problemsOf(
        () =>
          new Monitoring(stack, 'More', {
            spec: FRAUD_SPEC,
            featureComputer: pipeline.featureComputer,
            table: pipeline.onlineStore.table,
            functions: {},
            apis: {},
            datasets: {},
            existingTopicObj: topic,
            removalPolicy: pipeline.node.tryGetContext('none') ?? ('destroy' as never),
            thresholds: { iteratorAgeMinute: 3 } as never,
            alarmEmail: 'not an address',
          }),
      ),
    ).toEqual([
      'streamfeatures-dev/More: thresholds.iteratorAgeMinute is no threshold (known: iteratorAgeMinutes, freshnessSeconds, quarantinePercent, latePercent, apiP99Ms, api5xxPercent)',
      'streamfeatures-dev/More: alarmEmail must be an email address (got "not an address")',
      'streamfeatures-dev/More: removalPolicy configures a new resource and is ignored with existingTopicObj (got "destroy"); remove one of them',
    ]);
  });
});

describe('feature computer props', () => {
  const build = (props: Partial<ConstructorParameters<typeof FeatureComputer>[2]>) => () => {
    const stack = newStack();
    new FeatureComputer(stack, 'FeatureComputer', {
      spec: FRAUD_SPEC,
      stream: kinesis.Stream.fromStreamArn(
        stack,
        'Stream',
        'arn:aws:kinesis:eu-west-1:111111111111:stream/s',
      ),
      table: dynamodb.Table.fromTableName(stack, 'Table', 't'),
      ...props,
    });
  };

  it('fails if parallelizationFactor is not 1, naming the value and why', () => {
    expect(problemsOf(build({ parallelizationFactor: 2 }))).toEqual([
      expect.stringMatching(
        /^streamfeatures-dev\/FeatureComputer: parallelizationFactor must be 1: the online store keeps one watermark per shard.* \(got 2\)$/,
      ),
    ]);
  });

  it('fails on unbounded retries or record age and an oversized batch, all at once', () => {
    expect(
      problemsOf(build({ retryAttempts: -1, maxRecordAge: Duration.seconds(30), batchSize: 20_000 })),
    ).toEqual([
      'streamfeatures-dev/FeatureComputer: batchSize must be a whole number from 1 to 10000 (got 20000)',
      expect.stringMatching(/^streamfeatures-dev\/FeatureComputer: retryAttempts must be .* \(got -1\)$/),
      'streamfeatures-dev/FeatureComputer: maxRecordAge must be whole seconds from 60 to 604800 (7 days; bounded: never the infinite default) (got "30 s")',
    ]);
  });

  it('names the props an existing side-output bucket ignores, and a key without its bucket', () => {
    const stack = newStack();
    const bucket = s3.Bucket.fromBucketName(stack, 'B', 'bucket-b');
    expect(
      problemsOf(
        build({
          existingSideOutputBucketObj: bucket,
          sideOutputRetention: Duration.days(3),
          serverAccessLogsBucket: bucket,
        }),
      ),
    ).toEqual([
      'streamfeatures-dev/FeatureComputer: sideOutputRetention configures a new resource and is ignored with existingSideOutputBucketObj (got "3 days"); remove one of them',
      'streamfeatures-dev/FeatureComputer: serverAccessLogsBucket configures a new resource and is ignored with existingSideOutputBucketObj (got "streamfeatures-dev/B"); remove one of them',
    ]);
  });
});

describe('scoring API props', () => {
  const champion = JSON.parse(
    readFileSync(join(PACKAGE_ROOT, 'examples/fraud/models', `${DEFAULT_MODEL_VERSION}.json`), 'utf8'),
  ) as { version: string; features: string[]; weights: number[] };
  const challengerVersion = 'fraud-lr-0123456789ab';
  let registry: string;
  beforeAll(() => {
    registry = mkdtempSync(join(tmpdir(), 'streamfeatures-registry-'));
    const write = (name: string, document: object) =>
      writeFileSync(join(registry, `${name}.json`), JSON.stringify(document));
    write(DEFAULT_MODEL_VERSION, champion);
    write(challengerVersion, { ...champion, version: challengerVersion });
    write('fraud-lr-mislabeled0', { ...champion, version: 'fraud-lr-other' });
    write('fraud-lr-broken00000', { ...champion, version: 'fraud-lr-broken00000', weights: [1] });
  });

  const build = (props: Partial<ScoringApiProps> = {}) => {
    const stack = new Stack(new App(), 'S');
    return new ScoringApi(stack, 'Score', {
      spec: FRAUD_SPEC,
      table: dynamodb.Table.fromTableName(stack, 'Table', 't'),
      modelRegistry: registry,
      modelVersion: DEFAULT_MODEL_VERSION,
      ...props,
    });
  };

  it('builds in the model and an embedded challenger, read from the registry', () => {
    expect(build().models).toEqual({ champion: DEFAULT_MODEL_VERSION, documents: [champion] });
    const withChallenger = build({ challenger: { mode: 'shadow', version: challengerVersion } });
    expect(withChallenger.models.documents.map((d) => d.version)).toEqual([
      DEFAULT_MODEL_VERSION,
      challengerVersion,
    ]);
    // A SageMaker challenger adds no document.
    expect(
      build({ challenger: { mode: 'split', endpointName: 'fraud-v2', weight: 0.5 } }).models.documents,
    ).toHaveLength(1);
  });

  it('gives the function time for a failed SageMaker challenger and then the model in split mode', () => {
    const timeoutOf = (challenger: ScoringApiProps['challenger']) => {
      const api = build({
        model: { backend: 'sagemaker', endpointName: 'fraud', timeoutMs: 10_000 },
        challenger,
      });
      return (api.function.node.defaultChild as CfnFunction).timeout;
    };
    expect(timeoutOf(undefined)).toBe(15);
    expect(timeoutOf({ mode: 'shadow', endpointName: 'fraud-v2', timeoutMs: 10_000 })).toBe(15);
    expect(timeoutOf({ mode: 'split', endpointName: 'fraud-v2', timeoutMs: 10_000, weight: 0.1 })).toBe(25);
    expect(timeoutOf({ mode: 'split', endpointName: 'fraud-v2', timeoutMs: 20_000, weight: 0.1 })).toBe(29);
  });

  it('fails if the model version is not in the registry, naming the registry, the version and what it has', () => {
    expect(() => build({ modelVersion: 'fraud-lr-missing' })).toThrow(
      `S/Score: model version "fraud-lr-missing" is not in the model registry ${JSON.stringify(registry)} ` +
        `(it has: ${['fraud-lr-0123456789ab', 'fraud-lr-broken00000', 'fraud-lr-mislabeled0', DEFAULT_MODEL_VERSION].sort().join(', ')})`,
    );
    expect(() => build({ challenger: { mode: 'shadow', version: 'fraud-lr-gone' } })).toThrow(
      /^S\/Score: model version "fraud-lr-gone" is not in the model registry .* \(it has: fraud-lr-0123456789ab, /,
    );
    expect(() => build({ modelRegistry: join(registry, 'nowhere') })).toThrow(
      /^S\/Score: cannot read the model registry ".*nowhere": ENOENT/,
    );
  });

  it('fails if a registry file is not a valid model, or its version is not its file name', () => {
    expect(() => build({ modelVersion: 'fraud-lr-mislabeled0' })).toThrow(
      `S/Score: model fraud-lr-mislabeled0 of the registry ${JSON.stringify(registry)}: its "version" field must ` +
        'equal its file name (got "fraud-lr-other" in fraud-lr-mislabeled0.json)',
    );
    expect(() => build({ modelVersion: 'fraud-lr-broken00000' })).toThrow(
      `S/Score: invalid model fraud-lr-broken00000 of the registry ${JSON.stringify(registry)}: weights: 1 weights for ${champion.features.length} features`,
    );
  });

  it('fails if the split weight is out of range, naming it', () => {
    for (const weight of [0, 1, 1.5, -0.1, Number.NaN]) {
      expect(() => build({ challenger: { mode: 'split', version: challengerVersion, weight } })).toThrow(
        `S/Score: challenger.weight must be above 0 and below 1, the share of requests it answers (got ${weight})`,
      );
    }
  });

  it('defaults to the registry the package ships and its trained model', () => {
    const stack = new Stack(new App(), 'S');
    const api = new ScoringApi(stack, 'Score', {
      spec: FRAUD_SPEC,
      table: dynamodb.Table.fromTableName(stack, 'Table', 't'),
    });
    expect(api.modelVersion).toBe(DEFAULT_MODEL_VERSION);
    expect(api.models).toEqual({ champion: DEFAULT_MODEL_VERSION, documents: [champion] });
    expect(registryVersions(DEFAULT_MODEL_REGISTRY)).toContain(DEFAULT_MODEL_VERSION);
  });

  it('fails if the challenger names both a version and an endpoint, neither, or the model itself', () => {
    const both = { mode: 'shadow', version: challengerVersion, endpointName: 'fraud-v2' } as never;
    expect(() => build({ challenger: both })).toThrow(
      'S/Score: challenger needs exactly one of version and endpointName (got {"version":"fraud-lr-0123456789ab","endpointName":"fraud-v2"})',
    );
    expect(() => build({ challenger: { mode: 'shadow' } as never })).toThrow(
      'challenger needs exactly one of version and endpointName (got {})',
    );
    expect(() => build({ challenger: { mode: 'shadow', version: DEFAULT_MODEL_VERSION } })).toThrow(
      `S/Score: challenger.version is the model itself (modelVersion): name another version (got "${DEFAULT_MODEL_VERSION}")`,
    );
    expect(() => build({ challenger: { mode: 'shadow', endpointName: 'fraud_v2' } })).toThrow(
      'S/Score: challenger.endpointName must be a SageMaker endpoint name (got "fraud_v2")',
    );
  });
});

describe('handler functions', () => {
  it('stage the pre-built bundle with the normalized spec and the given files beside it, by content', () => {
    const files = { [FUNCTION_FILES.models]: { champion: 'v1', documents: [] } };
    const dir = stageFunctionDirectory('score', { [FUNCTION_FILES.spec]: FRAUD_SPEC, ...files });
    expect(readdirSync(dir).sort()).toEqual(['index.mjs', 'index.mjs.map', 'models.json', 'spec.json']);
    // The bundle itself (not compared byte for byte: the package test may be rebuilding dist/ meanwhile).
    expect(readFileSync(join(dir, 'index.mjs'), 'utf8')).toMatch(
      /^import \{ createRequire as __sfCreateRequire \}/,
    );
    expect(existsSync(join(BUNDLES_DIR, 'score', 'index.mjs'))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'spec.json'), 'utf8'))).toEqual(FRAUD_SPEC);
    expect(stageFunctionDirectory('score', { [FUNCTION_FILES.spec]: FRAUD_SPEC, ...files })).toBe(dir);
    const other = stageFunctionDirectory('score', {
      [FUNCTION_FILES.spec]: { ...FRAUD_SPEC, name: 'other' },
      ...files,
    });
    expect(other).not.toBe(dir);
    expect(existsSync(join(other, 'index.mjs'))).toBe(true);
  });

  it('carry the staged directory as the function asset, with no bundling at synth', () => {
    const stack = newStack();
    new StreamfeaturesFunction(stack, 'F', {
      bundle: 'ingest',
      spec: FRAUD_SPEC,
      serviceName: 'svc',
      wiring: { STREAM_NAME: 'events' },
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Code: { S3Key: Match.stringLikeRegexp('^[0-9a-f]{64}\\.zip$') },
    });
  });

  it('fails if the caller sets an environment variable the construct wires, naming each', () => {
    expect(
      problemsOf(
        () =>
          new StreamfeaturesFunction(newStack(), 'F', {
            bundle: 'ingest',
            spec: FRAUD_SPEC,
            serviceName: 'svc',
            wiring: { STREAM_NAME: 'events' },
            functionProps: { environment: { STREAM_NAME: 'other', POWERTOOLS_SERVICE_NAME: 'x' } },
          }),
      ),
    ).toEqual([
      'streamfeatures-dev/F: functionProps.environment.STREAM_NAME is set by the construct (to "events"); remove it (got "other")',
      'streamfeatures-dev/F: functionProps.environment.POWERTOOLS_SERVICE_NAME is set by the construct (to "svc"); remove it (got "x")',
    ]);
  });

  it('acknowledge cdk-nag wildcard findings in cdk-nag’s own spelling, without cdk-nag at run time', () => {
    const samples = [
      'arn:aws:s3:::b/late/*',
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Bucket83908E77', 'Arn'] }, '/late/*']] },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string, not a template
      { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${Bucket}/*' },
      { Ref: 'Topic' },
      { 'Fn::ImportValue': 'x' },
      { 'Fn::Select': [0, ['a']] },
    ];
    for (const sample of samples) expect(flattenCfnReference(sample)).toBe(cdkNagFlatten(sample));
  });
});

describe('offline schema', () => {
  it('types the raw archive columns of the spec fields: numeric aggregations double, the rest string', () => {
    const columns = Object.fromEntries(rawArchiveColumns(FRAUD_SPEC).map((c) => [c.name, c.type]));
    expect(columns).toEqual({
      arrival_ms: 'bigint',
      shard_id: 'string',
      sequence_number: 'string',
      partition_key: 'string',
      data: 'string',
      data_encoding: 'string',
      ts: 'string',
      event_id: 'string',
      card_id: 'string',
      merchant_id: 'string',
      amount: 'double',
      geo_country: 'string',
    });
  });

  it('types the feature log vector from the aggregations', () => {
    const features = featureLogColumns(FRAUD_SPEC).find((c) => c.name === 'features');
    expect(hiveType(features?.type ?? 'string')).toMatch(
      /^struct<card_txn_count_10m:double,.*,card_last_country_7d:string,.*card_merchant_amount_sum_24h:double>$/,
    );
  });

  it('fails if two fields map to one column, naming both', () => {
    const spec = parseSpec({
      version: 1,
      name: 's',
      event: { timeField: 'ts' },
      entities: { card: ['card.id', 'card_id'] },
      features: [{ name: 'n', entity: 'card', agg: 'count', window: '1h' }],
    });
    expect(columnName('card.id')).toBe('card_id');
    expect(() => rawArchiveColumns(spec)).toThrow(
      'raw archive table: column "card_id" (key field of entity card: card_id) collides with (key field of entity card: card.id); rename one',
    );
  });
});
