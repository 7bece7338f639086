import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { allow } from './defaults.js';
import { allowKeyVia } from './key-grants.js';
import { acknowledgeWildcardResources } from './nag.js';

/**
 * Where Lambda writes the record of a discarded stream batch (after the retries or the maximum record age).
 * CDK's own S3OnFailureDestination grants `s3:GetObject*`, `s3:List*`, `s3:Abort*` and more on the whole
 * bucket; these grant what Lambda documents as needed, on the destination only.
 */

/** An S3 bucket: Lambda puts the whole batch under `aws/lambda/<mapping id>/<shard>/...`. */
export class S3FailureDestination implements lambda.IEventSourceDlq {
  constructor(
    private readonly bucket: s3.IBucket,
    private readonly key?: kms.IKey,
  ) {}

  bind(_target: lambda.IEventSourceMapping, targetHandler: lambda.IFunction): lambda.DlqDestinationConfig {
    const objects = this.bucket.arnForObjects('aws/lambda/*');
    allow(targetHandler, ['s3:PutObject'], [objects]);
    if (targetHandler.role) {
      acknowledgeWildcardResources(
        targetHandler.role,
        [objects],
        'Lambda names failed-batch objects aws/lambda/<mapping id>/<shard>/<date>-<uuid>: PutObject is limited ' +
          'to that prefix.',
      );
    }
    allow(targetHandler, ['s3:ListBucket'], [this.bucket.bucketArn]);
    if (this.key) allowKeyVia(targetHandler, this.key, ['kms:GenerateDataKey'], 's3');
    return { destination: this.bucket.bucketArn };
  }
}

/** An SQS queue: Lambda sends the batch's shard and sequence range (not the records). */
export class SqsFailureDestination implements lambda.IEventSourceDlq {
  constructor(
    private readonly queue: sqs.IQueue,
    private readonly key?: kms.IKey,
  ) {}

  bind(_target: lambda.IEventSourceMapping, targetHandler: lambda.IFunction): lambda.DlqDestinationConfig {
    allow(targetHandler, ['sqs:SendMessage'], [this.queue.queueArn]);
    if (this.key) allowKeyVia(targetHandler, this.key, ['kms:GenerateDataKey', 'kms:Decrypt'], 'sqs');
    return { destination: this.queue.queueArn };
  }
}
