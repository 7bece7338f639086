import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { newDataKey, withOverrides } from './defaults.js';
import { ignoredWith, Problems, throwIfProblems } from './errors.js';

/** How long records stay on a new stream unless told otherwise. */
export const DEFAULT_STREAM_RETENTION = Duration.hours(24);

export interface EventStreamProps {
  /**
   * Capacity mode.
   * @default 'on-demand'
   */
  readonly mode?: 'on-demand' | 'provisioned';
  /**
   * Shards, with mode `provisioned` only: 1 to 10000.
   * @default 1 when provisioned
   */
  readonly shardCount?: number;
  /**
   * How long records stay on the stream: whole hours from 24 to 8760, the window to repair and replay a stuck
   * shard.
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
   * Bring your own stream. The props that configure a new stream are then refused. Producers and the features
   * Lambda need its key (if any) to allow them.
   * @default - a new stream
   */
  readonly existingStreamObj?: kinesis.IStream;
}

/** The Kinesis data stream events arrive on, encrypted with a customer-managed key. */
export class EventStream extends Construct {
  public readonly stream: kinesis.IStream;
  /** The key that encrypts the stream, when the app knows it. */
  public readonly encryptionKey?: kms.IKey;
  /** How long records stay on a stream this construct made; unknown for an existing stream. */
  public readonly retentionPeriod?: Duration;

  constructor(scope: Construct, id: string, props: EventStreamProps = {}) {
    super(scope, id);
    throwIfProblems(this, eventStreamProblems(props));
    if (props.existingStreamObj) {
      this.stream = props.existingStreamObj;
      this.encryptionKey = props.existingStreamObj.encryptionKey;
      return;
    }
    const mode = props.mode ?? 'on-demand';
    const retention = props.retentionPeriod ?? DEFAULT_STREAM_RETENTION;
    this.retentionPeriod = retention;
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

/** Every problem with the props, each naming the bad value; none when they are fine. */
export function eventStreamProblems(props: EventStreamProps): string[] {
  if (props.existingStreamObj) {
    return ignoredWith('existingStreamObj', props, [
      'mode',
      'shardCount',
      'retentionPeriod',
      'encryptionKey',
      'removalPolicy',
      'streamProps',
    ]);
  }
  const problems = new Problems();
  const mode = props.mode ?? 'on-demand';
  problems.check(
    mode === 'on-demand' || mode === 'provisioned',
    'mode must be "on-demand" or "provisioned"',
    mode,
  );
  if (props.shardCount !== undefined) {
    problems.check(
      mode === 'provisioned',
      `shardCount applies to mode "provisioned" only (mode is "${mode}")`,
      props.shardCount,
    );
    problems.check(
      Number.isInteger(props.shardCount) && props.shardCount >= 1 && props.shardCount <= 10_000,
      'shardCount must be a whole number from 1 to 10000',
      props.shardCount,
    );
  }
  const hours = (props.retentionPeriod ?? DEFAULT_STREAM_RETENTION).toHours({ integral: false });
  problems.check(
    Number.isInteger(hours) && hours >= 24 && hours <= 8_760,
    'retentionPeriod must be whole hours from 24 to 8760',
    `${hours} hours`,
  );
  return problems.list;
}
