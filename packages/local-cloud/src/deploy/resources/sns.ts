/** SNS topics, when the cloud serves SNS (else skipped). */

import { snsQuery } from '../../event-source-mapping.js';
import { synthesizedAttributes } from '../naming.js';
import { notApplied } from '../util.js';
import type { Created, CreatorContext } from './context.js';

export async function createSnsTopic(
  ctx: CreatorContext,
  logicalId: string,
  p: Record<string, unknown>,
): Promise<Created> {
  const { local, nameFor } = ctx;
  const name = nameFor('AWS::SNS::Topic', logicalId, p);
  const params: Record<string, string> = { Action: 'CreateTopic', Name: name };
  let n = 0;
  for (const key of ['FifoTopic', 'ContentBasedDeduplication', 'DisplayName']) {
    if (p[key] === undefined) continue;
    n++;
    params[`Attributes.entry.${n}.key`] = key;
    params[`Attributes.entry.${n}.value`] = String(p[key]);
  }
  let answer: string;
  try {
    answer = await snsQuery(local.cloudEndpoint, local.region, params);
  } catch (error) {
    if (/NotImplemented/.test((error as Error).message)) {
      return {
        ...synthesizedAttributes('AWS::SNS::Topic', logicalId, name, local),
        skipped: 'the cloud serves no SNS',
      };
    }
    throw error;
  }
  const arn = /<TopicArn>([^<]+)<\/TopicArn>/.exec(answer)?.[1];
  if (arn === undefined) throw new Error(`CreateTopic answered no TopicArn: ${answer.slice(0, 200)}`);
  return {
    physicalId: arn,
    attributes: { TopicArn: arn, TopicName: name },
    notes: notApplied(p, ['TopicName', 'FifoTopic', 'ContentBasedDeduplication', 'DisplayName']),
  };
}
