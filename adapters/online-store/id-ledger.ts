import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { ValidEvent } from '../../core/index.js';
import { mapSettled } from '../concurrency.js';
import type { CapacityMeter } from './capacity.js';
import type { LedgerClaim } from './id-claims.js';
import { batchGetItems } from './item-reads.js';

export type ClaimOutcome = { status: 'counted' | 'duplicate' } | { status: 'failed'; error: unknown };

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

  /**
   * Decides every event of a batch, outcomes in event order. Copies of one id are decided in batch order, so a
   * copy counts only against the copy that actually counted (a skipped copy does not restart the horizon).
   * Different ids are claimed in parallel. Once a claim fails, the later copies of its id stay undecided too.
   */
  async claimAll(events: readonly ValidEvent[], concurrency: number): Promise<ClaimOutcome[]> {
    const outcomes: ClaimOutcome[] = new Array(events.length);
    const copiesById = new Map<string, number[]>();
    events.forEach((event, i) => {
      const copies = copiesById.get(event.id as string) ?? [];
      copies.push(i);
      copiesById.set(event.id as string, copies);
    });
    await mapSettled([...copiesById.values()], concurrency, async (copies) => {
      let countedAt: number | undefined;
      for (const [n, i] of copies.entries()) {
        const event = events[i] as ValidEvent;
        if (countedAt !== undefined && event.alpha - countedAt <= this.horizonMs) {
          outcomes[i] = { status: 'duplicate' };
          continue;
        }
        try {
          const counted = await this.claim(event);
          outcomes[i] = { status: counted ? 'counted' : 'duplicate' };
          if (counted) countedAt = event.alpha;
        } catch (error) {
          for (const j of copies.slice(n)) outcomes[j] = { status: 'failed', error };
          return;
        }
      }
    });
    return outcomes;
  }

  /**
   * The claims the ledger holds for these ids (strongly consistent reads; no writes): under `event.dedupeScope` the
   * ledger is no longer written, but for a horizon after the upgrade it still knows the ids counted before.
   */
  async lookup(ids: readonly string[]): Promise<Map<string, LedgerClaim>> {
    const found = await batchGetItems(
      this.client,
      this.tableName,
      ids.map((id) => `${ID_PREFIX}${id}`),
      this.meter,
      { consistent: true },
    );
    const claims = new Map<string, LedgerClaim>();
    for (const [pk, item] of found) {
      claims.set(pk.slice(ID_PREFIX.length), {
        shardId: item.sh?.S ?? '',
        sequenceNumber: item.sq?.S ?? '',
        alpha: Number(item.a?.N ?? 0),
      });
    }
    return claims;
  }

  /** True when this event may count; false when another record already counted its id within the horizon. */
  private async claim(event: ValidEvent): Promise<boolean> {
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
