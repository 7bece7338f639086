/**
 * The cost baseline for the online store: the obvious design with no batching, one DynamoDB UpdateItem per
 * event per feature, on an item keyed by (feature, entity key, tile). Counters and sums are `ADD`ed; min, max,
 * last and distinct just `SET` the value (wrong as features, but the cost of a correct version is no lower).
 * No dedupe, no reads. It shows what OnlineStore's one-write-per-item-per-batch design saves.
 * Features whose `where` filter does not match an event are skipped, which only flatters the baseline.
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { mapSettled } from '../adapters/concurrency.js';
import { type CompiledSpec, classifyBatch, type InputRecord, type ValidEvent } from '../core/index.js';
import type { CompiledFeature } from '../core/spec/compile.js';

export interface NaiveResult {
  records: number;
  events: number;
  calls: number;
  writeUnits: number;
  wallMs: number;
}

/** The update one event makes to one feature's tile item. */
function updateFor(
  tableName: string,
  feature: CompiledFeature,
  itemKey: string,
  event: ValidEvent,
): UpdateItemCommandInput | undefined {
  if (feature.matches && !feature.matches(event.body)) return undefined;
  const value = feature.getField?.(event.body);
  const tile = Math.floor(event.tau / feature.tileMs);
  const values: Record<string, AttributeValue> = { ':one': { N: '1' } };
  let expression: string;
  switch (feature.agg) {
    case 'count':
      expression = 'ADD c :one';
      break;
    case 'sum':
      expression = 'ADD s :v';
      values[':v'] = { N: String(value) };
      delete values[':one'];
      break;
    case 'avg':
      expression = 'ADD c :one, s :v';
      values[':v'] = { N: String(value) };
      break;
    case 'stddev':
      expression = 'ADD c :one, s :v, q :q';
      values[':v'] = { N: String(value) };
      values[':q'] = { N: String((value as number) ** 2) };
      break;
    default:
      expression = 'SET v = :v';
      values[':v'] = typeof value === 'number' ? { N: String(value) } : { S: String(value) };
      delete values[':one'];
  }
  return {
    TableName: tableName,
    Key: { pk: { S: `naive!${feature.name}#${itemKey}#${tile}` } },
    UpdateExpression: expression,
    ExpressionAttributeValues: values,
    ReturnConsumedCapacity: 'TOTAL',
  };
}

/** Writes `records` the naive way, `concurrency` calls in flight; returns the write units DynamoDB reported. */
export async function naiveWrite(
  client: DynamoDBClient,
  tableName: string,
  spec: CompiledSpec,
  records: readonly InputRecord[],
  concurrency = 32,
): Promise<NaiveResult> {
  const { events } = classifyBatch(spec, records);
  const updates: UpdateItemCommandInput[] = [];
  for (const event of events) {
    spec.entities.forEach((entity, ei) => {
      for (const { feature } of entity.features) {
        const update = updateFor(tableName, feature, event.itemKeys[ei] as string, event);
        if (update) updates.push(update);
      }
    });
  }
  const started = performance.now();
  let writeUnits = 0;
  const results = await mapSettled(updates, concurrency, async (input) => {
    const response = await client.send(new UpdateItemCommand(input));
    writeUnits += response.ConsumedCapacity?.CapacityUnits ?? 0;
  });
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return {
    records: records.length,
    events: events.length,
    calls: updates.length,
    writeUnits,
    wallMs: performance.now() - started,
  };
}
