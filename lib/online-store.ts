import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { TTL_ATTRIBUTE } from '../adapters/online-store/tile-item.js';
import { newDataKey, withOverrides } from './defaults.js';
import { ignoredWith, throwIfProblems } from './errors.js';

/** The online store's key: one string partition key (adapters/online-store/tile-item.ts). */
export const PARTITION_KEY = 'pk';

export interface OnlineStoreProps {
  /**
   * Removal policy of the table and its key.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * DynamoDB deletion protection.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * Key for encryption at rest.
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Overrides of the table's properties (provisioned billing, contributor insights, ...), merged over the
   * defaults: on demand, TTL on `x`, point-in-time recovery. The key schema cannot change.
   * @default - none
   */
  readonly tableProps?: Partial<Omit<dynamodb.TableProps, 'partitionKey' | 'sortKey'>>;
  /**
   * Bring your own table (string partition key `pk`, TTL on `x`). The props that configure a new table are then
   * refused.
   * @default - a new table
   */
  readonly existingTableObj?: dynamodb.ITable;
}

/** The DynamoDB online store: one item per entity key holding its tiles (README, "The online store"). */
export class OnlineStore extends Construct {
  public readonly table: dynamodb.ITable;
  /** The key that encrypts the table, when the app knows it. */
  public readonly encryptionKey?: kms.IKey;

  constructor(scope: Construct, id: string, props: OnlineStoreProps = {}) {
    super(scope, id);
    throwIfProblems(this, onlineStoreProblems(props));
    if (props.existingTableObj) {
      this.table = props.existingTableObj;
      this.encryptionKey = props.existingTableObj.encryptionKey;
      return;
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const key = props.encryptionKey ?? newDataKey(this, 'Key', 'streamfeatures: online store', removalPolicy);
    const defaults: dynamodb.TableProps = {
      partitionKey: { name: PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: key,
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy,
    };
    this.table = new dynamodb.Table(this, 'Table', {
      ...withOverrides(defaults, props.tableProps),
      partitionKey: defaults.partitionKey,
    });
    this.encryptionKey = key;
  }
}

/** Every problem with the props, each naming the bad value; none when they are fine. */
export function onlineStoreProblems(props: OnlineStoreProps): string[] {
  if (!props.existingTableObj) return [];
  return ignoredWith('existingTableObj', props, [
    'removalPolicy',
    'deletionProtection',
    'encryptionKey',
    'tableProps',
  ]);
}
