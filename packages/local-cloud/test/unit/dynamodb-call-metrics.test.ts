import { describe, expect, it } from 'vitest';
import { callMetrics, type DynamoDbCall, tablesOf } from '../../src/dynamodb/call-metrics.js';
import { crc32 } from '../../src/dynamodb/crc32.js';

const call = (c: Partial<DynamoDbCall> & Pick<DynamoDbCall, 'operation'>): DynamoDbCall => ({
  request: {},
  status: 200,
  answer: {},
  latencyMs: 4,
  ...c,
});

/** The points as `name [dimension values] = value`, sorted, for readable comparisons. */
const points = (c: DynamoDbCall) =>
  callMetrics(c)
    .map((p) => `${p.metricName} [${p.dimensions.map((d) => `${d.Name}=${d.Value}`).join(',')}] = ${p.value}`)
    .sort();

describe('DynamoDB call metrics', () => {
  it('counts a write call’s consumed capacity as write units of its table, with zero throttles and its latency', () => {
    expect(
      points(
        call({
          operation: 'PutItem',
          request: { TableName: 'features', Item: {} },
          answer: { ConsumedCapacity: { TableName: 'features', CapacityUnits: 3 } },
          latencyMs: 7,
        }),
      ),
    ).toEqual([
      'ConsumedWriteCapacityUnits [TableName=features] = 3',
      'SuccessfulRequestLatency [TableName=features,Operation=PutItem] = 7',
      'ThrottledRequests [TableName=features,Operation=PutItem] = 0',
      'WriteThrottleEvents [TableName=features] = 0',
    ]);
  });

  it('counts a query’s units as read units and its items as ReturnedItemCount', () => {
    const found = points(
      call({
        operation: 'Query',
        request: { TableName: 'features' },
        answer: {
          Count: 2,
          Items: [{}, {}],
          ConsumedCapacity: { TableName: 'features', CapacityUnits: 0.5 },
        },
      }),
    );
    expect(found).toContain('ConsumedReadCapacityUnits [TableName=features] = 0.5');
    expect(found).toContain('ReturnedItemCount [TableName=features,Operation=Query] = 2');
    expect(found).toContain('ReadThrottleEvents [TableName=features] = 0');
  });

  it('splits a batch write’s units by table, and takes ReadCapacityUnits and WriteCapacityUnits as given', () => {
    const found = points(
      call({
        operation: 'BatchWriteItem',
        request: { RequestItems: { a_table: [], b_table: [] } },
        answer: {
          ConsumedCapacity: [
            { TableName: 'a_table', CapacityUnits: 2 },
            { TableName: 'b_table', CapacityUnits: 5, ReadCapacityUnits: 1, WriteCapacityUnits: 4 },
          ],
        },
      }),
    );
    expect(found).toContain('ConsumedWriteCapacityUnits [TableName=a_table] = 2');
    expect(found).toContain('ConsumedWriteCapacityUnits [TableName=b_table] = 4');
    expect(found).toContain('ConsumedReadCapacityUnits [TableName=b_table] = 1');
    expect(found).toContain('WriteThrottleEvents [TableName=b_table] = 0');
  });

  it('reads the table and kind of a PartiQL statement', () => {
    const select = call({
      operation: 'ExecuteStatement',
      request: { Statement: 'SELECT * FROM "features" WHERE pk = ?' },
      answer: { Items: [{}], ConsumedCapacity: { TableName: 'features', CapacityUnits: 0.5 } },
    });
    expect(points(select)).toContain('ConsumedReadCapacityUnits [TableName=features] = 0.5');
    expect(points(select)).toContain('ReturnedItemCount [TableName=features,Operation=ExecuteStatement] = 1');
    expect(
      tablesOf({ operation: 'ExecuteStatement', request: { Statement: 'UPDATE orders SET a=1' } }),
    ).toEqual(['orders']);
  });

  it('counts a failed condition as ConditionalCheckFailedRequests of the table, not as a user error', () => {
    const found = points(
      call({
        operation: 'PutItem',
        request: { TableName: 'features' },
        status: 400,
        answer: { __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException' },
      }),
    );
    expect(found).toContain('ConditionalCheckFailedRequests [TableName=features] = 1');
    expect(found.some((p) => p.startsWith('UserErrors'))).toBe(false);
    expect(found.some((p) => p.startsWith('SuccessfulRequestLatency'))).toBe(false);
  });

  it('counts another 400 as an account-level UserErrors, and a 5xx as SystemErrors of the table and operation', () => {
    const user = points(
      call({
        operation: 'GetItem',
        request: { TableName: 'missing' },
        status: 400,
        answer: { __type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException' },
      }),
    );
    expect(user).toContain('UserErrors [] = 1');
    const system = points(call({ operation: 'GetItem', request: { TableName: 'features' }, status: 500 }));
    expect(system).toContain('SystemErrors [TableName=features,Operation=GetItem] = 1');
    expect(points(call({ operation: 'CreateTable', request: { TableName: 'x' }, status: 400 }))).toEqual([
      'UserErrors [] = 1',
    ]);
  });

  it('publishes nothing for a successful call that touches no item (CreateTable)', () => {
    expect(points(call({ operation: 'CreateTable', request: { TableName: 'features' } }))).toEqual([]);
  });
});

describe('crc32', () => {
  it('answers the IEEE check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
  });
});
