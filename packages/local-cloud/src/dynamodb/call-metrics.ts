/**
 * The metrics DynamoDB publishes to CloudWatch (namespace `AWS/DynamoDB`) for one call, worked out from the call
 * and its answer, as AWS names and dimensions them:
 *
 * - `ConsumedReadCapacityUnits` / `ConsumedWriteCapacityUnits` (`TableName`): the units of the answer's
 *   `ConsumedCapacity`, per table (a read operation's `CapacityUnits` are read units, a write operation's write
 *   units; `ReadCapacityUnits` / `WriteCapacityUnits`, when given, as they are);
 * - `ReadThrottleEvents` / `WriteThrottleEvents` (`TableName`) and `ThrottledRequests` (`TableName`,
 *   `Operation`): always 0, because the local cloud never throttles (DynamoDB Local has no capacity limits);
 *   published so that alarms on throttling judge 0, as on AWS, rather than missing data;
 * - `SuccessfulRequestLatency` (`TableName`, `Operation`, milliseconds) for a call answered 2xx;
 * - `ReturnedItemCount` (`TableName`, `Operation`) for Query, Scan and ExecuteStatement: the answer's `Count`
 *   (or its `Items`);
 * - `ConditionalCheckFailedRequests` (`TableName`): 1 for a call refused with ConditionalCheckFailedException;
 * - `UserErrors` (no dimension: AWS's is per account and region): 1 for any other 400;
 * - `SystemErrors` (`TableName`, `Operation`): 1 for a 5xx.
 * The error counts are put when an error happens (their Sum is the count), not as 0 for every call.
 */

import type { Dimension } from '../cloudwatch/metric-store.js';

export const DYNAMODB_NAMESPACE = 'AWS/DynamoDB';

export interface MetricPoint {
  readonly metricName: string;
  readonly dimensions: readonly Dimension[];
  readonly value: number;
  readonly unit: string;
}

/** One DynamoDB call as the endpoint saw it. */
export interface DynamoDbCall {
  /** The operation (`PutItem`...), from `X-Amz-Target`. */
  readonly operation: string;
  /** The request's JSON body (undefined when it was not a JSON object). */
  readonly request: Record<string, unknown> | undefined;
  readonly status: number;
  /** The answer's JSON body, before any ConsumedCapacity was taken out of it. */
  readonly answer: Record<string, unknown> | undefined;
  readonly latencyMs: number;
}

const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);
const PARTIQL = new Set(['ExecuteStatement', 'BatchExecuteStatement', 'ExecuteTransaction']);
/** The operations that return ConsumedCapacity when asked (ReturnConsumedCapacity). */
export const CAPACITY_OPERATIONS: ReadonlySet<string> = new Set([...READS, ...WRITES, ...PARTIQL]);
/** The operations whose answer has a `Count` of items returned, to AWS's ReturnedItemCount. */
const COUNTING = new Set(['Query', 'Scan', 'ExecuteStatement']);

type Kind = 'read' | 'write';

