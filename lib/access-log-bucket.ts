import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { withOverrides } from './defaults.js';
import { acknowledgeControl, REASONS } from './policy-acknowledgements.js';

export interface AccessLogBucketProps {
  /**
   * How long access logs are kept.
   * @default Duration.days(365)
   */
  readonly retention?: Duration;
  /**
   * Overrides of the bucket's properties, merged over the defaults.
   * @default - none
   */
  readonly bucketProps?: Partial<s3.BucketProps>;
}

/**
 * The target of the data buckets' S3 server access logs. S3 log delivery supports SSE-S3 only on the target,
 * so this bucket alone is not SSE-KMS.
 */
export class AccessLogBucket extends Construct {
  public readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: AccessLogBucketProps = {}) {
    super(scope, id);
    // S3 log delivery through a bucket policy, not the LogDeliveryWrite ACL an owner-enforced bucket refuses:
    // CDK's feature flag, set here so an app without it (or with it off) still synthesizes.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const defaults: s3.BucketProps = {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          id: 'expire-access-logs',
          expiration: props.retention ?? Duration.days(365),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    };
    this.bucket = new s3.Bucket(this, 'Bucket', withOverrides(defaults, props.bucketProps));
    const noSelfLogging =
      'This is the access-log target of the data buckets; logging its own access would log the logging.';
    Validations.of(this.bucket).acknowledge({ id: 'AwsSolutions-S1', reason: noSelfLogging });
    acknowledgeControl(this.bucket, 'CT.S3.PR.2', noSelfLogging);
    acknowledgeControl(
      this.bucket,
      'CT.S3.PR.10',
      'S3 server access logging delivers only to a target encrypted with SSE-S3, not SSE-KMS.',
    );
    acknowledgeControl(
      this.bucket,
      'CT.S3.PR.11',
      'Only the S3 logging service writes here, each log under a new key, and nothing overwrites or deletes a ' +
        'log before its expiry: versions would hold nothing but the delete markers of that expiry.',
    );
    acknowledgeControl(this.bucket, 'CT.S3.PR.4', REASONS.noObjectEvents);
    acknowledgeControl(
      this.bucket,
      'CT.S3.PR.9',
      'Access logs expire on a schedule (retention); object lock would keep them past it.',
    );
  }
}
