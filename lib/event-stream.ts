import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { newDataKey, withOverrides } from './defaults.js';
import { InvalidPropsError } from './errors.js';

export interface EventStreamProps {
  /**
   * Capacity mode.
   * @default 'on-demand'
   */
  readonly mode?: 'on-demand' | 'provisioned';
  /**
   * Shards, with mode `provisioned` only.
   * @default 1 when provisioned
   */
  readonly shardCount?: number;
  /**
   * How long records stay on the stream.
   * @default Duration.hours(24)
   */
  readonly retentionPeriod?: Duration;
  /**
   * Key for server-side encryption.
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Removal policy of the stream and its key.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Overrides of the stream's properties, merged over the defaults.
   * @default - none
   */
  readonly streamProps?: Partial<kinesis.StreamProps>;
  /**
   * Bring your own stream; the other props are then ignored. Producers and the features Lambda need its key
   * (if any) to allow them.
   * @default - a new stream
   */
  readonly existingStreamObj?: kinesis.IStream;
}

/** The Kinesis data stream events arrive on, encrypted with a customer-managed key. */
export class EventStream extends Construct {
  public readonly stream: kinesis.IStream;
  /** The key that encrypts the stream, when the app knows it. */
  public readonly encryptionKey?: kms.IKey;

  constructor(scope: Construct, id: string, props: EventStreamProps = {}) {
    super(scope, id);
    if (props.existingStreamObj) {
      this.stream = props.existingStreamObj;
      this.encryptionKey = props.existingStreamObj.encryptionKey;
      return;
    }
    const mode = props.mode ?? 'on-demand';
    if (mode === 'on-demand' && props.shardCount !== undefined) {
      throw new InvalidPropsError(
        `shardCount applies to mode "provisioned" only (got ${props.shardCount} with "on-demand")`,
      );
    }
    const retention = props.retentionPeriod ?? Duration.hours(24);
    const hours = retention.toHours({ integral: false });
    if (!Number.isInteger(hours) || hours < 24 || hours > 8_760) {
      throw new InvalidPropsError(`retentionPeriod must be whole hours from 24 to 8760 (got ${hours} hours)`);
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const key = props.encryptionKey ?? newDataKey(this, 'Key', 'streamfeatures: event stream', removalPolicy);
    const defaults: kinesis.StreamProps = {
      streamMode: mode === 'on-demand' ? kinesis.StreamMode.ON_DEMAND : kinesis.StreamMode.PROVISIONED,
      shardCount: mode === 'provisioned' ? (props.shardCount ?? 1) : undefined,
      retentionPeriod: retention,
      encryption: kinesis.StreamEncryption.KMS,
      encryptionKey: key,
      removalPolicy,
    };
    const stream = new kinesis.Stream(this, 'Stream', withOverrides(defaults, props.streamProps));
    Validations.of(stream).acknowledge({
      id: 'AwsSolutions-KDS3',
      reason:
        'A customer-managed key on purpose: its key policy, not the account-wide aws/kinesis key, decides who ' +
        'may read the events; the extra KMS calls are few (Kinesis reuses data keys).',
    });
    this.stream = stream;
    this.encryptionKey = key;
  }
}