const PARTIQL_TABLE =
  /^\s*(?:SELECT\s[\s\S]*?\sFROM|INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([A-Za-z0-9_.-]{3,255})"?/i;

/** A PartiQL statement's kind and table. */
function statementOf(statement: unknown): { kind: Kind; table: string | undefined } | undefined {
  if (typeof statement !== 'string') return undefined;
  const kind: Kind = /^\s*SELECT\s/i.test(statement) ? 'read' : 'write';
  return { kind, table: PARTIQL_TABLE.exec(statement)?.[1] };
}

function kindOf(call: DynamoDbCall): Kind | undefined {
  if (READS.has(call.operation)) return 'read';
  if (WRITES.has(call.operation)) return 'write';
  if (call.operation === 'ExecuteStatement') return statementOf(call.request?.Statement)?.kind;
  if (call.operation === 'BatchExecuteStatement' || call.operation === 'ExecuteTransaction') {
    const statements = (call.request?.Statements ?? call.request?.TransactStatements) as unknown;
    const first = Array.isArray(statements) ? (statements[0] as { Statement?: unknown }) : undefined;
    return statementOf(first?.Statement)?.kind;
  }
  return undefined;
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The tables a call names (for its latency, throttle and error metrics). */
export function tablesOf(call: Pick<DynamoDbCall, 'operation' | 'request'>): string[] {
  const request = call.request;
  if (request === undefined) return [];
  const tables = new Set<string>();
  if (typeof request.TableName === 'string') tables.add(request.TableName);
  for (const name of Object.keys(asObject(request.RequestItems) ?? {})) tables.add(name);
  if (Array.isArray(request.TransactItems)) {
    for (const item of request.TransactItems) {
      for (const action of Object.values(asObject(item) ?? {})) {
        const table = asObject(action)?.TableName;
        if (typeof table === 'string') tables.add(table);
      }
    }
  }
  const table = statementOf(request.Statement)?.table;
  if (table !== undefined) tables.add(table);
  for (const list of [request.Statements, request.TransactStatements]) {
    if (!Array.isArray(list)) continue;
    for (const entry of list) {
      const named = statementOf(asObject(entry)?.Statement)?.table;
      if (named !== undefined) tables.add(named);
    }
  }
  return [...tables];
}

/** Units consumed per table and kind, from the answer's ConsumedCapacity (one object or a list). */
function consumedUnits(call: DynamoDbCall, kind: Kind | undefined): Array<[string, Kind, number]> {
  const consumed = call.answer?.ConsumedCapacity;
  const entries = Array.isArray(consumed) ? consumed : consumed === undefined ? [] : [consumed];
  const units: Array<[string, Kind, number]> = [];
  for (const entry of entries) {
    const c = asObject(entry);
    if (c === undefined || typeof c.TableName !== 'string') continue;
    const read = typeof c.ReadCapacityUnits === 'number' ? c.ReadCapacityUnits : undefined;
    const write = typeof c.WriteCapacityUnits === 'number' ? c.WriteCapacityUnits : undefined;
    if (read !== undefined || write !== undefined) {
      if (read !== undefined) units.push([c.TableName, 'read', read]);
      if (write !== undefined) units.push([c.TableName, 'write', write]);
    } else if (typeof c.CapacityUnits === 'number' && kind !== undefined) {
      units.push([c.TableName, kind, c.CapacityUnits]);
    }
  }
  return units;
}

function errorCode(answer: Record<string, unknown> | undefined): string {
  const type = answer?.__type;
  return typeof type === 'string' ? type.slice(type.lastIndexOf('#') + 1) : '';
}

/** The metric points DynamoDB would publish for `call`. */
export function callMetrics(call: DynamoDbCall): MetricPoint[] {
  const points: MetricPoint[] = [];
  const add = (metricName: string, dimensions: Dimension[], value: number, unit = 'Count') =>
    points.push({ metricName, dimensions, value, unit });
  if (!CAPACITY_OPERATIONS.has(call.operation)) {
    if (call.status >= 400 && call.status < 500) add('UserErrors', [], 1);
    return points;
  }
  const kind = kindOf(call);
  const tables = tablesOf(call);
  const table = (name: string): Dimension[] => [{ Name: 'TableName', Value: name }];
  const tableOperation = (name: string): Dimension[] => [
    { Name: 'TableName', Value: name },
    { Name: 'Operation', Value: call.operation },
  ];

  for (const [name, unitKind, units] of consumedUnits(call, kind)) {
    add(unitKind === 'read' ? 'ConsumedReadCapacityUnits' : 'ConsumedWriteCapacityUnits', table(name), units);
  }
  for (const name of tables) {
    if (kind !== undefined)
      add(kind === 'read' ? 'ReadThrottleEvents' : 'WriteThrottleEvents', table(name), 0);
    add('ThrottledRequests', tableOperation(name), 0);
  }
  if (call.status >= 200 && call.status < 300) {
    for (const name of tables)
      add('SuccessfulRequestLatency', tableOperation(name), call.latencyMs, 'Milliseconds');
    if (COUNTING.has(call.operation) && tables.length === 1) {
      const count = call.answer?.Count;
      const items = call.answer?.Items;
      const returned = typeof count === 'number' ? count : Array.isArray(items) ? items.length : undefined;
      if (returned !== undefined) add('ReturnedItemCount', tableOperation(tables[0] as string), returned);
    }
  } else if (call.status >= 500) {
    for (const name of tables) add('SystemErrors', tableOperation(name), 1);
  } else if (call.status >= 400) {
    if (errorCode(call.answer) === 'ConditionalCheckFailedException') {
      for (const name of tables) add('ConditionalCheckFailedRequests', table(name), 1);
    } else {
      add('UserErrors', [], 1);
    }
  }
  return points;
}
