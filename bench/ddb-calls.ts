/**
 * Counts what the online store asks of DynamoDB, by purpose, from a client middleware: id-ledger claims
 * (PutItem on `id!…` items), tile-item writes (other PutItems, and the conflicts that make them retry),
 * prefetch reads (BatchGetItem) and re-reads after a conflict (GetItem). Units are those DynamoDB reports;
 * a rejected conditional write is charged by the size of the item put, as the store's CapacityMeter charges it. The meter gives the totals, this the split.
 * DynamoDB Local reports no units for BatchGetItem keys that are not found, while AWS bills every key read
 * (0.5 RCU eventually consistent, at least): the tally counts those keys so the report can add them.
 */
import type { AttributeValue, ConsumedCapacity, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ID_PREFIX } from '../adapters/online-store/id-ledger.js';
import { itemBytes, writeUnitsOf } from '../adapters/online-store/item-bytes.js';

export class CallTally {
  ledgerPuts = 0;
  ledgerUnits = 0;
  /** Claims refused: the id was already counted (a duplicate event). */
  ledgerRefused = 0;
  tilePuts = 0;
  tileUnits = 0;
  /** Tile writes refused because another writer changed the item since it was read (or a blind create met one). */
  tileConflicts = 0;
  /** The units those refused tile writes cost (included in tileUnits). */
  tileRefusedUnits = 0;
  /** Units of accepted tile writes, by entity (the item key up to its first `#`). */
  tileUnitsByEntity: Record<string, number> = {};
  /** Accepted tile writes, by entity. */
  tilePutsByEntity: Record<string, number> = {};
  /**
   * Units those writes would cost by the size of the item put alone, by entity: DynamoDB bills a put by the larger
   * of the item it replaces and the new one, so tileUnitsByEntity less this is what shrinking items still paid.
   */
  tileOwnSizeUnitsByEntity: Record<string, number> = {};
  batchGets = 0;
  batchGetKeys = 0;
  /** Keys asked for and found: DynamoDB Local charges nothing for the others, AWS charges 0.5 RCU each. */
  batchGetFound = 0;
  batchGetUnits = 0;
  gets = 0;
  getUnits = 0;
  updates = 0;
  updateUnits = 0;
}

const unitsOf = (consumed: ConsumedCapacity | ConsumedCapacity[] | undefined): number =>
  (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce(
    (sum, c) => sum + (c.CapacityUnits ?? 0),
    0,
  );

/** The entity of an online-store item key (`card#c1` → `card`). */
export const entityOf = (pk: string): string => pk.slice(0, Math.max(0, pk.indexOf('#'))) || pk;

/** Installs the counting middleware once; `current` is where calls are added up until replaced. */
export function tallyCalls(client: DynamoDBClient): { current: CallTally } {
  const holder = { current: new CallTally() };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as {
        Item?: Record<string, AttributeValue>;
        RequestItems?: Record<string, { Keys?: unknown[] }>;
      };
      const tally = holder.current;
      const command = context.commandName as string;
      const ledger = command === 'PutItemCommand' && (input.Item?.pk?.S ?? '').startsWith(ID_PREFIX);
      try {
        const result = await next(args);
        const units = unitsOf((result.output as { ConsumedCapacity?: ConsumedCapacity }).ConsumedCapacity);
        if (ledger) {
          tally.ledgerPuts++;
          tally.ledgerUnits += units;
        } else if (command === 'PutItemCommand') {
          tally.tilePuts++;
          tally.tileUnits += units;
          const entity = entityOf(input.Item?.pk?.S ?? '');
          tally.tileUnitsByEntity[entity] = (tally.tileUnitsByEntity[entity] ?? 0) + units;
          tally.tilePutsByEntity[entity] = (tally.tilePutsByEntity[entity] ?? 0) + 1;
          tally.tileOwnSizeUnitsByEntity[entity] =
            (tally.tileOwnSizeUnitsByEntity[entity] ?? 0) + writeUnitsOf(itemBytes(input.Item ?? {}));
        } else if (command === 'BatchGetItemCommand') {
          tally.batchGets++;
          tally.batchGetUnits += units;
          for (const request of Object.values(input.RequestItems ?? {}))
            tally.batchGetKeys += request.Keys?.length ?? 0;
          const output = result.output as { Responses?: Record<string, unknown[]> };
          for (const items of Object.values(output.Responses ?? {})) tally.batchGetFound += items.length;
        } else if (command === 'GetItemCommand') {
          tally.gets++;
          tally.getUnits += units;
        } else if (command === 'UpdateItemCommand') {
          tally.updates++;
          tally.updateUnits += units;
        }
        return result;
      } catch (error) {
        if ((error as Error).name === 'ConditionalCheckFailedException') {
          if (ledger) {
            tally.ledgerPuts++;
            tally.ledgerRefused++;
            tally.ledgerUnits += 1;
          } else {
            tally.tilePuts++;
            tally.tileConflicts++;
            // Billed as the item put, binary attributes by their byte length (item-bytes.ts), as AWS bills it.
            const refused = writeUnitsOf(itemBytes(input.Item ?? {}));
            tally.tileUnits += refused;
            tally.tileRefusedUnits += refused;
          }
        }
        throw error;
      }
    },
    { step: 'initialize', name: 'benchCallTally' },
  );
  return holder;
}
