/** DynamoDB tables: keys, billing, indexes, streams; TTL by UpdateTimeToLive. */

import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  ResourceInUseException as DynamoResourceInUse,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { synthesizedAttributes } from '../naming.js';
import { isRecord, notApplied, until } from '../util.js';
import type { Created, CreatorContext } from './context.js';

export async function createDynamoDbTable(
  ctx: CreatorContext,
  logicalId: string,
  p: Record<string, unknown>,
): Promise<Created> {
  const { local, dynamodb, nameFor } = ctx;
  const name = nameFor('AWS::DynamoDB::Table', logicalId, p);
  const billing = p.BillingMode === 'PAY_PER_REQUEST' ? 'PAY_PER_REQUEST' : 'PROVISIONED';
  const throughput = (value: unknown) =>
    billing === 'PROVISIONED' && isRecord(value)
      ? {
          ProvisionedThroughput: {
            ReadCapacityUnits: Number(value.ReadCapacityUnits),
            WriteCapacityUnits: Number(value.WriteCapacityUnits),
          },
        }
      : {};
  const index = (i: unknown) => {
    const x = i as Record<string, unknown>;
    return {
      IndexName: x.IndexName,
      KeySchema: x.KeySchema,
      Projection: x.Projection,
      ...throughput(x.ProvisionedThroughput),
    };
  };
  const stream = p.StreamSpecification as { StreamViewType?: string } | undefined;
  const input = {
    TableName: name,
    AttributeDefinitions: p.AttributeDefinitions,
    KeySchema: p.KeySchema,
    BillingMode: billing,
    ...throughput(p.ProvisionedThroughput),
    ...(Array.isArray(p.GlobalSecondaryIndexes)
      ? { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes.map(index) }
      : {}),
    ...(Array.isArray(p.LocalSecondaryIndexes)
      ? {
          LocalSecondaryIndexes: p.LocalSecondaryIndexes.map((i) => {
            const x = i as Record<string, unknown>;
            return { IndexName: x.IndexName, KeySchema: x.KeySchema, Projection: x.Projection };
          }),
        }
      : {}),
    ...(stream?.StreamViewType
      ? { StreamSpecification: { StreamEnabled: true, StreamViewType: stream.StreamViewType } }
      : {}),
  } as CreateTableCommandInput;
  const notes: string[] = [];
  try {
    await dynamodb.send(new CreateTableCommand(input));
  } catch (error) {
    if (!(error instanceof DynamoResourceInUse)) throw error;
    notes.push('the table existed already: reused');
  }
  const table = await until(`table ${name} ACTIVE`, async () => {
    const d = await dynamodb.send(new DescribeTableCommand({ TableName: name }));
    return d.Table?.TableStatus === 'ACTIVE' ? d.Table : undefined;
  });
  const ttl = p.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
  if (ttl?.Enabled && ttl.AttributeName) {
    try {
      await dynamodb.send(
        new UpdateTimeToLiveCommand({
          TableName: name,
          TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
        }),
      );
    } catch (error) {
      // A reused table has TTL on already.
      if (!/already enabled/i.test((error as Error).message)) throw error;
    }
    notes.push(`TTL on ${ttl.AttributeName}`);
  }
  const base = synthesizedAttributes('AWS::DynamoDB::Table', logicalId, name, local);
  return {
    physicalId: name,
    attributes: {
      ...base.attributes,
      ...(table.LatestStreamArn ? { StreamArn: table.LatestStreamArn } : {}),
    },
    notes: [
      ...notes,
      ...notApplied(p, [
        'TableName',
        'AttributeDefinitions',
        'KeySchema',
        'BillingMode',
        'ProvisionedThroughput',
        'GlobalSecondaryIndexes',
        'LocalSecondaryIndexes',
        'StreamSpecification',
        'TimeToLiveSpecification',
      ]),
    ],
  };
}
