/** Kinesis streams (on demand or ShardCount, waited ACTIVE, retention) and stream consumers. */

import {
  CreateStreamCommand,
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  IncreaseStreamRetentionPeriodCommand,
  ResourceInUseException as KinesisResourceInUse,
  RegisterStreamConsumerCommand,
} from '@aws-sdk/client-kinesis';
import { synthesizedAttributes } from '../naming.js';
import { getPath, notApplied, until } from '../util.js';
import type { Created, CreatorContext } from './context.js';

export async function createKinesisStream(
  ctx: CreatorContext,
  logicalId: string,
  p: Record<string, unknown>,
): Promise<Created> {
  const { local, kinesis, nameFor } = ctx;
  const name = nameFor('AWS::Kinesis::Stream', logicalId, p);
  const mode = getPath(p, 'StreamModeDetails.StreamMode') === 'ON_DEMAND' ? 'ON_DEMAND' : 'PROVISIONED';
  const notes: string[] = [];
  try {
    await kinesis.send(
      new CreateStreamCommand({
        StreamName: name,
        StreamModeDetails: { StreamMode: mode },
        ...(mode === 'PROVISIONED' ? { ShardCount: Number(p.ShardCount ?? 1) } : {}),
      }),
    );
  } catch (error) {
    if (!(error instanceof KinesisResourceInUse)) throw error;
    notes.push('the stream existed already: reused');
  }
  const summary = await until(`stream ${name} ACTIVE`, async () => {
    const d = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    return d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE' ? d.StreamDescriptionSummary : undefined;
  });
  const hours = Number(p.RetentionPeriodHours ?? 24);
  if (hours > (summary.RetentionPeriodHours ?? 24)) {
    await kinesis.send(
      new IncreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: hours }),
    );
    await until(`stream ${name} ACTIVE after the retention change`, async () => {
      const d = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
      return d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE' ? true : undefined;
    });
  }
  notes.push(`${summary.OpenShardCount ?? '?'} open shard(s), ${mode}`);
  const base = synthesizedAttributes('AWS::Kinesis::Stream', logicalId, name, local);
  return {
    physicalId: name,
    attributes: { ...base.attributes, ...(summary.StreamARN ? { Arn: summary.StreamARN } : {}) },
    notes: [...notes, ...notApplied(p, ['Name', 'StreamModeDetails', 'ShardCount', 'RetentionPeriodHours'])],
  };
}

export async function createKinesisStreamConsumer(
  ctx: CreatorContext,
  logicalId: string,
  p: Record<string, unknown>,
): Promise<Created> {
  const { kinesis, nameFor } = ctx;
  const name = nameFor('AWS::Kinesis::StreamConsumer', logicalId, p);
  const streamArn = String(p.StreamARN);
  const registered = await kinesis.send(
    new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: name }),
  );
  const consumerArn = registered.Consumer?.ConsumerARN ?? '';
  const consumer = await until(`consumer ${name} ACTIVE`, async () => {
    const d = await kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: consumerArn }));
    return d.ConsumerDescription?.ConsumerStatus === 'ACTIVE' ? d.ConsumerDescription : undefined;
  });
  return {
    physicalId: consumerArn,
    attributes: {
      ConsumerARN: consumerArn,
      ConsumerName: name,
      ConsumerStatus: 'ACTIVE',
      StreamARN: streamArn,
      ConsumerCreationTimestamp:
        consumer.ConsumerCreationTimestamp?.toISOString() ?? new Date().toISOString(),
    },
    notes: notApplied(p, ['StreamARN', 'ConsumerName']),
  };
}
