/**
 * EventBridge custom event buses (AWS::Events::EventBus): added to the process's buses (src/events/buses.ts),
 * where rules of the stack (EventBusName) and PutEvents find them. `Ref` and `Name` answer the name, `Arn` the
 * bus ARN. Deleting the resource or the stack, and stopping the cloud, delete the bus.
 */

import { busArn, EventBuses } from '../../events/buses.js';
import { type EventRules, localEventRules } from '../../events/rules.js';
import { notApplied } from '../util.js';
import type { Created, CreatorContext } from './context.js';

export async function createEventBus(
  ctx: CreatorContext,
  logicalId: string,
  p: Record<string, unknown>,
): Promise<Created> {
  const { local } = ctx;
  const rules: EventRules = ctx.options.eventRules ?? localEventRules;
  if (typeof p.Name !== 'string') throw new Error(`Name is required (got ${JSON.stringify(p.Name)})`);
  const name = p.Name;
  EventBuses.checkName(name);
  if (p.EventSourceName !== undefined)
    throw new Error('partner event buses (EventSourceName) are not served by the local cloud');
  const arn = busArn(local.region, local.accountId, name);
  rules.buses.create({
    name,
    arn,
    ...(typeof p.Description === 'string' ? { description: p.Description } : {}),
    createdAtMs: Date.now(),
    owner: `${local.stackName}/${logicalId}`,
  });
  const forget = async () => rules.buses.delete(name);
  return {
    physicalId: name,
    attributes: { Arn: arn, Name: name },
    notes: notApplied(p, ['Name', 'Description']),
    stop: forget,
    remove: forget,
  };
}
