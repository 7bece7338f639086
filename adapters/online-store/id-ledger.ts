import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { ValidEvent } from '../../core/index.js';
import type { CapacityMeter } from './capacity.js';

/** Prefix of the ledger's items in the online-store table; entity names cannot contain `!`. */
export const ID_PREFIX = 'id!';

/**
 * Event-id dedupe across batches, shards and Lambda instances: one small item per counted id, claimed with a
 * conditional put. The claim names the record (shard, sequence number) that counted, so the redelivery of that
 * same record claims it again (and the tiles' watermarks keep it from counting twice), while another copy of
 * the event within the horizon finds the claim taken and is a duplicate.
 */
export class IdLedger {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly horizonMs: number,
    private readonly meter: CapacityMeter,
  ) {}

  /** True when this event may count; false when another record already counted its id within the horizon. */
  async claim(event: ValidEvent): Promise<boolean> {
    const { record, alpha } = event;
    try {
      const response = await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            pk: { S: `${ID_PREFIX}${event.id}` },
            sh: { S: record.shardId },
            sq: { S: record.sequenceNumber },
            a: { N: String(alpha) },
            x: { N: String(Math.ceil((alpha + this.horizonMs) / 1000) + 60) },
          },
          ConditionExpression: 'attribute_not_exists(pk) OR (sh = :sh AND sq = :sq) OR a < :expired',
          ExpressionAttributeValues: {
            ':sh': { S: record.shardId },
            ':sq': { S: record.sequenceNumber },
            ':expired': { N: String(alpha - this.horizonMs) },
          },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      this.meter.record('write', response.ConsumedCapacity);
      return true;
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      // The claim item is under 1 KB: a failed condition costs one write unit.
      this.meter.charge('write', 1);
      return false;
    }
  }
}
