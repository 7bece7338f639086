import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { newDataKey, withOverrides } from './defaults.js';
import { acknowledgeControl, REASONS } from './policy-acknowledgements.js';

export interface SecureBucketProps {
  /** What the bucket holds, for the key's description. */
  readonly purpose: string;
  /**
   * Key for SSE-KMS (with an S3 bucket key, so KMS calls stay few).
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Where S3 server access logs go.
   * @default - no access logging (the stack passes its access-log bucket)
   */
  readonly serverAccessLogsBucket?: s3.IBucket;
  /**
   * Lifecycle rules. The rule expiring noncurrent versions (`noncurrentVersionExpiration`) is always added.
   * @default - incomplete multipart uploads aborted after 7 days; nothing current expires
   */
  readonly lifecycleRules?: s3.LifecycleRule[];
  /**
   * How long an overwritten or deleted object's old version is kept. The bucket is versioned (AWS Control Tower's
   * CT.S3.PR.11): a delete or overwrite by mistake, or by a compromised writer, can be undone within this window;
   * after it the old version expires, so deleted data does not stay billed, or kept, for ever.
   * @default Duration.days(30)
   */
  readonly noncurrentVersionExpiration?: Duration;
  /**
   * Buckets hold the archive and the side outputs: they outlive a stack unless the caller says otherwise.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Overrides of the bucket's properties, merged over the defaults.
   * @default - none
   */
  readonly bucketProps?: Partial<s3.BucketProps>;
}

/**
 * An S3 bucket with this app's defaults: SSE-KMS, TLS only, no public access, owner-enforced, versioned with
 * noncurrent versions expiring, lifecycle.
 */
export class SecureBucket extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.encryptionKey =
      props.encryptionKey ?? newDataKey(this, 'Key', `streamfeatures: ${props.purpose}`, removalPolicy);
    const defaults: s3.BucketProps = {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: props.serverAccessLogsBucket ? `${id.toLowerCase()}/` : undefined,
      versioned: true,
      lifecycleRules: [
        ...(props.lifecycleRules ?? [
          { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
        ]),
        {
          id: 'expire-noncurrent-versions',
          noncurrentVersionExpiration: props.noncurrentVersionExpiration ?? Duration.days(30),
          // An object whose last version expired leaves a delete marker alone: clear it.
          expiredObjectDeleteMarker: true,
        },
      ],
      removalPolicy,
    };
    this.bucket = new s3.Bucket(this, 'Bucket', withOverrides(defaults, props.bucketProps));
    acknowledgeControl(this.bucket, 'CT.S3.PR.4', REASONS.noObjectEvents);
    acknowledgeControl(this.bucket, 'CT.S3.PR.9', REASONS.noObjectLock);
  }
}
