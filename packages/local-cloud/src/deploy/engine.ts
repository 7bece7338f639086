/** What every stack the deployer runs shares: its settings, the cloud's clients, and the creators by type. */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './naming.js';
import { createCloudWatchAlarm } from './resources/cloudwatch-alarm.js';
import type { Creator } from './resources/context.js';
import { createCustomResource, isCustomResourceType } from './resources/custom-resource.js';
import { createDynamoDbTable } from './resources/dynamodb.js';
import { createEventSourceMapping } from './resources/event-source-mapping.js';
import { createEventBus } from './resources/events-bus.js';
import { createEventsRule } from './resources/events-rule.js';
import { createKinesisStream, createKinesisStreamConsumer } from './resources/kinesis.js';
import { createLambdaFunction } from './resources/lambda.js';
import { createS3Bucket } from './resources/s3.js';
import { createSchedulerSchedule } from './resources/scheduler-schedule.js';
import { createSnsTopic } from './resources/sns.js';
import { createSqsQueue } from './resources/sqs.js';
import { createSsmParameter } from './resources/ssm.js';
import type { EngineOptions } from './types.js';

/** The resource types the deployer creates on the cloud, or runs in this process (functions, mappings). */
export const CREATORS: Readonly<Record<string, Creator>> = {
  'AWS::Kinesis::Stream': createKinesisStream,
  'AWS::Kinesis::StreamConsumer': createKinesisStreamConsumer,
  'AWS::DynamoDB::Table': createDynamoDbTable,
  'AWS::S3::Bucket': createS3Bucket,
  'AWS::SQS::Queue': createSqsQueue,
  'AWS::SNS::Topic': createSnsTopic,
  'AWS::SSM::Parameter': createSsmParameter,
  'AWS::Lambda::Function': createLambdaFunction,
  'AWS::Lambda::EventSourceMapping': createEventSourceMapping,
  'AWS::Events::EventBus': createEventBus,
  'AWS::Events::Rule': createEventsRule,
  'AWS::CloudWatch::Alarm': createCloudWatchAlarm,
  'AWS::Scheduler::Schedule': createSchedulerSchedule,
};

/** The creator of a type: CREATORS, or the custom resources' (`AWS::CloudFormation::CustomResource`, `Custom::*`). */
export function creatorFor(type: string): Creator | undefined {
  return CREATORS[type] ?? (isCustomResourceType(type) ? createCustomResource : undefined);
}

export class DeployEngine {
  readonly region = LOCAL_REGION;
  readonly accountId = LOCAL_ACCOUNT_ID;
  readonly cloudEndpoint: string;
  readonly kinesis: KinesisClient;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly sqs: SQSClient;

  constructor(readonly options: EngineOptions) {
    this.cloudEndpoint = options.cloudEndpoint.replace(/\/+$/, '');
    const sdk = {
      endpoint: this.cloudEndpoint,
      region: this.region,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    };
    this.kinesis = new KinesisClient(sdk);
    this.dynamodb = new DynamoDBClient(sdk);
    this.s3 = new S3Client({ ...sdk, forcePathStyle: true });
    this.sqs = new SQSClient(sdk);
  }

  close(): void {
    for (const client of [this.kinesis, this.dynamodb, this.s3, this.sqs]) client.destroy();
  }
}
